// The category topology in a TopologyTestDriver, with commands, payment outcomes and reads written once for its tests.
package io.bursar.topology.orders;

import static io.bursar.topology.testing.Payments.eur;
import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.schemas.common.Money;
import io.bursar.schemas.orders.CancelOrder;
import io.bursar.schemas.orders.CancelOrderKind;
import io.bursar.schemas.orders.CatalogEntry;
import io.bursar.schemas.orders.CreateOrder;
import io.bursar.schemas.orders.CreateOrderKind;
import io.bursar.schemas.orders.Item;
import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderCommand;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.orders.OrderLine;
import io.bursar.schemas.orders.PlaceOrder;
import io.bursar.schemas.orders.PlaceOrderKind;
import io.bursar.schemas.orders.UpsertItem;
import io.bursar.schemas.orders.UpsertItemKind;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentEventType;
import io.bursar.schemas.payments.PaymentMethod;
import io.bursar.schemas.payments.PaymentStatus;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.RequestPayment;
import io.bursar.serdes.Topics;
import io.bursar.topology.testing.TestDrivers;
import io.bursar.topology.testing.WallClock;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

/**
 * One {@link OrderTopology} (optionally with more topologies in the same builder) in a TopologyTestDriver whose
 * wall clock starts at {@link #START} and moves only through {@link #clock}. Commands go to
 * {@code order-commands}, payment outcomes to {@code payment-events}, catalog records to {@code item-catalog};
 * what the topology writes is read back from {@code order-events}, {@code payment-commands} and
 * {@code item-catalog}.
 */
final class OrderDriver implements AutoCloseable {

    static final Instant START = Instant.parse("2026-11-25T10:00:00Z");
    static final long PUNCTUATION_MS = 1_000;

    final Topics topics;
    final TopologyTestDriver driver;
    final WallClock clock;
    final TestInputTopic<String, OrderCommand> commands;
    final TestInputTopic<String, PaymentEvent> paymentOutcomes;
    final TestInputTopic<String, CatalogEntry> catalogIn;
    final TestOutputTopic<String, OrderEvent> events;
    final TestOutputTopic<String, PaymentCommand> paymentCommands;
    final TestOutputTopic<String, CatalogEntry> catalogOut;

    private OrderDriver(final Path stateDir, final Map<String, Object> settings,
                        final BiConsumer<StreamsBuilder, Topics> alsoBuild) {
        topics = TestDrivers.topics(1);
        final OrderTopologyConfig config = new OrderTopologyConfig(settings);
        driver = TestDrivers.driver(TestDrivers.topology(topics, (builder, catalog) -> {
            OrderTopology.build(builder, catalog, config);
            alsoBuild.accept(builder, catalog);
        }), "bursar-orders-test", stateDir, topics, START);
        clock = new WallClock(driver, START, PUNCTUATION_MS);
        commands = TestDrivers.input(driver, topics.orderCommands);
        paymentOutcomes = TestDrivers.input(driver, topics.orderPaymentOutcomes);
        catalogIn = TestDrivers.input(driver, topics.itemCatalog);
        events = TestDrivers.output(driver, topics.orderEvents);
        paymentCommands = TestDrivers.output(driver, topics.paymentCommands);
        catalogOut = TestDrivers.output(driver, topics.itemCatalog);
    }

    /** The category topology alone, with {@code settings} over a 1 s punctuation. */
    static OrderDriver start(final Path stateDir, final Map<String, Object> settings) {
        return start(stateDir, settings, (builder, topics) -> { });
    }

    /** The category topology and whatever {@code alsoBuild} adds to the same builder. */
    static OrderDriver start(final Path stateDir, final Map<String, Object> settings,
                             final BiConsumer<StreamsBuilder, Topics> alsoBuild) {
        final Map<String, Object> all = new HashMap<>(settings);
        all.putIfAbsent(OrderTopologyConfig.PUNCTUATION_INTERVAL_MS, PUNCTUATION_MS);
        return new OrderDriver(stateDir, all, alsoBuild);
    }

    @Override
    public void close() {
        driver.close();
    }

    // ---- commands -------------------------------------------------------------------------------------------

    /** Sends a command keyed by its category; returns every order event that came out. */
    List<OrderEvent> send(final String commandId, final String categoryId, final Object payload) {
        return sendKeyed(categoryId, command(commandId, categoryId, payload, START));
    }

    List<OrderEvent> sendKeyed(final String key, final OrderCommand command) {
        // Stamped as a producer would: with the time of the driver's clock.
        commands.pipeInput(key, command, Instant.ofEpochMilli(clock.nowMs()));
        return events.readValuesToList();
    }

    /** Sends a command and returns its one result (the event with its commandId); other events are dropped. */
    OrderEvent result(final String commandId, final String categoryId, final Object payload) {
        return resultOf(commandId, send(commandId, categoryId, payload));
    }

