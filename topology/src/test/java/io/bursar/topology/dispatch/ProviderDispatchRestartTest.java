// The dispatcher alone across a restart: a successor instance on the same state resends the call left in flight.
package io.bursar.topology.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.connectors.ProviderConnector;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.dispatch.ProviderCall;
import io.bursar.schemas.dispatch.ProviderOperation;
import io.bursar.schemas.dispatch.ProviderCallOutcome;
import io.bursar.schemas.dispatch.ProviderCallResult;
import io.bursar.schemas.dispatch.QueuedCall;
import io.bursar.schemas.dispatch.QueuedCallState;
import io.bursar.serdes.Topics;
import io.bursar.topology.Misrouting;
import io.bursar.topology.testing.ScriptedConnector;
import io.bursar.topology.testing.TestDrivers;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.junit.jupiter.api.Test;

/**
 * A restart with a call in flight, with the processor driven directly: TopologyTestDriver deletes its
 * state directory on close and keeps unflushed RocksDB state in memory only, so it cannot hand a
 * predecessor's state to a successor. Here both instances share the same stores, as a successor shares
 * its predecessor's state through the changelog.
 */
class ProviderDispatchRestartTest {

    private static final long START_MS = Instant.parse("2026-11-25T10:00:00Z").toEpochMilli();
    private static final String PROVIDER = "acme";

    private long nowMs = START_MS;

    @Test
    void aCallInFlightWhenItsOwnerStopsIsResentWithTheSameKeyAndAnsweredOnce() {
        final Topics topics = TestDrivers.topics(1);
        final KeyValueStore<String, QueuedCall> queue = Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(ProviderDispatchProcessor.QUEUE_STORE),
                Serdes.String(), topics.valueSerde(QueuedCall.class)).withLoggingDisabled().build();
        final KeyValueStore<String, String> schedule = stringStore(ProviderDispatchProcessor.SCHEDULE_STORE);
        final KeyValueStore<String, String> inFlight = stringStore(ProviderDispatchProcessor.IN_FLIGHT_STORE);
        final TimestampedKeyValueStore<String, ProviderCallResult> outcomes = Stores.timestampedKeyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(ProviderDispatchProcessor.OUTCOMES_STORE),
                Serdes.String(), topics.valueSerde(ProviderCallResult.class)).withLoggingDisabled().build();

        final ScriptedConnector silent = new ScriptedConnector(request -> Optional.empty(), () -> nowMs);
        final MockProcessorContext<String, SpecificRecord> first = context(queue, schedule, inFlight, outcomes);
        // The first instance is never closed: it stops as a crash would, with its call unanswered.
        final ProviderDispatchProcessor predecessor = processor(silent);
        predecessor.init(first);
        predecessor.process(new Record<>(PROVIDER, call("k1"), nowMs));
        punctuate(first, 24); // past the quiet first window of a new owner
        assertThat(silent.sentCount()).isEqualTo(1);
        assertThat(queue.get(PROVIDER + "/k1").getState()).isEqualTo(QueuedCallState.IN_FLIGHT);
        // Only the report that the first attempt started; no outcome.
        assertThat(first.forwarded()).singleElement().satisfies(forward -> assertThat(
                ((ProviderCallResult) forward.record().value()).getOutcome()).isEqualTo(ProviderCallOutcome.SUBMITTED));

        final ScriptedConnector succeeding = ScriptedConnector.succeeding(() -> nowMs);
        final MockProcessorContext<String, SpecificRecord> second = context(queue, schedule, inFlight, outcomes);
        second.setCurrentSystemTimeMs(nowMs);
        final long successorStartMs = nowMs;
        processor(succeeding).init(second);
        assertThat(queue.get(PROVIDER + "/k1").getState()).isEqualTo(QueuedCallState.QUEUED);
        punctuate(second, 30);

        assertThat(succeeding.sent()).singleElement().satisfies(sent -> {
            assertThat(sent.request().idempotencyKey()).isEqualTo("k1");
            // The call lost with its owner counts as an attempt.
            assertThat(sent.request().attempt()).isEqualTo(1);
            // The successor assumes its predecessor used the last second: no call for one window.
            assertThat(sent.atMs() - successorStartMs).isGreaterThanOrEqualTo(1_000);
        });
        final List<ProviderCallResult> results = second.forwarded().stream()
                .map(forward -> forward.record().value())
                .filter(ProviderCallResult.class::isInstance).map(ProviderCallResult.class::cast).toList();
        assertThat(results).singleElement().satisfies(result -> {
            assertThat(result.getOutcome()).isEqualTo(ProviderCallOutcome.SUCCEEDED);
            assertThat(result.getIdempotencyKey()).isEqualTo("k1");
        });
        assertThat(queue.get(PROVIDER + "/k1")).isNull();
        assertThat(inFlight.get(PROVIDER + "/k1")).isNull();
    }

    private static ProviderDispatchProcessor processor(final ProviderConnector acme) {
        return new ProviderDispatchProcessor(new ProviderDispatchConfig(Map.of()),
                providerId -> PROVIDER.equals(providerId) ? acme : null, providerId -> new ProviderLimits(2, 2),
                ceilingMs -> 0L, Misrouting.of(TestDrivers.topics(1)));
    }

    private MockProcessorContext<String, SpecificRecord> context(final KeyValueStore<String, QueuedCall> queue,
                                                                 final KeyValueStore<String, String> schedule,
                                                                 final KeyValueStore<String, String> inFlight,
                                                                 final TimestampedKeyValueStore<String, ProviderCallResult> outcomes) {
        final MockProcessorContext<String, SpecificRecord> context = new MockProcessorContext<>();
        for (final KeyValueStore<String, ?> store : List.of(queue, schedule, inFlight, outcomes)) {
            if (!store.isOpen()) {
                store.init(context.getStateStoreContext(), store);
            }
            context.addStateStore(store);
        }
        context.setCurrentSystemTimeMs(nowMs);
        return context;
    }

    private void punctuate(final MockProcessorContext<String, SpecificRecord> context, final int times) {
        for (int i = 0; i < times; i++) {
            nowMs += 50;
            context.setCurrentSystemTimeMs(nowMs);
            context.scheduledPunctuators().forEach(p -> p.getPunctuator().punctuate(nowMs));
        }
    }

    private static KeyValueStore<String, String> stringStore(final String name) {
        return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), Serdes.String())
                .withLoggingDisabled().build();
    }

    private static ProviderCall call(final String idempotencyKey) {
        return new ProviderCall(idempotencyKey, "pay-" + idempotencyKey, "partner-1", PROVIDER,
                new Money(1_250L, "EUR"), Instant.ofEpochMilli(START_MS), ProviderOperation.CHARGE, null, List.of(), 0);
    }
}
