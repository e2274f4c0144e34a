package io.bursar.topology.orders;

import static io.bursar.topology.orders.OrderDriver.cancel;
import static io.bursar.topology.orders.OrderDriver.line;
import static io.bursar.topology.orders.OrderDriver.order;
import static io.bursar.topology.orders.OrderDriver.place;
import static io.bursar.topology.testing.TestDrivers.count;
import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.schemas.OrderStatuses;
import io.bursar.schemas.orders.Item;
import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.orders.OrderLine;
import io.bursar.schemas.orders.OrderLineState;
import io.bursar.schemas.orders.OrderStatus;
import io.bursar.schemas.orders.UpsertItem;
import io.bursar.schemas.orders.UpsertItemKind;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentStatus;
import io.bursar.schemas.payments.RefundPayment;
import io.bursar.schemas.payments.RequestPayment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariants 2, 3, 4 and 6 of docs/reliability.md for the category topology under a seeded random mix of orders (some partial,
 * some in two batches), payment outcomes in any order and at any time, PlaceOrder, CancelOrder, restocks,
 * replays and wall-clock time moving on: after every step, every item has {@code available + held + sold =
 * stocked}, none negative, and holds and sales match the orders; every command has exactly one first result;
 * at the end, after every TTL passed and every payment and refund was answered, every order is terminal, no
 * unit is held, and every payment that succeeded for an order that did not complete was refunded once.
 */
class OrderInvariantsTest {

    private static final String TOYS = "toys";
    private static final int STEPS = 3_000;
    private static final int ITEMS = 5;
    private static final long TTL_MS_MAX = 5_000;
    private static final long SEED = 20_261_125L;

    private final Random random = new Random(SEED);

    @AutoClose
    private final OrderDriver orders;

    private final List<PaymentCommand> unansweredPayments = new ArrayList<>();
    private final List<PaymentCommand> unansweredRefunds = new ArrayList<>();
    private final Map<String, PaymentCommand> requestsByPaymentId = new HashMap<>();
    private final Map<String, Integer> refundsByPaymentId = new HashMap<>();
    private final List<String> orderIds = new ArrayList<>();
    private final List<Object[]> sentCommands = new ArrayList<>();
    private final Set<String> firstResults = new HashSet<>();

    OrderInvariantsTest(@TempDir final Path stateDir) {
        orders = OrderDriver.start(stateDir, Map.of(OrderTopologyConfig.PUNCTUATION_WORK_MAX, 1_000));
    }

