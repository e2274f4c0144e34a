package io.bursar.app.live;

import io.bursar.gateway.LiveFigures;
import io.bursar.schemas.dispatch.QueuedCall;
import io.bursar.serdes.Topics;
import io.bursar.topology.dispatch.ProviderDispatchProcessor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the live page's {@link Figures} once a second from what exists already: the {@link EventTap}'s counts,
 * this instance's Streams applications ({@link StreamsFigures}), the provider calls counted in the meter registry
 * ({@link CountedConnector}) and the dispatcher's queue store; keeps their rates for the last
 * {@value #SECONDS} seconds. The gateway serves the latest sample.
 */
public final class LiveSampler implements LiveFigures, AutoCloseable {

    /** How long the rate series reach back. */
    static final int SECONDS = 300;
    /** The window of the providers' calls per second. */
    static final int CALL_RATE_SECONDS = 10;
    /** A provider's queue is counted up to this many calls. */
    static final long QUEUE_COUNT_MAX = 100_000;
    private static final String DEAD_LETTER_LIST = "/v1/admin/dead-letters";
    private static final Logger LOG = LoggerFactory.getLogger(LiveSampler.class);

    private final String self;
    private final KafkaStreams commands;
    private final KafkaStreams views;
    private final EventTap tap;
    private final MeterRegistry meters;
    private final Map<String, Integer> limits;
    private final List<String> commandTopics;
    private final List<String> resultTopics;
    private final RateHistory history = new RateHistory(SECONDS);
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        final Thread thread = new Thread(runnable, "live-sampler");
        thread.setDaemon(true);
        return thread;
    });
    private volatile Figures latest;

    /**
     * A sampler of instance {@code self} ({@code host:port}), whose providers have the rates {@code limits}; starts
     * its tap and takes a sample every second until closed.
     */
    public LiveSampler(final String self, final KafkaStreams commands, final KafkaStreams views, final Topics topics,
                       final EventTap tap, final MeterRegistry meters, final Map<String, Integer> limits) {
        this.self = self;
        this.commands = commands;
        this.views = views;
        this.tap = tap;
        this.meters = meters;
        this.limits = new TreeMap<>(limits);
        this.commandTopics = List.of(topics.paymentCommands.name(), topics.orderCommands.name());
        this.resultTopics = List.of(topics.paymentEvents.name(), topics.orderEvents.name());
        tap.start();
        timer.scheduleAtFixedRate(this::sample, 1, 1, TimeUnit.SECONDS);
    }

    @Override
    public Object latest() {
        return latest;
    }

    private void sample() {
        try {
            latest = take();
        } catch (final RuntimeException e) {
            // A figure that cannot be read this second (a rebalance, a store moving) is read again the next.
            LOG.debug("Live figures not taken this second", e);
        }
    }

    private Figures take() {
        final Instant now = Instant.now();
        final Map<String, Long> totals = new TreeMap<>(tap.records());
        final Map<String, Map<String, Long>> calls = new TreeMap<>();
        final Map<String, Long> retries = new TreeMap<>();
        for (final String provider : limits.keySet()) {
            final Map<String, Long> byAnswer = new LinkedHashMap<>();
            long all = 0;
            for (final String answer : CountedConnector.ANSWERS) {
                final Counter counter = meters.find(CountedConnector.CALLS).tag("provider", provider)
                        .tag("answer", answer).counter();
                final long count = counter == null ? 0 : (long) counter.count();
                byAnswer.put(answer, count);
                all += count;
            }
            calls.put(provider, byAnswer);
            final Counter retried = meters.find(CountedConnector.RETRIES).tag("provider", provider).counter();
            retries.put(provider, retried == null ? 0 : (long) retried.count());
            totals.put("calls:" + provider, all);
        }
        history.tick(totals);

        final Map<String, long[]> series = history.series();
        final Map<String, Map<String, long[]>> rates = new LinkedHashMap<>();
        rates.put("commands", pick(series, commandTopics, ""));
        rates.put("results", pick(series, resultTopics, ""));
        rates.put("providerCalls", pick(series, List.copyOf(limits.keySet()), "calls:"));

        final Map<String, Map<String, Long>> outcomes = tap.providerOutcomes();
        final Map<String, Long> providerLetters = tap.deadLettersByProvider();
        final List<Figures.Provider> providers = new ArrayList<>();
        for (final Map.Entry<String, Integer> provider : limits.entrySet()) {
            final String id = provider.getKey();
            final String owner = owner(id);
            providers.add(new Figures.Provider(id, provider.getValue(), owner,
                    self.equals(owner) ? queued(id) : null, history.mean("calls:" + id, CALL_RATE_SECONDS),
                    calls.get(id), retries.get(id), outcomes.getOrDefault(id, Map.of()),
                    providerLetters.getOrDefault(id, 0L)));
        }

        final CommandLatency.Percentiles latency = tap.latency(now.toEpochMilli());
        final Map<String, Long> letters = tap.deadLettersByTopic();
        final Instant since = tap.since();
        return new Figures(now.toString(), self, since == null ? null : since.toString(), SECONDS, rates, tap.rejections(),
                new Figures.Latency(nullIfNaN(latency.p50Ms()), nullIfNaN(latency.p99Ms()), latency.samples(),
                        (int) (CommandLatency.WINDOW_MS / 1000)),
                providers, tap.funnel(), instances(),
                new Figures.DeadLetters(letters.values().stream().mapToLong(Long::longValue).sum(), letters,
                        tap.latestDeadLetters(), DEAD_LETTER_LIST));
    }

    /** This instance in full, then the others both applications' metadata name. */
    private List<Figures.Instance> instances() {
        final List<Figures.Instance> instances = new ArrayList<>();
        final Map<String, Figures.Application> mine = new LinkedHashMap<>();
        mine.put("commands", StreamsFigures.local(commands));
        mine.put("views", StreamsFigures.local(views));
        instances.add(new Figures.Instance(self, true, mine));
        final Map<String, Map<String, Figures.Application>> others = new TreeMap<>();
        for (final Map.Entry<String, Figures.Application> other : StreamsFigures.others(commands, self)) {
            others.computeIfAbsent(other.getKey(), host -> new LinkedHashMap<>()).put("commands", other.getValue());
        }
        for (final Map.Entry<String, Figures.Application> other : StreamsFigures.others(views, self)) {
            others.computeIfAbsent(other.getKey(), host -> new LinkedHashMap<>()).put("views", other.getValue());
        }
        others.forEach((host, applications) -> instances.add(new Figures.Instance(host, false, applications)));
        return instances;
    }

    /** The instance whose dispatcher owns {@code providerId}'s calls, or null while unknown. */
    private String owner(final String providerId) {
        final KeyQueryMetadata owner = commands.queryMetadataForKey(ProviderDispatchProcessor.QUEUE_STORE, providerId,
                new StringSerializer());
        if (owner == null || owner.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
            return null;
        }
        return owner.activeHost().host() + ":" + owner.activeHost().port();
    }

    /** The calls of {@code providerId} in this instance's dispatcher queue, waiting or in flight, counted up to a bound. */
    private Long queued(final String providerId) {
        final ReadOnlyKeyValueStore<String, QueuedCall> queue = commands.store(StoreQueryParameters.fromNameAndType(
                ProviderDispatchProcessor.QUEUE_STORE, QueryableStoreTypes.<String, QueuedCall>keyValueStore()));
        long count = 0;
        try (KeyValueIterator<String, QueuedCall> calls = queue.prefixScan(providerId + "/", new StringSerializer())) {
            while (calls.hasNext() && count < QUEUE_COUNT_MAX) {
                calls.next();
                count++;
            }
        }
        return count;
    }

    private static Map<String, long[]> pick(final Map<String, long[]> series, final List<String> names,
                                            final String prefix) {
        final Map<String, long[]> picked = new LinkedHashMap<>();
        for (final String name : names) {
            picked.put(name, series.getOrDefault(prefix + name, new long[0]));
        }
        return picked;
    }

    private static Double nullIfNaN(final double value) {
        return Double.isNaN(value) ? null : value;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        tap.close();
    }
}
