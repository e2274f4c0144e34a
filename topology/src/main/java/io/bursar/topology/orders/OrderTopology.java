package io.bursar.topology.orders;

import io.bursar.schemas.dispatch.ProviderCall;
import io.bursar.schemas.dispatch.ProviderCallResult;
import io.bursar.schemas.orders.CatalogEntry;
import io.bursar.schemas.orders.Item;
import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.orders.ProcessedOrderCommand;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.serdes.Topics;
import io.bursar.topology.CommandMemory;
import io.bursar.topology.Generation;
import io.bursar.topology.LogClock;
import io.bursar.topology.Misrouting;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
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
 * Builds the category topology: {@code order-commands}, the outcomes of order payments from
 * {@code order-payment-outcomes} and the answers of fulfilment providers from {@code fulfilment-results} (all
 * keyed by categoryId) → {@link OrderProcessor} on persistent RocksDB stores → {@code order-events}, the
 * payments it asks for and refunds → {@code payment-commands}, its bulk calls to a category's fulfilment
 * provider → {@code provider-requests}, and new or changed items → {@code item-catalog}, which every
 * instance reads back as a global table. The same function serves {@code main}, TopologyTestDriver
 * tests and real-broker tests, alone or in one builder with the payment topology.
 */
public final class OrderTopology {

    /** itemId → {@link CatalogEntry}: the global table over {@code item-catalog}, read locally by every instance. */
    public static final String CATALOG_STORE = "catalog-entries";

    private OrderTopology() {
    }

    public static void build(final StreamsBuilder builder, final Topics topics, final OrderTopologyConfig config) {
        build(builder, topics, config, Misrouting.of(topics), Generation.FIRST);
    }

    /**
     * Builds the topology for {@code generation}, counting the records it refuses for their partition in
     * {@code misrouting}.
     */
    public static void build(final StreamsBuilder builder, final Topics topics, final OrderTopologyConfig config,
                             final Misrouting misrouting, final Generation generation) {
        store(builder, OrderProcessor.ITEMS_STORE, topics.valueSerde(Item.class));
        store(builder, OrderProcessor.ORDERS_STORE, topics.valueSerde(Order.class));
        store(builder, OrderProcessor.HOLD_DEADLINES_STORE, Serdes.String());
        builder.addStateStore(CommandMemory.storeBuilder(OrderProcessor.RESULTS_STORE, config.idempotencyRetention(),
                topics.valueSerde(ProcessedOrderCommand.class)));

        builder.globalTable(topics.itemCatalog.name(),
                Consumed.with(topics.itemCatalog.keySerde(), topics.itemCatalog.valueSerde())
                        .withName(topics.itemCatalog.name() + "-source"),
                Materialized.<String, CatalogEntry, KeyValueStore<Bytes, byte[]>>as(CATALOG_STORE)
                        .withKeySerde(topics.itemCatalog.keySerde())
                        .withValueSerde(topics.itemCatalog.valueSerde()));

        final KStream<String, SpecificRecord> commands = builder.stream(topics.orderCommands.name(),
                        Consumed.with(topics.orderCommands.keySerde(), topics.orderCommands.valueSerde())
                                .withName(topics.orderCommands.name() + "-source"))
                .mapValues(command -> (SpecificRecord) command, Named.as("category-commands-as-records"));
        // The partner that paid writes the outcome keyed by categoryId, with as many partitions as order-commands:
        // the two inputs are co-partitioned.
        final KStream<String, SpecificRecord> settlements = builder.stream(topics.orderPaymentOutcomes.name(),
                        Consumed.with(topics.orderPaymentOutcomes.keySerde(), topics.orderPaymentOutcomes.valueSerde())
                                .withName(topics.orderPaymentOutcomes.name() + "-source"))
                .mapValues(event -> (SpecificRecord) event, Named.as("settlements-as-records"));

        // The dispatcher writes a fulfilment call's one result keyed by categoryId, co-partitioned like settlements.
        final KStream<String, SpecificRecord> fulfilments = builder.stream(topics.fulfilmentResults.name(),
                        Consumed.with(topics.fulfilmentResults.keySerde(), topics.fulfilmentResults.valueSerde())
                                .withName(topics.fulfilmentResults.name() + "-source"))
                .mapValues(result -> (SpecificRecord) result, Named.as("fulfilments-as-records"));

        commands.merge(settlements, Named.as("category-inputs"))
                .merge(fulfilments, Named.as("category-inputs-and-fulfilments"))
                .process(() -> new OrderProcessor(config, misrouting, generation), Named.as("category-processor"),
                        OrderProcessor.ITEMS_STORE, OrderProcessor.ORDERS_STORE, OrderProcessor.HOLD_DEADLINES_STORE,
                        OrderProcessor.RESULTS_STORE)
                .split(Named.as("category-out-"))
                .branch((key, value) -> value instanceof OrderEvent, Branched.withConsumer(events -> events
                        .mapValues(value -> (OrderEvent) value, Named.as("category-out-as-events"))
                        .to(topics.orderEvents.name(),
                                Produced.with(topics.orderEvents.keySerde(), topics.orderEvents.valueSerde())
                                        .withName(topics.orderEvents.name() + "-sink")), "events"))
                .branch((key, value) -> value instanceof PaymentCommand, Branched.withConsumer(payments -> payments
                        .mapValues(value -> (PaymentCommand) value, Named.as("category-out-as-payments"))
                        .to(topics.paymentCommands.name(),
                                Produced.with(topics.paymentCommands.keySerde(), topics.paymentCommands.valueSerde())
                                        .withName(topics.paymentCommands.name() + "-sink")), "payments"))
                .branch((key, value) -> value instanceof CatalogEntry, Branched.withConsumer(entries -> entries
                        .mapValues(value -> (CatalogEntry) value, Named.as("category-out-as-catalog"))
                        .to(topics.itemCatalog.name(),
                                Produced.with(topics.itemCatalog.keySerde(), topics.itemCatalog.valueSerde())
                                        .withName(topics.itemCatalog.name() + "-sink")), "catalog"))
                .branch((key, value) -> value instanceof ProviderCall, Branched.withConsumer(calls -> calls
                        .mapValues(value -> (ProviderCall) value, Named.as("category-out-as-calls"))
                        .to(topics.providerRequests.name(),
                                Produced.with(topics.providerRequests.keySerde(), topics.providerRequests.valueSerde())
                                        .withName("category-" + topics.providerRequests.name() + "-sink")), "calls"))
                .branch((key, value) -> value instanceof ProviderCallResult, Branched.withConsumer(refused -> refused
                        .mapValues(value -> (ProviderCallResult) value, Named.as("category-out-as-refused-fulfilments"))
                        .to(topics.deadLetters.name(), Misrouting.toDeadLetters(topics.fulfilmentResults,
                                "category-fulfilment-" + topics.deadLetters.name() + "-sink")), "refused-fulfilments"))
                .branch((key, value) -> value instanceof PaymentEvent, Branched.withConsumer(refused -> refused
                        .mapValues(value -> (PaymentEvent) value, Named.as("category-out-as-refused-outcomes"))
                        .to(topics.deadLetters.name(), Misrouting.toDeadLetters(topics.orderPaymentOutcomes,
                                "category-" + topics.deadLetters.name() + "-sink")), "refused"))
                // A tick goes back to the partition it came from (LogClock).
                .branch(LogClock::isTick, LogClock.backTo(topics.orderCommands))
                .noDefaultBranch();
    }

    private static <V> void store(final StreamsBuilder builder, final String name, final Serde<V> valueSerde) {
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(),
                valueSerde));
    }
}