    @Test
    void stockIsNeverOversoldAndEveryOrderAndHoldEnds() {
        for (int i = 0; i < ITEMS; i++) {
            orders.addItem(TOYS, itemId(i), 100L + 10 * i, 10 + random.nextInt(20));
        }
        for (int step = 0; step < STEPS; step++) {
            final int kind = random.nextInt(100);
            if (kind < 30) {
                createOrder();
            } else if (kind < 55) {
                answerPayment(random.nextInt(10) < 7 ? PaymentStatus.SUCCEEDED
                        : random.nextBoolean() ? PaymentStatus.FAILED : PaymentStatus.DEAD_LETTERED);
            } else if (kind < 63) {
                command("place-" + step, place(someOrderId()));
            } else if (kind < 71) {
                command("cancel-" + step, cancel(someOrderId()));
            } else if (kind < 84) {
                orders.clock.jump(Duration.ofMillis(random.nextInt(1_500)));
                collect();
            } else if (kind < 89) {
                answerRefund(random.nextInt(5) == 0 ? PaymentStatus.REFUND_FAILED : PaymentStatus.REFUNDED);
            } else if (kind < 94) {
                restock(step);
            } else {
                replay();
            }
            assertStockAddsUp();
            if (step % 25 == 0) {
                assertHoldsAndSalesMatchTheOrders();
            }
        }

        // Every TTL passes, then every payment and every refund is answered.
        orders.clock.jump(Duration.ofMillis(TTL_MS_MAX + OrderDriver.PUNCTUATION_MS));
        collect();
        while (!unansweredPayments.isEmpty()) {
            answerPayment(random.nextBoolean() ? PaymentStatus.SUCCEEDED : PaymentStatus.FAILED);
        }
        while (!unansweredRefunds.isEmpty()) {
            answerRefund(PaymentStatus.REFUNDED);
        }
        orders.clock.advance(2);
        collect();

        assertStockAddsUp();
        assertHoldsAndSalesMatchTheOrders();
        final List<Order> all = orders.allOrders();
        assertThat(all).hasSizeGreaterThan(STEPS / 10);
        assertThat(all).allSatisfy(order -> assertThat(OrderStatuses.isTerminal(order.getStatus()))
                .as("order %s is %s", order.getPaymentId(), order.getStatus()).isTrue());
        try (var items = orders.items().all()) {
            items.forEachRemaining(kv -> assertThat(kv.value.getHeld()).as("held of %s", kv.key).isZero());
        }
        assertThat(count(orders.driver.getKeyValueStore(OrderProcessor.HOLD_DEADLINES_STORE))).isZero();
        for (final Order order : all) {
            final boolean paid = order.getPaymentStatus() == PaymentStatus.SUCCEEDED
                    || order.getPaymentStatus() == PaymentStatus.REFUNDED
                    || order.getPaymentStatus() == PaymentStatus.REFUND_FAILED;
            final int refunds = refundsByPaymentId.getOrDefault(order.getPaymentId(), 0);
            if (order.getStatus() == OrderStatus.COMPLETED) {
                assertThat(refunds).as("refunds of completed %s", order.getPaymentId()).isZero();
            } else if (paid) {
                // A refund that failed is recorded, not asked for again.
                assertThat(order.getPaymentStatus()).isIn(PaymentStatus.REFUNDED, PaymentStatus.REFUND_FAILED);
                assertThat(refunds).as("refunds of %s %s", order.getStatus(), order.getPaymentId()).isEqualTo(1);
            }
        }
        final Map<OrderStatus, Long> byStatus = new HashMap<>();
        all.forEach(order -> byStatus.merge(order.getStatus(), 1L, Long::sum));
        assertThat(byStatus.keySet()).contains(OrderStatus.COMPLETED, OrderStatus.EXPIRED, OrderStatus.CANCELLED,
                OrderStatus.FAILED);
        assertThat(refundsByPaymentId).isNotEmpty();
    }

    private void createOrder() {
        final String orderId = "o" + orderIds.size();
        orderIds.add(orderId);
        final int batches = random.nextInt(10) == 0 ? 2 : 1;
        final boolean allowPartial = random.nextInt(10) < 3;
        final boolean placeOnPayment = random.nextInt(10) < 6;
        final long ttlMs = 500 + random.nextInt((int) TTL_MS_MAX - 500);
        for (int batch = 0; batch < batches; batch++) {
            final List<OrderLine> lines = new ArrayList<>();
            final int first = random.nextInt(ITEMS);
            final int count = 1 + random.nextInt(3);
            for (int i = 0; i < count && i < ITEMS; i++) {
                lines.add(line(itemId((first + i) % ITEMS), 1 + random.nextInt(4)));
            }
            command("create-" + orderId + "#" + batch, order(orderId).setItems(lines).setBatch(batch)
                    .setBatches(batches).setAllowPartial(allowPartial).setPlaceOnPayment(placeOnPayment)
                    .setHoldTtlMs(ttlMs).build());
        }
    }

    private void restock(final int step) {
        final UpsertItem.Builder upsert = UpsertItem.newBuilder().setUpsertItem(UpsertItemKind.UPSERT_ITEM).setItemId(itemId(random.nextInt(ITEMS)));
        if (random.nextBoolean()) {
            upsert.setStockDelta((long) random.nextInt(12) - 3);
        } else {
            upsert.setStockSet((long) random.nextInt(20));
        }
        command("restock-" + step, upsert.build());
    }

    /** Mostly one of the last few orders, which may still be live; now and then an old or an unknown one. */
    private String someOrderId() {
        if (orderIds.isEmpty() || random.nextInt(20) == 0) {
            return "unknown";
        }
        final int recent = Math.min(orderIds.size(), 8);
        return random.nextInt(5) == 0 ? orderIds.get(random.nextInt(orderIds.size()))
                : orderIds.get(orderIds.size() - 1 - random.nextInt(recent));
    }

    /** Sends a new command and checks it got exactly one first result. */
    private void command(final String commandId, final Object payload) {
        sentCommands.add(new Object[] {commandId, payload});
        final List<OrderEvent> out = orders.send(commandId, TOYS, payload);
        final OrderEvent result = OrderDriver.resultOf(commandId, out);
        assertThat(result.getDuplicate()).isFalse();
        absorb(out);
    }

