package io.bursar.topology.payments;

import io.bursar.schemas.payments.FundsHold;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.ProcessedCommand;
import io.bursar.serdes.Topics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the partner-balance topology: {@code payment-commands} → {@link PartnerBalanceProcessor} on
 * persistent RocksDB stores → {@code payment-events}. The same function serves {@code main},
 * TopologyTestDriver tests and real-broker tests.
 */
public final class PaymentTopology {

    private PaymentTopology() {
    }

    public static void build(final StreamsBuilder builder, final Topics topics, final PaymentTopologyConfig config) {
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(PartnerBalanceProcessor.BALANCES_STORE),
                Serdes.String(), topics.valueSerde(PartnerBalance.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(PartnerBalanceProcessor.HOLDS_STORE),
                Serdes.String(), topics.valueSerde(FundsHold.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(PartnerBalanceProcessor.HOLD_DEADLINES_STORE),
                Serdes.String(), Serdes.String()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(PartnerBalanceProcessor.RESULTS_STORE),
                Serdes.String(), topics.valueSerde(ProcessedCommand.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(PartnerBalanceProcessor.RESULT_DEADLINES_STORE),
                Serdes.String(), Serdes.String()));

        builder.stream(topics.paymentCommands.name(),
                        Consumed.with(topics.paymentCommands.keySerde(), topics.paymentCommands.valueSerde())
                                .withName(topics.paymentCommands.name() + "-source"))
                .process(() -> new PartnerBalanceProcessor(config), Named.as("partner-balance-processor"),
                        PartnerBalanceProcessor.BALANCES_STORE, PartnerBalanceProcessor.HOLDS_STORE,
                        PartnerBalanceProcessor.HOLD_DEADLINES_STORE, PartnerBalanceProcessor.RESULTS_STORE,
                        PartnerBalanceProcessor.RESULT_DEADLINES_STORE)
                .to(topics.paymentEvents.name(),
                        Produced.with(topics.paymentEvents.keySerde(), topics.paymentEvents.valueSerde())
                                .withName(topics.paymentEvents.name() + "-sink"));
    }
}