    static OrderEvent resultOf(final String commandId, final List<OrderEvent> out) {
        final List<OrderEvent> results = out.stream().filter(e -> e.getCommandId().equals(commandId)).toList();
        assertThat(results).as("results of %s in %s", commandId, out).hasSize(1);
        return results.get(0);
    }

    static OrderCommand command(final String commandId, final String categoryId, final Object payload,
                                final Instant issuedAt) {
        return OrderCommand.newBuilder().setCommandId(commandId).setCategoryId(categoryId).setIssuedAt(issuedAt)
                .setPayload(payload).build();
    }

    /** Creates an item with a price in EUR and {@code stock} available units; asserts it was accepted. */
    void addItem(final String categoryId, final String itemId, final long priceMinor, final long stock) {
        final OrderEvent result = result("upsert-" + itemId + "-" + categoryId, categoryId,
                newItem(itemId, eur(priceMinor), stock));
        assertThat(result.getOutcome()).as("item %s: %s", itemId, result.getReason()).isEqualTo(Outcome.ACCEPTED);
        catalogOut.readValuesToList();
    }

    static UpsertItem newItem(final String itemId, final Money price, final long stock) {
        return UpsertItem.newBuilder().setUpsertItem(UpsertItemKind.UPSERT_ITEM).setItemId(itemId).setName("Item " + itemId).setPrice(price).setStockSet(stock)
                .build();
    }

    static CreateOrder.Builder order(final String orderId, final OrderLine... lines) {
        return CreateOrder.newBuilder().setCreateOrder(CreateOrderKind.CREATE_ORDER).setOrderId(orderId).setBatch(0).setBatches(1).setCustomerId("customer-1")
                .setPartnerId("shop").setItems(List.of(lines)).setHoldTtlMs(10_000L).setAllowPartial(false)
                .setPaymentMethod(PaymentMethod.BALANCE).setProviderId(null).setPlaceOnPayment(true);
    }

    static OrderLine line(final String itemId, final long quantity) {
        return new OrderLine(itemId, quantity);
    }

    static PlaceOrder place(final String orderId) {
        return new PlaceOrder(PlaceOrderKind.PLACE_ORDER, orderId, null);
    }

    static CancelOrder cancel(final String orderId) {
        return new CancelOrder(CancelOrderKind.CANCEL_ORDER, orderId, null);
    }

    // ---- payments -----------------------------------------------------------------------------------------

    /** The payment commands the topology sent since the last call. */
    List<PaymentCommand> sentPayments() {
        return paymentCommands.readValuesToList();
    }

    /** The one RequestPayment sent since the last call. */
    PaymentCommand requested() {
        final List<PaymentCommand> sent = sentPayments();
        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).getPayload()).isInstanceOf(RequestPayment.class);
        return sent.get(0);
    }

    /** Reports the payment {@code request} asked for as {@code status}, as the partner's processor would. */
    List<OrderEvent> answer(final PaymentCommand request, final PaymentStatus status) {
        paymentOutcomes.pipeInput(new TestRecord<>(((RequestPayment) request.getPayload()).getCategoryId(),
                outcome(request, status, false)));
        return events.readValuesToList();
    }

    static PaymentEvent outcome(final PaymentCommand request, final PaymentStatus status, final boolean duplicate) {
        final RequestPayment asked = (RequestPayment) request.getPayload();
        final Payment payment = Payment.newBuilder()
                .setPaymentId(asked.getPaymentId()).setPartnerId(request.getPartnerId())
                .setCommandId(request.getCommandId()).setMethod(asked.getMethod()).setProviderId(asked.getProviderId())
                .setOrderId(asked.getOrderId()).setCategoryId(asked.getCategoryId()).setAmount(asked.getAmount())
                .setStatus(status).setAttempts(1).setCreatedAt(START).setUpdatedAt(START)
                .build();
        return PaymentEvent.newBuilder()
                .setCommandId(request.getCommandId()).setPartnerId(request.getPartnerId())
                .setType(PaymentEventType.PAYMENT_UPDATED).setOutcome(Outcome.ACCEPTED).setAmount(asked.getAmount())
                .setPayment(payment).setDuplicate(duplicate).setProcessedAt(START)
                .build();
    }

    // ---- reads --------------------------------------------------------------------------------------------

    Item item(final String categoryId, final String itemId) {
        return items().get(OrderProcessor.itemKey(categoryId, itemId));
    }

    Order stored(final String categoryId, final String orderId, final int batch) {
        return orders().get(OrderFlow.orderKey(categoryId, OrderFlow.batchId(orderId, batch)));
    }

    KeyValueStore<String, Item> items() {
        return driver.getKeyValueStore(OrderProcessor.ITEMS_STORE);
    }

    KeyValueStore<String, Order> orders() {
        return driver.getKeyValueStore(OrderProcessor.ORDERS_STORE);
    }

    /** Every stored order. */
    List<Order> allOrders() {
        final List<Order> all = new ArrayList<>();
        try (var it = orders().all()) {
            it.forEachRemaining(kv -> all.add(kv.value));
        }
        return all;
    }
}