    /** Sends an earlier command again: its original outcome comes back, marked duplicate, and nothing else. */
    private void replay() {
        if (sentCommands.isEmpty()) {
            return;
        }
        final Object[] earlier = sentCommands.get(random.nextInt(sentCommands.size()));
        final List<OrderEvent> out = orders.send((String) earlier[0], TOYS, earlier[1]);
        assertThat(out).hasSize(1);
        assertThat(out.get(0).getDuplicate()).isTrue();
        assertThat(out.get(0).getOutcome()).isNotNull();
        assertThat(orders.sentPayments()).isEmpty();
    }

    private void answerPayment(final PaymentStatus status) {
        if (unansweredPayments.isEmpty()) {
            return;
        }
        absorb(orders.answer(unansweredPayments.remove(random.nextInt(unansweredPayments.size())), status));
    }

    private void answerRefund(final PaymentStatus status) {
        if (unansweredRefunds.isEmpty()) {
            return;
        }
        final PaymentCommand refund = unansweredRefunds.remove(random.nextInt(unansweredRefunds.size()));
        final String paymentId = ((RefundPayment) refund.getPayload()).getPaymentId();
        absorb(orders.answer(requestsByPaymentId.get(paymentId), status));
    }

    private void collect() {
        absorb(orders.events.readValuesToList());
    }

    /** Checks the events' first results are unique, and takes note of the payments and refunds asked for. */
    private void absorb(final List<OrderEvent> events) {
        for (final OrderEvent event : events) {
            if (!event.getDuplicate()) {
                assertThat(firstResults.add(event.getCommandId())).as("first result of %s", event.getCommandId())
                        .isTrue();
            }
            if (event.getOutcome() == Outcome.ACCEPTED && event.getOrder() != null) {
                assertThat(event.getOrder().getStatus()).isNotEqualTo(OrderStatus.REJECTED);
            }
        }
        for (final PaymentCommand sent : orders.sentPayments()) {
            if (sent.getPayload() instanceof RequestPayment request) {
                assertThat(requestsByPaymentId.put(request.getPaymentId(), sent)).isNull();
                unansweredPayments.add(sent);
            } else {
                final String paymentId = ((RefundPayment) sent.getPayload()).getPaymentId();
                assertThat(sent.getCommandId()).isEqualTo("refund:" + paymentId);
                refundsByPaymentId.merge(paymentId, 1, Integer::sum);
                assertThat(refundsByPaymentId.get(paymentId)).as("refunds of %s", paymentId).isEqualTo(1);
                unansweredRefunds.add(sent);
            }
        }
    }

    private void assertStockAddsUp() {
        for (int i = 0; i < ITEMS; i++) {
            final Item item = orders.item(TOYS, itemId(i));
            assertThat(item.getAvailable()).isNotNegative();
            assertThat(item.getHeld()).isNotNegative();
            assertThat(item.getSold()).isNotNegative().isLessThanOrEqualTo(item.getStocked());
            assertThat(item.getAvailable() + item.getHeld() + item.getSold()).as("%s", item)
                    .isEqualTo(item.getStocked());
        }
    }

    /** Held units are those of the orders that hold stock; sold units those of the placed ones. */
    private void assertHoldsAndSalesMatchTheOrders() {
        final Map<String, Long> held = new HashMap<>();
        final Map<String, Long> sold = new HashMap<>();
        for (final Order order : orders.allOrders()) {
            final Map<String, Long> into = OrderFlow.holdsStock(order.getStatus()) ? held
                    : order.getStatus() == OrderStatus.COMPLETED || order.getStatus() == OrderStatus.PLACED ? sold
                    : null;
            if (into != null) {
                for (final OrderLineState line : order.getLines()) {
                    into.merge(line.getItemId(), line.getHeld(), Long::sum);
                }
            }
        }
        for (int i = 0; i < ITEMS; i++) {
            final Item item = orders.item(TOYS, itemId(i));
            assertThat(item.getHeld()).as("held of %s", item.getItemId()).isEqualTo(held.getOrDefault(itemId(i), 0L));
            assertThat(item.getSold()).as("sold of %s", item.getItemId()).isEqualTo(sold.getOrDefault(itemId(i), 0L));
        }
    }

    private static String itemId(final int i) {
        return "item-" + i;
    }
}
