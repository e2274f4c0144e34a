package io.bursar.app.live;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Command → result latency as a client sees it: from the command's record timestamp (when its producer sent it) to
 * the moment its first result can be read ({@code read_committed}), kept for the last {@value #WINDOW_MS} ms.
 * Commands are remembered by commandId, at most {@value #PENDING_MAX}, the oldest forgotten first; a result whose
 * command was not seen (sent before the tap started, or forgotten) is not measured.
 */
final class CommandLatency {

    static final long WINDOW_MS = 10_000;
    static final int PENDING_MAX = 100_000;
    static final int SAMPLES_MAX = 50_000;

    /** p50 and p99 in ms of the {@code samples} results of the window; NaN without any. */
    record Percentiles(double p50Ms, double p99Ms, int samples) {
    }

    private final Map<String, Long> sentAtMs = new LinkedHashMap<>(1_024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(final Map.Entry<String, Long> eldest) {
            return size() > PENDING_MAX;
        }
    };
    /** (seen at, latency) pairs, oldest first. */
    private final Deque<long[]> samples = new ArrayDeque<>();

    /** A command was read, sent at {@code sentAtMs}. */
    synchronized void sent(final String commandId, final long sentAtMs) {
        this.sentAtMs.putIfAbsent(commandId, sentAtMs);
    }

    /** A command's first result was read at {@code nowMs}. */
    synchronized void answered(final String commandId, final long nowMs) {
        final Long sent = sentAtMs.remove(commandId);
        if (sent == null) {
            return;
        }
        samples.addLast(new long[] {nowMs, Math.max(0, nowMs - sent)});
        if (samples.size() > SAMPLES_MAX) {
            samples.removeFirst();
        }
    }

    /** The percentiles of the results read in the window before {@code nowMs}. */
    synchronized Percentiles percentiles(final long nowMs) {
        while (!samples.isEmpty() && samples.peekFirst()[0] < nowMs - WINDOW_MS) {
            samples.removeFirst();
        }
        final long[] latencies = samples.stream().mapToLong(sample -> sample[1]).toArray();
        if (latencies.length == 0) {
            return new Percentiles(Double.NaN, Double.NaN, 0);
        }
        Arrays.sort(latencies);
        return new Percentiles(rank(latencies, 0.50), rank(latencies, 0.99), latencies.length);
    }

    /** The nearest-rank percentile of sorted values. */
    private static double rank(final long[] sorted, final double quantile) {
        final int index = (int) Math.ceil(quantile * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
