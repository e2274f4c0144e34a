package io.bursar.topology.views;

import io.bursar.schemas.orders.FulfilmentStatus;
import io.bursar.schemas.orders.InvestorPositions;
import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.orders.OrderLineState;
import io.bursar.schemas.orders.OrderStatus;
import io.bursar.schemas.orders.OrderView;
import io.bursar.schemas.orders.ParentOrderView;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.serdes.Topics;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Builds the read-side views from the event topics. They run as their own Streams application, so
 * they can be reset and rebuilt from the events without replaying commands.
 *
 * <p>{@value #COMMAND_OUTCOMES_STORE}: commandId → the command's result event (the first one; replays
 * and conflicts, marked {@code duplicate}, never replace it), read from {@code command-outcomes}, which the
 * partner topology keys by commandId: no repartition, and the topic is the store's changelog.
 *
 * <p>{@value #PAYMENTS_STORE}: paymentId → the payment as its latest event left it. Payment events are
 * keyed by paymentId already, and one task emits all events of a payment in order, so the view needs
 * no repartition; replays ({@code duplicate}) are skipped so an old snapshot never overwrites a newer one.
 *
 * <p>{@value #ORDERS_STORE}: orderId → the order with every batch as its latest event left it. Order events
 * about an order are keyed by its orderId, and every batch of an order lives in one category task, which
 * emits them in order: no repartition. Replays are skipped, an event not keyed by its order's id is not
 * about that order's view, and a rejected command never replaces a batch already shown: a rejection changes
 * nothing, and its event may carry the refused attempt rather than the order.
 *
 * <p>{@value #PARENT_ORDERS_STORE}: parentOrderId → the ids of its sub-orders (one per category), sorted and
 * without repeats. Sub-orders live in different category tasks, so their ids are repartitioned by parent
 * (only the id travels, not the order).
 *
 * <p>{@value #POSITIONS_STORE}: customerId → the units (a lending investor's notes) of every item its batches
 * invested, from each batch of a category with a fulfilment provider once it is COMPLETED: the invested lines
 * of the batch travel repartitioned by customer, and each batch counts once, however often its completed state
 * is reported again.
 */
public final class ViewsTopology {

    /** commandId → {@link PaymentEvent}. */
    public static final String COMMAND_OUTCOMES_STORE = "command-outcomes";
    /** paymentId → {@link Payment}. */
    public static final String PAYMENTS_STORE = "payments-by-id";
    /** orderId → {@link OrderView}. */
    public static final String ORDERS_STORE = "orders-by-id";
    /** parentOrderId → {@link ParentOrderView}. */
    public static final String PARENT_ORDERS_STORE = "orders-by-parent";
    /** customerId → {@link InvestorPositions}. */
    public static final String POSITIONS_STORE = "positions-by-customer";

    /**
     * Largest order view, in bytes: an order with every batch (a 50,000-note lending order is about 2 MB). Its
     * changelog accepts records this large; the views application's producer must too.
     */
    public static final int ORDER_VIEW_BYTES_MAX = 16 * 1024 * 1024;

    /**
     * The optimizations the views application is built with ({@code topology.optimization}): a table read from
     * a compacted topic restores from that topic instead of a changelog of its own.
     */
    public static final String OPTIMIZATIONS = StreamsConfig.REUSE_KTABLE_SOURCE_TOPICS;

    private ViewsTopology() {
    }

    /** What the views tell of each key they write, once it is written: the store and the key. */
    @FunctionalInterface
    public interface Changes {
        /** Nothing listens. */
        Changes NONE = (store, key) -> { };

        /** {@code key} of {@code store} was just written; called on the stream thread, so it must not block. */
        void changed(String store, String key);
    }

    public static void build(final StreamsBuilder builder, final Topics topics) {
        build(builder, topics, Changes.NONE);
    }

    /**
     * Builds the views; each write of a command outcome, a payment or an order is told to {@code changes} after it
     * is in the store (those three stores have no record cache, so a write is in the store, and told, at once),
     * for long-polls to be woken instead of reading again and again.
     */
    public static void build(final StreamsBuilder builder, final Topics topics, final Changes changes) {
        buildPaymentViews(builder, topics, changes);
        buildOrderViews(builder, topics, changes);
    }

    /** Tells {@code changes} of every write of {@code table}'s store {@code store}. */
    private static <V> void tell(final KTable<String, V> table, final String store, final Changes changes) {
        table.toStream(Named.as(store + "-changes"))
                .foreach((key, value) -> changes.changed(store, key), Named.as(store + "-told"));
    }

    private static void buildPaymentViews(final StreamsBuilder builder, final Topics topics, final Changes changes) {
        final KStream<String, PaymentEvent> firstResults = builder.stream(topics.paymentEvents.name(),
                        Consumed.with(topics.paymentEvents.keySerde(), topics.paymentEvents.valueSerde())
                                .withName(topics.paymentEvents.name() + "-view-source"))
                .filter((key, event) -> event != null && !event.getDuplicate(), Named.as("first-results-only"));
        // Keyed by commandId by the partner that decided it, and compacted: with source-topic reuse
        // (OPTIMIZATIONS) the topic is also the table's changelog.
        tell(builder.table(topics.commandOutcomes.name(),
                Consumed.with(topics.commandOutcomes.keySerde(), topics.commandOutcomes.valueSerde())
                        .withName(topics.commandOutcomes.name() + "-view-source"),
                Materialized.<String, PaymentEvent, KeyValueStore<Bytes, byte[]>>as(COMMAND_OUTCOMES_STORE)
                        .withKeySerde(topics.commandOutcomes.keySerde())
                        .withValueSerde(topics.commandOutcomes.valueSerde())
                        .withCachingDisabled()), COMMAND_OUTCOMES_STORE, changes);
        tell(firstResults
                .filter((paymentId, event) -> event.getPayment() != null, Named.as("about-a-payment"))
                .mapValues(PaymentEvent::getPayment, Named.as("the-payment"))
                .toTable(Named.as(PAYMENTS_STORE + "-table"),
                        Materialized.<String, Payment, KeyValueStore<Bytes, byte[]>>as(PAYMENTS_STORE)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(topics.valueSerde(Payment.class))
                                .withCachingDisabled()), PAYMENTS_STORE, changes);
    }

    private static void buildOrderViews(final StreamsBuilder builder, final Topics topics, final Changes changes) {
        final KStream<String, OrderEvent> orderResults = builder.stream(topics.orderEvents.name(),
                        Consumed.with(topics.orderEvents.keySerde(), topics.orderEvents.valueSerde())
                                .withName(topics.orderEvents.name() + "-view-source"))
                .filter((key, event) -> event != null && !event.getDuplicate() && event.getOrder() != null
                        && key != null && key.equals(event.getOrder().getOrderId()), Named.as("about-an-order"));
        tell(orderResults
                .groupByKey(Grouped.<String, OrderEvent>as(ORDERS_STORE + "-grouped")
                        .withKeySerde(Serdes.String()).withValueSerde(topics.orderEvents.valueSerde()))
                .aggregate(ViewsTopology::noOrder, (orderId, event, view) -> withBatch(orderId, view, event),
                        Named.as(ORDERS_STORE + "-aggregate"),
                        Materialized.<String, OrderView, KeyValueStore<Bytes, byte[]>>as(ORDERS_STORE)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(topics.valueSerde(OrderView.class))
                                .withCachingDisabled()
                                .withLoggingEnabled(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                                        Integer.toString(ORDER_VIEW_BYTES_MAX)))), ORDERS_STORE, changes);
        orderResults
                .filter((orderId, event) -> invested(event.getOrder()), Named.as("an-invested-batch"))
                .map((orderId, event) -> KeyValue.pair(event.getOrder().getCustomerId(), event.getOrder()),
                        Named.as("key-by-customer-id"))
                .groupByKey(Grouped.with(POSITIONS_STORE, Serdes.String(), topics.valueSerde(Order.class)))
                .aggregate(() -> new InvestorPositions("", Map.of(), List.of()), ViewsTopology::withInvested,
                        Named.as(POSITIONS_STORE + "-aggregate"),
                        Materialized.<String, InvestorPositions, KeyValueStore<Bytes, byte[]>>as(POSITIONS_STORE)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(topics.valueSerde(InvestorPositions.class))
                                .withLoggingEnabled(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                                        Integer.toString(ORDER_VIEW_BYTES_MAX))));
        orderResults
                .filter((orderId, event) -> event.getOrder().getParentOrderId() != null, Named.as("a-sub-order"))
                .map((orderId, event) -> KeyValue.pair(
                        event.getOrder().getParentOrderId(), orderId), Named.as("key-by-parent-order-id"))
                .groupByKey(Grouped.with(PARENT_ORDERS_STORE, Serdes.String(), Serdes.String()))
                .aggregate(ViewsTopology::noParent, ViewsTopology::withSubOrder,
                        Named.as(PARENT_ORDERS_STORE + "-aggregate"),
                        Materialized.<String, ParentOrderView, KeyValueStore<Bytes, byte[]>>as(PARENT_ORDERS_STORE)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(topics.valueSerde(ParentOrderView.class)));
    }

    /** A batch invested for good: its category has a fulfilment provider and it completed. */
    static boolean invested(final Order order) {
        return order.getStatus() == OrderStatus.COMPLETED && order.getFulfilment() == FulfilmentStatus.INVESTED;
    }

    /** {@code positions} with the invested lines of {@code batch} added, unless that batch was counted already. */
    static InvestorPositions withInvested(final String customerId, final Order batch,
                                          final InvestorPositions positions) {
        final String batchKey = batch.getCategoryId() + '/' + batch.getOrderId() + '#' + batch.getBatch();
        final int at = Collections.binarySearch(positions.getBatches(), batchKey);
        if (at >= 0) {
            return positions;
        }
        final List<String> batches = new ArrayList<>(positions.getBatches());
        batches.add(-at - 1, batchKey);
        final Map<String, Long> units = new HashMap<>(positions.getUnits());
        for (final OrderLineState line : batch.getLines()) {
            if (line.getHeld() > 0) {
                units.merge(batch.getCategoryId() + '/' + line.getItemId(), line.getHeld(), Long::sum);
            }
        }
        return new InvestorPositions(customerId, units, batches);
    }

    /** The aggregate before the first event; never stored, since the first event always adds its batch. */
    private static OrderView noOrder() {
        return new OrderView("", null, Map.of());
    }

    private static ParentOrderView noParent() {
        return new ParentOrderView("", List.of());
    }

    /** {@code view} with the batch of {@code event} replaced by the state the event left it in. */
    static OrderView withBatch(final String orderId, final OrderView view, final OrderEvent event) {
        final Order order = event.getOrder();
        final String batch = Integer.toString(order.getBatch());
        if (event.getOutcome() == Outcome.REJECTED && view.getBatches().containsKey(batch)) {
            return view;
        }
        final Map<String, Order> batches = new HashMap<>(view.getBatches());
        batches.put(batch, order);
        return new OrderView(orderId, order.getParentOrderId(), batches);
    }

    /** {@code parent} with {@code orderId} among its sub-orders, kept sorted and without repeats. */
    static ParentOrderView withSubOrder(final String parentOrderId, final String orderId, final ParentOrderView parent) {
        if (parent.getOrderIds().contains(orderId)) {
            return parent;
        }
        final TreeSet<String> orderIds = new TreeSet<>(parent.getOrderIds());
        orderIds.add(orderId);
        return new ParentOrderView(parentOrderId, new ArrayList<>(orderIds));
    }
}
