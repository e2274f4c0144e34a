package io.bursar.topology.payments;

import io.bursar.schemas.PaymentStatuses;
import io.bursar.schemas.dispatch.ProviderCall;
import io.bursar.schemas.dispatch.ProviderCallResult;
import io.bursar.schemas.payments.FundsHold;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.ProcessedCommand;
import io.bursar.serdes.Topics;
import io.bursar.topology.CommandMemory;
import io.bursar.topology.Generation;
import io.bursar.topology.LogClock;
import io.bursar.topology.Misrouting;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the partner topology: {@code payment-commands} and {@code provider-results} (both keyed by
 * partnerId) → {@link PartnerProcessor} on persistent RocksDB stores → {@code payment-events} (and
 * those that settle an order also → {@code order-payment-outcomes}, keyed by the order's category), and the
 * provider calls it decides on → {@code provider-requests}. The same function serves
 * {@code main}, TopologyTestDriver tests and real-broker tests.
 */
public final class PartnerTopology {

    private PartnerTopology() {
    }

    public static void build(final StreamsBuilder builder, final Topics topics, final PartnerTopologyConfig config) {
        build(builder, topics, config, Misrouting.of(topics), Generation.FIRST);
    }

    /**
     * Builds the topology for {@code generation}, counting the records it refuses for their partition in
     * {@code misrouting}.
     */
    public static void build(final StreamsBuilder builder, final Topics topics, final PartnerTopologyConfig config,
                             final Misrouting misrouting, final Generation generation) {
        // Cached: a partner's balance changes with most of its commands; its changelog gets the last value of each
        // commit interval instead of every one (reads, interactive queries included, see the cache first).
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(
                PartnerProcessor.BALANCES_STORE), Serdes.String(), topics.valueSerde(PartnerBalance.class))
                .withCachingEnabled());
        store(builder, PartnerProcessor.HOLDS_STORE, topics.valueSerde(FundsHold.class));
        store(builder, PartnerProcessor.HOLD_DEADLINES_STORE, Serdes.String());
        // One record per command, kept for the retention: old segments are dropped whole, without a deadline index
        // and without a tombstone per forgotten command. A window of 1 ms: each result is put at its own time.
        builder.addStateStore(CommandMemory.storeBuilder(PartnerProcessor.RESULTS_STORE,
                config.idempotencyRetention(), topics.valueSerde(ProcessedCommand.class)));
        store(builder, PartnerProcessor.PAYMENTS_STORE, topics.valueSerde(Payment.class));

        final KStream<String, SpecificRecord> commands = builder.stream(topics.paymentCommands.name(),
                        Consumed.with(topics.paymentCommands.keySerde(), topics.paymentCommands.valueSerde())
                                .withName(topics.paymentCommands.name() + "-source"))
                .mapValues(command -> (SpecificRecord) command, Named.as("commands-as-records"));
        final KStream<String, SpecificRecord> providerAnswers = builder.stream(topics.providerResults.name(),
                        Consumed.with(topics.providerResults.keySerde(), topics.providerResults.valueSerde())
                                .withName(topics.providerResults.name() + "-source"))
                .mapValues(result -> (SpecificRecord) result, Named.as("answers-as-records"));

        commands.merge(providerAnswers, Named.as("partner-inputs"))
                .process(() -> new PartnerProcessor(config, misrouting, generation), Named.as("partner-balance-processor"),
                        PartnerProcessor.BALANCES_STORE, PartnerProcessor.HOLDS_STORE,
                        PartnerProcessor.HOLD_DEADLINES_STORE, PartnerProcessor.RESULTS_STORE,
                        PartnerProcessor.PAYMENTS_STORE)
                .split(Named.as("partner-out-"))
                .branch((key, value) -> value instanceof PaymentEvent, Branched.withConsumer(events ->
                        publishEvents(events.mapValues(value -> (PaymentEvent) value, Named.as("out-as-events")),
                                topics), "events"))
                .branch((key, value) -> value instanceof ProviderCall, Branched.withConsumer(calls -> calls
                        .mapValues(value -> (ProviderCall) value, Named.as("out-as-calls"))
                        .to(topics.providerRequests.name(),
                                Produced.with(topics.providerRequests.keySerde(), topics.providerRequests.valueSerde())
                                        .withName(topics.providerRequests.name() + "-sink")), "calls"))
                .branch((key, value) -> value instanceof ProviderCallResult, Branched.withConsumer(refused -> refused
                        .mapValues(value -> (ProviderCallResult) value, Named.as("out-as-refused-results"))
                        .to(topics.deadLetters.name(), Misrouting.toDeadLetters(topics.providerResults,
                                "partner-" + topics.deadLetters.name() + "-sink")), "refused"))
                // A tick goes back to the partition it came from (LogClock).
                .branch(LogClock::isTick, LogClock.backTo(topics.paymentCommands))
                .noDefaultBranch();
    }

    /**
     * Every event to {@code payment-events}; the first result of each command also to {@code command-outcomes},
     * keyed by commandId; those that settle an order also to {@code order-payment-outcomes},
     * keyed by the order's category, in the same transaction: the category hears of the payment as soon as the
     * payment event is committed, with no hop between.
     */
    private static void publishEvents(final KStream<String, PaymentEvent> events, final Topics topics) {
        events.to(topics.paymentEvents.name(),
                Produced.with(topics.paymentEvents.keySerde(), topics.paymentEvents.valueSerde())
                        .withName(topics.paymentEvents.name() + "-sink"));
        // The views read each command's first result by commandId from here: the partner keys it, in the same
        // transaction, instead of the views re-keying every payment event through a repartition topic.
        events.filter((key, event) -> event != null && !event.getDuplicate(), Named.as("first-results"))
                .selectKey((key, event) -> event.getCommandId(), Named.as("first-results-by-command-id"))
                .to(topics.commandOutcomes.name(),
                        Produced.with(topics.commandOutcomes.keySerde(), topics.commandOutcomes.valueSerde())
                                .withName(topics.commandOutcomes.name() + "-sink"));
        events.filter((paymentId, event) -> settlesAnOrder(event), Named.as("settlements-of-orders"))
                .selectKey((paymentId, event) -> event.getPayment().getCategoryId(),
                        Named.as("settlements-by-category-key"))
                .to(topics.orderPaymentOutcomes.name(),
                        Produced.with(topics.orderPaymentOutcomes.keySerde(), topics.orderPaymentOutcomes.valueSerde())
                                .withName(topics.orderPaymentOutcomes.name() + "-sink"));
    }

    /**
     * True for the first report (not a replay) of a payment that belongs to an order and reached a state the
     * order acts on or records.
     */
    public static boolean settlesAnOrder(final PaymentEvent event) {
        if (event == null || event.getDuplicate() || event.getPayment() == null) {
            return false;
        }
        final Payment payment = event.getPayment();
        return payment.getOrderId() != null && payment.getCategoryId() != null && PaymentStatuses.isTerminal(payment.getStatus());
    }

    private static <V> void store(final StreamsBuilder builder, final String name, final Serde<V> valueSerde) {
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(),
                valueSerde));
    }
}
