package io.bursar.app.live;

import java.util.List;
import java.util.Map;

/**
 * One sample of the live page's figures, written as JSON by the gateway ({@code GET /v1/live}, and each event of
 * {@code GET /v1/live/stream}); {@code docs/api.md} describes every field.
 *
 * @param at            when it was taken (ISO-8601, as every instant here)
 * @param instance      the instance that took it ({@code host:port} of its gateway)
 * @param since         when its event tap started: counts "since start" count from then
 * @param rates         per-second series, oldest first, of the last {@code seconds} seconds: {@code commands} and
 *                      {@code results} per topic (the whole cluster's), {@code providerCalls} per provider (the calls
 *                      this instance made)
 * @param rejections    rejected commands by reason since start
 * @param latency       command → result latency of the last 10 seconds
 * @param providers     each configured provider
 * @param orders        the order funnel since start: created, paid, placed, completed, expired, failed, cancelled,
 *                      rejected
 * @param instances     the instances of both applications
 * @param deadLetters   dead letters, all of them
 */
public record Figures(String at, String instance, String since, int seconds, Map<String, Map<String, long[]>> rates,
                      Map<String, Long> rejections, Latency latency, List<Provider> providers, Map<String, Long> orders,
                      List<Instance> instances, DeadLetters deadLetters) {

    /** Command → result latency percentiles in ms (null without results), over {@code samples} results. */
    public record Latency(Double p50Ms, Double p99Ms, int samples, int windowSeconds) {
    }

    /**
     * One provider.
     *
     * @param limitPerSecond its configured rate
     * @param owner          the instance whose dispatcher calls it, or null while unknown
     * @param queued         calls waiting or in flight, when this instance is its owner; else null
     * @param callsPerSecond calls this instance made per second, over the last 10 seconds
     * @param calls          calls this instance made, by the provider's answer (success, retryable, permanent)
     * @param retries        calls this instance made that retried a request
     * @param outcomes       final outcomes since start (SUCCEEDED, FAILED, DEAD_LETTERED)
     * @param deadLetters    its calls on the dead-letter topic, all of them
     */
    public record Provider(String providerId, int limitPerSecond, String owner, Long queued, double callsPerSecond,
                           Map<String, Long> calls, long retries, Map<String, Long> outcomes, long deadLetters) {
    }

    /**
     * One instance: this one in full, the others as the group's metadata knows them (state and lags null).
     *
     * @param applications {@code commands} and {@code views}: each one's figures on this instance
     */
    public record Instance(String instance, boolean self, Map<String, Application> applications) {
    }

    /**
     * One Streams application on one instance.
     *
     * @param state        RUNNING, REBALANCING, ...; null for another instance
     * @param activeTasks  tasks it runs (for another instance: partitions it reads)
     * @param standbyTasks tasks it keeps as standby (for another instance: partitions it keeps)
     * @param lag          records its consumers have yet to read; null for another instance or while unknown
     * @param standbyLag   records its standby and restoring stores have yet to read; null likewise
     */
    public record Application(String state, int activeTasks, int standbyTasks, Long lag, Long standbyLag) {
    }

    /**
     * Dead letters: how many per topic, the latest few, and where to list them all ({@code list}, admin keys).
     */
    public record DeadLetters(long total, Map<String, Long> byTopic, List<EventTap.Letter> latest, String list) {
    }
}
