// Builds the provider-dispatch topology, the same way for main, TopologyTestDriver tests and real-broker tests.
package io.bursar.topology.dispatch;

import io.bursar.connectors.ProviderConnector;
import io.bursar.connectors.ProviderConnectors;
import io.bursar.schemas.dispatch.ProviderCall;
import io.bursar.schemas.dispatch.ProviderCallResult;
import io.bursar.schemas.dispatch.QueuedCall;
import io.bursar.serdes.Topics;
import io.bursar.topology.Misrouting;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.LongUnaryOperator;
import io.bursar.schemas.dispatch.ProviderCallOutcome;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds {@code provider-requests} → {@link ProviderDispatchProcessor} on persistent RocksDB stores →
 * {@code provider-results} (payments, keyed by partnerId) and {@code fulfilment-results} (bulk fulfilment calls,
 * keyed by categoryId), plus failed calls → {@code provider-requests-dlq}, plus every final outcome
 * → {@code provider-outcomes} (keyed by idempotency key), which the dispatcher reads back as a global
 * table so that a call answered once, even before a reset, is never made again.
 *
 * <p>The request topic is keyed by providerId, so one task owns each provider and its rate limit
 * holds across all instances.
 */
public final class ProviderDispatchTopology {

    /** Full jitter: a delay drawn uniformly from [0, ceiling]. */
    public static final LongUnaryOperator FULL_JITTER = ceilingMs -> ThreadLocalRandom.current().nextLong(ceilingMs + 1);

    private ProviderDispatchTopology() {
    }

    /** Builds the topology with the registry's connectors and limits and full jitter. */
    public static void build(final StreamsBuilder builder, final Topics topics, final ProviderDispatchConfig config,
                             final ProviderConnectors registry) {
        build(builder, topics, config, registry, Misrouting.of(topics));
    }

    /** Builds the topology with the registry's connectors and limits and full jitter, counting refused calls in {@code misrouting}. */
    public static void build(final StreamsBuilder builder, final Topics topics, final ProviderDispatchConfig config,
                             final ProviderConnectors registry, final Misrouting misrouting) {
        build(builder, topics, config,
                providerId -> registry.contains(providerId) ? registry.connector(providerId) : null,
                providerId -> ProviderLimits.of(registry.config(providerId)),
                FULL_JITTER, misrouting);
    }

    /**
     * Builds the topology.
     *
     * @param connectors the connector of a provider id, or null for a provider that is not configured
     * @param limits     the rate and burst of a configured provider
     * @param jitterMs   given a ceiling in ms, a retry delay in [0, ceiling]
     */
    public static void build(final StreamsBuilder builder, final Topics topics, final ProviderDispatchConfig config,
                             final Function<String, ProviderConnector> connectors,
                             final Function<String, ProviderLimits> limits, final LongUnaryOperator jitterMs) {
        build(builder, topics, config, connectors, limits, jitterMs, Misrouting.of(topics));
    }

    /** As above, counting refused calls in {@code misrouting}. */
    public static void build(final StreamsBuilder builder, final Topics topics, final ProviderDispatchConfig config,
                             final Function<String, ProviderConnector> connectors,
                             final Function<String, ProviderLimits> limits, final LongUnaryOperator jitterMs,
                             final Misrouting misrouting) {
        Objects.requireNonNull(connectors, "connectors");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(jitterMs, "jitterMs");
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(ProviderDispatchProcessor.QUEUE_STORE),
                Serdes.String(), topics.valueSerde(QueuedCall.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(ProviderDispatchProcessor.SCHEDULE_STORE),
                Serdes.String(), Serdes.String()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(ProviderDispatchProcessor.IN_FLIGHT_STORE),
                Serdes.String(), Serdes.String()));

        builder.globalTable(topics.providerOutcomes.name(),
                Consumed.with(topics.providerOutcomes.keySerde(), topics.providerOutcomes.valueSerde())
                        .withName(topics.providerOutcomes.name() + "-source"),
                Materialized.<String, ProviderCallResult, KeyValueStore<Bytes, byte[]>>as(
                                ProviderDispatchProcessor.OUTCOMES_STORE)
                        .withKeySerde(topics.providerOutcomes.keySerde())
                        .withValueSerde(topics.providerOutcomes.valueSerde()));

        builder.stream(topics.providerRequests.name(),
                        Consumed.with(topics.providerRequests.keySerde(), topics.providerRequests.valueSerde())
                                .withName(topics.providerRequests.name() + "-source"))
                .process(() -> new ProviderDispatchProcessor(config, connectors, limits, jitterMs, misrouting),
                        Named.as("dispatch-processor"),
                        ProviderDispatchProcessor.QUEUE_STORE, ProviderDispatchProcessor.SCHEDULE_STORE,
                        ProviderDispatchProcessor.IN_FLIGHT_STORE)
                .split(Named.as("dispatch-"))
                .branch((key, value) -> value instanceof ProviderCallResult, Branched.withConsumer(results -> {
                    final KStream<String, ProviderCallResult> typed =
                            results.mapValues(value -> (ProviderCallResult) value, Named.as("dispatch-as-results"));
                    // A payment's answers go to its partner, a fulfilment call's to its order's category.
                    typed.filter((key, result) -> result.getCategoryId() == null, Named.as("dispatch-payment-answers"))
                            .to(topics.providerResults.name(),
                                    Produced.with(topics.providerResults.keySerde(), topics.providerResults.valueSerde())
                                            .withName(topics.providerResults.name() + "-sink"));
                    typed.filter((key, result) -> result.getCategoryId() != null, Named.as("dispatch-fulfilment-answers"))
                            .to(topics.fulfilmentResults.name(),
                                    Produced.with(topics.fulfilmentResults.keySerde(),
                                                    topics.fulfilmentResults.valueSerde())
                                            .withName(topics.fulfilmentResults.name() + "-sink"));
                    typed.filter((partnerId, result) -> result.getOutcome() != ProviderCallOutcome.SUBMITTED,
                                    Named.as("final-outcomes"))
                            .selectKey((partnerId, result) -> result.getIdempotencyKey(),
                                    Named.as("key-by-idempotency-key"))
                            .to(topics.providerOutcomes.name(),
                                    Produced.with(topics.providerOutcomes.keySerde(),
                                                    topics.providerOutcomes.valueSerde())
                                            .withName(topics.providerOutcomes.name() + "-sink"));
                }, "results"))
                .branch((key, value) -> value instanceof ProviderCall, Branched.withConsumer(failed -> failed
                        .mapValues(value -> (ProviderCall) value, Named.as("dispatch-as-dead-letters"))
                        .to(topics.providerDeadLetters.name(),
                                Produced.with(topics.providerDeadLetters.keySerde(),
                                                topics.providerDeadLetters.valueSerde())
                                        .withName(topics.providerDeadLetters.name() + "-sink")), "dead-letters"))
                .noDefaultBranch();
    }
}
