package io.bursar.topology.orders;

import io.bursar.schemas.orders.CatalogEntry;
import io.bursar.schemas.orders.Item;
import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.orders.ProcessedOrderCommand;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentStatus;
import io.bursar.serdes.Topics;
import java.util.EnumSet;
import java.util.Set;
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
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the category topology: {@code order-commands} (keyed by categoryId) and the outcomes of order
 * payments from {@code payment-events} (re-keyed by categoryId through a repartition topic) →
 * {@link OrderProcessor} on persistent RocksDB stores → {@code order-events}, the payments it asks for
 * and refunds → {@code payment-commands}, and new or changed items → {@code item-catalog}, which every
 * instance reads back as a global table. The same function serves {@code main}, TopologyTestDriver
 * tests and real-broker tests, alone or in one builder with the payment topology.
 */
public final class OrderTopology {

    /** itemId → {@link CatalogEntry}: the global table over {@code item-catalog}, read locally by every instance. */
    public static final String CATALOG_STORE = "catalog-entries";

    /** Name of the repartition of payment outcomes by categoryId (Streams adds its application id and a suffix). */
    static final String SETTLEMENTS_REPARTITION = "settlements-by-category";

    /** The payment states an order acts on or records; QUEUED, SUBMITTED and the rest are on the way to one. */
    private static final Set<PaymentStatus> SETTLED = EnumSet.of(PaymentStatus.SUCCEEDED, PaymentStatus.FAILED,
            PaymentStatus.DEAD_LETTERED, PaymentStatus.REFUNDED, PaymentStatus.REFUND_FAILED);

    private OrderTopology() {
    }

    public static void build(final StreamsBuilder builder, final Topics topics, final OrderTopologyConfig config) {
        store(builder, OrderProcessor.ITEMS_STORE, topics.valueSerde(Item.class));
        store(builder, OrderProcessor.ORDERS_STORE, topics.valueSerde(Order.class));
        store(builder, OrderProcessor.HOLD_DEADLINES_STORE, Serdes.String());
        store(builder, OrderProcessor.RESULTS_STORE, topics.valueSerde(ProcessedOrderCommand.class));
        store(builder, OrderProcessor.RESULT_DEADLINES_STORE, Serdes.String());

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
        // Payment events are keyed by paymentId; the category that owns the order is in the payment. The
        // repartition has as many partitions as order-commands, so the two inputs are co-partitioned.
        final KStream<String, SpecificRecord> settlements = builder.stream(topics.paymentEvents.name(),
                        Consumed.with(topics.paymentEvents.keySerde(), topics.paymentEvents.valueSerde())
                                .withName(topics.paymentEvents.name() + "-settlements-source"))
                .filter((paymentId, event) -> settlesAnOrder(event), Named.as("settlements-of-orders"))
                .selectKey((paymentId, event) -> event.getPayment().getCategoryId(), Named.as("settlements-by-category-key"))
                .repartition(Repartitioned.with(topics.paymentEvents.keySerde(), topics.paymentEvents.valueSerde())
                        .withName(SETTLEMENTS_REPARTITION)
                        .withNumberOfPartitions(topics.orderCommands.partitions()))
                .mapValues(event -> (SpecificRecord) event, Named.as("settlements-as-records"));

        commands.merge(settlements, Named.as("category-inputs"))
                .process(() -> new OrderProcessor(config), Named.as("category-processor"),
                        OrderProcessor.ITEMS_STORE, OrderProcessor.ORDERS_STORE, OrderProcessor.HOLD_DEADLINES_STORE,
                        OrderProcessor.RESULTS_STORE, OrderProcessor.RESULT_DEADLINES_STORE)
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
                .noDefaultBranch();
    }

    /**
     * True for the first report (not a replay) of a payment that belongs to an order and reached a state the
     * order acts on or records.
     */
    static boolean settlesAnOrder(final PaymentEvent event) {
        if (event == null || event.getDuplicate() || event.getPayment() == null) {
            return false;
        }
        final Payment payment = event.getPayment();
        return payment.getOrderId() != null && payment.getCategoryId() != null && SETTLED.contains(payment.getStatus());
    }

    private static <V> void store(final StreamsBuilder builder, final String name, final Serde<V> valueSerde) {
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(),
                valueSerde));
    }
}
