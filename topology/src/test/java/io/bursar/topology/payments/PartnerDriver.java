// The partner topology in a TopologyTestDriver, with its topics, commands and stores written once for its tests.
package io.bursar.topology.payments;

import static io.bursar.topology.testing.Payments.command;
import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.schemas.dispatch.ProviderCall;
import io.bursar.schemas.dispatch.ProviderCallResult;
import io.bursar.schemas.payments.CurrencyAccount;
import io.bursar.schemas.payments.FundsHold;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.serdes.Topics;
import io.bursar.topology.Generation;
import io.bursar.topology.Misrouting;
import io.bursar.topology.testing.TestDrivers;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

/**
 * One {@link PartnerTopology} (optionally with more topologies in the same builder) in a TopologyTestDriver whose
 * wall clock starts at {@link #start}. Commands go to {@code payment-commands} (typed, or as raw bytes), provider
 * answers to {@code provider-results}; what the topology writes is read back from {@code payment-events},
 * {@code provider-requests} and the dead-letter topic.
 */
public final class PartnerDriver implements AutoCloseable {

    /** Where the wall clock starts unless the builder says otherwise. */
    public static final Instant START = Instant.parse("2026-11-25T10:00:00Z");

    public final Topics topics;
    /** The driver's initial wall-clock time, and the issuedAt of every command {@link #send} sends. */
    public final Instant start;
    public final TopologyTestDriver driver;
    public final TestInputTopic<String, PaymentCommand> commands;
    /** Bytes on {@code payment-commands}, such as records that are not Avro, to reach the deserialization handler. */
    public final TestInputTopic<byte[], byte[]> rawCommands;
    /** ProviderCallResults into {@code provider-results}, as the dispatcher answers. */
    public final TestInputTopic<String, ProviderCallResult> answers;
    public final TestOutputTopic<String, PaymentEvent> events;
    /** The ProviderCalls the partner writes to {@code provider-requests}. */
    public final TestOutputTopic<String, ProviderCall> calls;
    public final TestOutputTopic<byte[], byte[]> deadLetters;

    private PartnerDriver(final Builder options) {
        topics = options.topics == null ? TestDrivers.topics(1) : options.topics;
        start = options.start;
        final Misrouting misrouting = options.misrouting == null ? Misrouting.of(topics) : options.misrouting;
        final PartnerTopologyConfig config = new PartnerTopologyConfig(options.settings);
        driver = TestDrivers.driver(TestDrivers.topology(topics, (builder, catalog) -> {
            PartnerTopology.build(builder, catalog, config, misrouting, Generation.FIRST);
            options.also.accept(builder, catalog);
        }), options.applicationId, options.stateDir, topics, start);
        commands = input(topics.paymentCommands);
        rawCommands = driver.createInputTopic(topics.paymentCommands.name(), new ByteArraySerializer(),
                new ByteArraySerializer());
        answers = input(topics.providerResults);
        events = output(topics.paymentEvents);
        calls = output(topics.providerRequests);
        deadLetters = output(topics.deadLetters);
    }

    /** What the partner topology is started with: its state directory, and defaults for everything else. */
    public static Builder builder(final Path stateDir) {
        return new Builder(stateDir);
    }

    @Override
    public void close() {
        driver.close();
    }

    /** A topic the test writes to, with the catalog's serializers. */
    public <K, V> TestInputTopic<K, V> input(final Topics.Topic<K, V> topic) {
        return TestDrivers.input(driver, topic);
    }

    /** A topic the test reads from, with the catalog's deserializers. */
    public <K, V> TestOutputTopic<K, V> output(final Topics.Topic<K, V> topic) {
        return TestDrivers.output(driver, topic);
    }

    // ---- commands -------------------------------------------------------------------------------------------

    /** Sends a command keyed by its partner, issued at {@link #start}; returns the one event that came out. */
    public PaymentEvent send(final String commandId, final String partnerId, final Object payload) {
        return sendRecord(commandId, partnerId, payload).value();
    }

    /** {@link #send}, returning the event's record, key included. */
    public TestRecord<String, PaymentEvent> sendRecord(final String commandId, final String partnerId,
                                                       final Object payload) {
        commands.pipeInput(partnerId, command(commandId, partnerId, payload, start));
        final List<TestRecord<String, PaymentEvent>> out = events.readRecordsToList();
        assertThat(out).as("events for %s", commandId).hasSize(1);
        return out.get(0);
    }

    /** Moves the driver's wall clock, and the time producers stamp on the commands they send, by {@code duration}. */
    public void advance(final Duration duration) {
        driver.advanceWallClockTime(duration);
        commands.advanceTime(duration);
        rawCommands.advanceTime(duration);
    }

    // ---- reads --------------------------------------------------------------------------------------------

    /** The stored payment {@code paymentId} of {@code partnerId}, or null. */
    public Payment stored(final String partnerId, final String paymentId) {
        return payments().get(PaymentFlow.paymentKey(partnerId, paymentId));
    }

    /** The account of {@code partnerId} in {@code currency}; the partner must have a balance. */
    public CurrencyAccount account(final String partnerId, final String currency) {
        return balances().get(partnerId).getAccounts().get(currency);
    }

    public KeyValueStore<String, PartnerBalance> balances() {
        return driver.getKeyValueStore(PartnerProcessor.BALANCES_STORE);
    }

    public KeyValueStore<String, FundsHold> holds() {
        return driver.getKeyValueStore(PartnerProcessor.HOLDS_STORE);
    }

    public KeyValueStore<String, Payment> payments() {
        return driver.getKeyValueStore(PartnerProcessor.PAYMENTS_STORE);
    }

    /** The options of one {@link PartnerDriver}; each has a default but the state directory. */
    public static final class Builder {

        private final Path stateDir;
        private String applicationId = "bursar-test";
        private Map<?, ?> settings = Map.of();
        private Instant start = START;
        private Topics topics;
        private Misrouting misrouting;
        private BiConsumer<StreamsBuilder, Topics> also = (builder, catalog) -> { };

        private Builder(final Path stateDir) {
            this.stateDir = stateDir;
        }

        /** The application id, which names the changelog topics; {@code bursar-test} by default. */
        public Builder applicationId(final String id) {
            applicationId = id;
            return this;
        }

        /** The {@link PartnerTopologyConfig} settings; none (every default) by default. */
        public Builder settings(final Map<?, ?> partnerSettings) {
            settings = partnerSettings;
            return this;
        }

        /** The driver's initial wall-clock time; {@link #START} by default. */
        public Builder startingAt(final Instant wallClock) {
            start = wallClock;
            return this;
        }

        /** The topic catalog; one of its own, with one partition per topic, by default. */
        public Builder topics(final Topics catalog) {
            topics = catalog;
            return this;
        }

        /** Where the partner topology counts the records it refuses for their partition; its own by default. */
        public Builder misrouting(final Misrouting counts) {
            misrouting = counts;
            return this;
        }

        /** What to add to the same StreamsBuilder after the partner topology, such as the dispatcher. */
        public Builder also(final BiConsumer<StreamsBuilder, Topics> build) {
            also = build;
            return this;
        }

        public PartnerDriver start() {
            return new PartnerDriver(this);
        }
    }
}
