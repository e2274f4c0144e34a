package io.bursar.topology.payments;

import io.bursar.schemas.dispatch.ProviderCall;
import io.bursar.schemas.payments.FundsHold;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.ProcessedCommand;
import io.bursar.serdes.Topics;
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
 * partnerId) → {@link PartnerBalanceProcessor} on persistent RocksDB stores → {@code payment-events},
 * and the provider calls it decides on → {@code provider-requests}. The same function serves
 * {@code main}, TopologyTestDriver tests and real-broker tests.
 */
public final class PaymentTopology {

    private PaymentTopology() {
    }

    public static void build(final StreamsBuilder builder, final Topics topics, final PaymentTopologyConfig config) {
        store(builder, PartnerBalanceProcessor.BALANCES_STORE, topics.valueSerde(PartnerBalance.class));
        store(builder, PartnerBalanceProcessor.HOLDS_STORE, topics.valueSerde(FundsHold.class));
        store(builder, PartnerBalanceProcessor.HOLD_DEADLINES_STORE, Serdes.String());
        store(builder, PartnerBalanceProcessor.RESULTS_STORE, topics.valueSerde(ProcessedCommand.class));
        store(builder, PartnerBalanceProcessor.RESULT_DEADLINES_STORE, Serdes.String());
        store(builder, PartnerBalanceProcessor.PAYMENTS_STORE, topics.valueSerde(Payment.class));

        final KStream<String, SpecificRecord> commands = builder.stream(topics.paymentCommands.name(),
                        Consumed.with(topics.paymentCommands.keySerde(), topics.paymentCommands.valueSerde())
                                .withName(topics.paymentCommands.name() + "-source"))
                .mapValues(command -> (SpecificRecord) command, Named.as("commands-as-records"));
        final KStream<String, SpecificRecord> providerAnswers = builder.stream(topics.providerResults.name(),
                        Consumed.with(topics.providerResults.keySerde(), topics.providerResults.valueSerde())
                                .withName(topics.providerResults.name() + "-source"))
                .mapValues(result -> (SpecificRecord) result, Named.as("answers-as-records"));

        commands.merge(providerAnswers, Named.as("partner-inputs"))
                .process(() -> new PartnerBalanceProcessor(config), Named.as("partner-balance-processor"),
                        PartnerBalanceProcessor.BALANCES_STORE, PartnerBalanceProcessor.HOLDS_STORE,
                        PartnerBalanceProcessor.HOLD_DEADLINES_STORE, PartnerBalanceProcessor.RESULTS_STORE,
                        PartnerBalanceProcessor.RESULT_DEADLINES_STORE, PartnerBalanceProcessor.PAYMENTS_STORE)
                .split(Named.as("partner-out-"))
                .branch((key, value) -> value instanceof PaymentEvent, Branched.withConsumer(events -> events
                        .mapValues(value -> (PaymentEvent) value, Named.as("out-as-events"))
                        .to(topics.paymentEvents.name(),
                                Produced.with(topics.paymentEvents.keySerde(), topics.paymentEvents.valueSerde())
                                        .withName(topics.paymentEvents.name() + "-sink")), "events"))
                .branch((key, value) -> value instanceof ProviderCall, Branched.withConsumer(calls -> calls
                        .mapValues(value -> (ProviderCall) value, Named.as("out-as-calls"))
                        .to(topics.providerRequests.name(),
                                Produced.with(topics.providerRequests.keySerde(), topics.providerRequests.valueSerde())
                                        .withName(topics.providerRequests.name() + "-sink")), "calls"))
                .noDefaultBranch();
    }

    private static <V> void store(final StreamsBuilder builder, final String name, final Serde<V> valueSerde) {
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(),
                valueSerde));
    }
}
