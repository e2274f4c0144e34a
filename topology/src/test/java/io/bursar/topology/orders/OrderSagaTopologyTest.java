package io.bursar.topology.orders;

import static io.bursar.topology.orders.OrderDriver.cancel;
import static io.bursar.topology.orders.OrderDriver.line;
import static io.bursar.topology.orders.OrderDriver.order;
import static io.bursar.topology.orders.OrderDriver.place;
import static io.bursar.topology.orders.OrderDriver.resultOf;
import static io.bursar.topology.testing.Payments.eur;
import static io.bursar.topology.testing.TestDrivers.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.bursar.schemas.orders.PlaceOrderKind;
import io.bursar.schemas.orders.PlaceOrder;
import io.bursar.schemas.orders.CancelOrderKind;
import io.bursar.schemas.orders.CancelOrder;
import io.bursar.schemas.orders.CreateOrder;
import io.bursar.schemas.orders.Item;
import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.orders.OrderEventType;
import io.bursar.schemas.orders.OrderRejectionReason;
import io.bursar.schemas.orders.OrderStatus;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentStatus;
import io.bursar.schemas.payments.RefundPayment;
import io.bursar.schemas.payments.RefundPaymentKind;
import io.bursar.schemas.payments.RequestPayment;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The order saga in the category topology: payment outcomes piped into {@code order-payment-outcomes} (keyed by
 * category, as the partner that paid writes them); placing, cancelling and expiring, for one batch and for several.
 */
class OrderSagaTopologyTest {

    private static final String TOYS = "toys";
    private static final long TTL_MS = 10_000;
    private static final int WORK_MAX = 2;

    @AutoClose
    private final OrderDriver orders;

    OrderSagaTopologyTest(@TempDir final Path stateDir) {
        orders = OrderDriver.start(stateDir, Map.of(OrderTopologyConfig.PUNCTUATION_WORK_MAX, WORK_MAX));
    }

    @BeforeEach
    void addItems() {
        orders.addItem(TOYS, "ball", 250, 10);
        orders.addItem(TOYS, "kite", 1_000, 5);
    }

    // ---- payment outcomes ---------------------------------------------------------------------------------

    @Test
    void aSucceededPaymentPaysPlacesAndCompletesTheOrder() {
        final PaymentCommand request = create("o1", true);

        final List<OrderEvent> out = orders.answer(request, PaymentStatus.SUCCEEDED);

        assertThat(out).extracting(OrderEvent::getType).containsOnly(OrderEventType.ORDER_UPDATED);
        assertThat(out).extracting(e -> e.getOrder().getStatus())
                .containsExactly(OrderStatus.PAID, OrderStatus.PLACED, OrderStatus.COMPLETED);
        assertThat(out).extracting(OrderEvent::getCommandId).containsExactly("payment:o1#0:SUCCEEDED",
                "payment:o1#0:SUCCEEDED:PLACED", "payment:o1#0:SUCCEEDED:COMPLETED");
        assertThat(out.get(1).getItems()).extracting(Item::getItemId, Item::getHeld, Item::getSold)
                .containsExactly(tuple("ball", 0L, 2L),
                        tuple("kite", 0L, 1L));
        assertThat(out.get(2).getOrder().getPaymentStatus()).isEqualTo(PaymentStatus.SUCCEEDED);
        assertStock("ball", 8, 0, 2);
        assertStock("kite", 4, 0, 1);
        assertThat(count(orders.driver.getKeyValueStore(OrderProcessor.HOLD_DEADLINES_STORE))).isZero();
        assertThat(orders.sentPayments()).isEmpty();
    }

    @Test
    void anOutcomeThatPlacesTheOrderWritesItsStoreOnce() {
        final PaymentCommand request = create("o1", true);
        final TestOutputTopic<String, Order> changelog = orders.driver.createOutputTopic(
                "bursar-orders-test-" + OrderProcessor.ORDERS_STORE + "-changelog", new StringDeserializer(),
                orders.topics.valueSerde(Order.class).deserializer());
        changelog.readValuesToList();

        orders.answer(request, PaymentStatus.SUCCEEDED);

        // Three events (PAID, PLACED, COMPLETED), one changelog record: where the order ended.
        assertThat(changelog.readValuesToList()).extracting(Order::getStatus).containsExactly(OrderStatus.COMPLETED);
        assertThat(orders.driver.<String, Order>getKeyValueStore(OrderProcessor.ORDERS_STORE).get("toys/o1#0")
                .getStatus()).isEqualTo(OrderStatus.COMPLETED);
    }

    @Test
    void outcomeEventsAreKeyedByOrderId() {
        final PaymentCommand request = create("o1", true);
        orders.paymentOutcomes.pipeInput(TOYS, OrderDriver.outcome(request, PaymentStatus.SUCCEEDED, false));

        final List<TestRecord<String, OrderEvent>> out = orders.events.readRecordsToList();

        assertThat(out).hasSize(3).allSatisfy(record -> assertThat(record.key()).isEqualTo("o1"));
    }

    @Test
    void aPaidOrderWaitsForPlaceOrderWhenItDoesNotPlaceOnPayment() {
        final PaymentCommand request = create("o1", false);

        final List<OrderEvent> paid = orders.answer(request, PaymentStatus.SUCCEEDED);
        assertThat(paid).hasSize(1);
        assertThat(paid.get(0).getOrder().getStatus()).isEqualTo(OrderStatus.PAID);
        assertStock("ball", 8, 2, 0);

        final OrderEvent placed = orders.result("p1", TOYS, place("o1"));
        assertThat(placed.getType()).isEqualTo(OrderEventType.PLACE_ORDER);
        assertThat(placed.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(placed.getOrder().getStatus()).isEqualTo(OrderStatus.COMPLETED);
        assertThat(placed.getItems()).extracting(Item::getItemId).containsExactly("ball", "kite");
        assertStock("ball", 8, 0, 2);
    }

    @Test
    void placingTwiceIsAcceptedWithoutAnotherChange() {
        orders.answer(create("o1", false), PaymentStatus.SUCCEEDED);
        orders.result("p1", TOYS, place("o1"));

        final List<OrderEvent> again = orders.send("p2", TOYS, place("o1"));

        assertThat(again).hasSize(1);
        assertThat(again.get(0).getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(again.get(0).getDuplicate()).isFalse();
        assertThat(again.get(0).getItems()).isEmpty();
        assertThat(again.get(0).getOrder().getStatus()).isEqualTo(OrderStatus.COMPLETED);
        assertStock("ball", 8, 0, 2);
    }

    @Test
    void anOrderIsNotPlacedBeforeItIsPaid() {
        create("o1", false);

        final OrderEvent event = orders.result("p1", TOYS, place("o1"));

        assertThat(event.getReason()).isEqualTo(OrderRejectionReason.ORDER_NOT_PAID);
        assertThat(event.getOrder().getStatus()).isEqualTo(OrderStatus.RESERVED);
        assertStock("ball", 8, 2, 0);
    }

    @Test
    void unknownOrdersAreNotFound() {
        assertThat(orders.result("p1", TOYS, place("nope")).getReason()).isEqualTo(OrderRejectionReason.ORDER_NOT_FOUND);
        assertThat(orders.result("x1", TOYS, cancel("nope")).getReason()).isEqualTo(OrderRejectionReason.ORDER_NOT_FOUND);
        assertThat(orders.result("x2", TOYS, cancel("a/b")).getReason()).isEqualTo(OrderRejectionReason.INVALID_COMMAND);
    }

    @Test
    void aChangeDecidedAtAnEarlierRecordTimeDoesNotMoveAnItemsOrAnOrdersTimeBack() {
        orders.clock.jump(Duration.ofSeconds(10));
        final PaymentCommand request = create("o1", true);
        final Instant held = orders.item(TOYS, "ball").getUpdatedAt();

        // The partner's outcome is stamped with an earlier time than the order's create (another producer's clock).
        final List<OrderEvent> out = orders.answer(request, PaymentStatus.SUCCEEDED);

        assertThat(out.get(out.size() - 1).getOrder().getStatus()).isEqualTo(OrderStatus.COMPLETED);
        assertStock("ball", 8, 0, 2);
        assertThat(orders.item(TOYS, "ball").getUpdatedAt()).isAfterOrEqualTo(held);
        assertThat(out.get(out.size() - 1).getOrder().getUpdatedAt()).isAfterOrEqualTo(held);
    }

    @Test
    void aSenderActingForAnotherPartnerFindsNoOrder() {
        create("o1", false);

        final OrderEvent cancel = orders.result("x1", TOYS, new CancelOrder(CancelOrderKind.CANCEL_ORDER, "o1", "rival"));
        final OrderEvent place = orders.result("x2", TOYS, new PlaceOrder(PlaceOrderKind.PLACE_ORDER, "o1", "rival"));

        assertThat(cancel.getReason()).isEqualTo(OrderRejectionReason.ORDER_NOT_FOUND);
        assertThat(cancel.getOrder()).as("nothing of the order told").isNull();
        assertThat(place.getReason()).isEqualTo(OrderRejectionReason.ORDER_NOT_FOUND);
        assertStock("ball", 8, 2, 0);
        final OrderEvent own = orders.result("x3", TOYS, new CancelOrder(CancelOrderKind.CANCEL_ORDER, "o1", "shop"));
        assertThat(own.getOrder().getStatus()).isEqualTo(OrderStatus.CANCELLED);
        assertStock("ball", 10, 0, 0);
    }

    @Test
    void aFailedPaymentFailsTheOrderAndReleasesItsStock() {
        final PaymentCommand request = create("o1", true);

        final List<OrderEvent> out = orders.answer(request, PaymentStatus.FAILED);

        assertThat(out).hasSize(1);
        assertThat(out.get(0).getOrder().getStatus()).isEqualTo(OrderStatus.FAILED);
        assertThat(out.get(0).getOrder().getPaymentStatus()).isEqualTo(PaymentStatus.FAILED);
        assertThat(out.get(0).getOrder().getReason()).isEqualTo("PAYMENT_FAILED");
        assertThat(out.get(0).getItems()).extracting(Item::getItemId).containsExactly("ball", "kite");
        assertStock("ball", 10, 0, 0);
        assertThat(orders.result("p1", TOYS, place("o1")).getReason()).isEqualTo(OrderRejectionReason.ORDER_NOT_PAID);
        assertThat(orders.result("x1", TOYS, cancel("o1")).getReason())
                .isEqualTo(OrderRejectionReason.ORDER_NOT_CANCELLABLE);
    }

    @Test
    void aDeadLetteredPaymentFailsTheOrderToo() {
        final List<OrderEvent> out = orders.answer(create("o1", true), PaymentStatus.DEAD_LETTERED);

        assertThat(out.get(0).getOrder().getStatus()).isEqualTo(OrderStatus.FAILED);
        assertStock("kite", 5, 0, 0);
    }

    @Test
    void aRepeatedOutcomeChangesNothing() {
        final PaymentCommand request = create("o1", true);
        orders.answer(request, PaymentStatus.SUCCEEDED);

        assertThat(orders.answer(request, PaymentStatus.SUCCEEDED)).isEmpty();
        assertThat(orders.answer(request, PaymentStatus.FAILED)).hasSize(1);
        assertThat(orders.stored(TOYS, "o1", 0).getStatus()).isEqualTo(OrderStatus.COMPLETED);
        assertStock("ball", 8, 0, 2);
        assertThat(orders.sentPayments()).isEmpty();
    }

    @Test
    void onlyFirstReportsOfSettledOrderPaymentsMoveTheOrder() {
        final PaymentCommand request = create("o1", true);
        orders.paymentOutcomes.pipeInput(TOYS, OrderDriver.outcome(request, PaymentStatus.SUCCEEDED, true));
        orders.paymentOutcomes.pipeInput(TOYS, OrderDriver.outcome(request, PaymentStatus.QUEUED, false));
        orders.paymentOutcomes.pipeInput(TOYS, OrderDriver.outcome(request, PaymentStatus.SUBMITTED, false));
        final PaymentEvent noOrder = OrderDriver.outcome(request, PaymentStatus.SUCCEEDED, false);
        noOrder.getPayment().setOrderId(null);
        orders.paymentOutcomes.pipeInput(TOYS, noOrder);
        final PaymentEvent noPayment = OrderDriver.outcome(request, PaymentStatus.SUCCEEDED, false);
        noPayment.setPayment(null);
        orders.paymentOutcomes.pipeInput(TOYS, noPayment);

        assertThat(orders.events.isEmpty()).isTrue();
        assertThat(orders.stored(TOYS, "o1", 0).getStatus()).isEqualTo(OrderStatus.RESERVED);
    }

    @Test
    void aPaymentThatIsNotTheOrdersIsIgnored() {
        final PaymentCommand request = create("o1", true);
        final PaymentEvent otherPartner = OrderDriver.outcome(request, PaymentStatus.SUCCEEDED, false);
        otherPartner.getPayment().setPartnerId("someone-else");
        final PaymentEvent otherAmount = OrderDriver.outcome(request, PaymentStatus.SUCCEEDED, false);
        otherAmount.getPayment().setAmount(eur(1));

        orders.paymentOutcomes.pipeInput(TOYS, otherPartner);
        orders.paymentOutcomes.pipeInput(TOYS, otherAmount);

        assertThat(orders.events.isEmpty()).isTrue();
        assertThat(orders.stored(TOYS, "o1", 0).getStatus()).isEqualTo(OrderStatus.RESERVED);
    }

    @Test
    void refundOutcomesAreRecorded() {
        final PaymentCommand request = create("o1", false);
        orders.answer(request, PaymentStatus.SUCCEEDED);
        orders.result("x1", TOYS, cancel("o1"));
        orders.sentPayments();

        final List<OrderEvent> failed = orders.answer(request, PaymentStatus.REFUND_FAILED);
        final List<OrderEvent> refunded = orders.answer(request, PaymentStatus.REFUNDED);

        assertThat(failed.get(0).getOrder().getPaymentStatus()).isEqualTo(PaymentStatus.REFUND_FAILED);
        assertThat(refunded.get(0).getCommandId()).isEqualTo("payment:o1#0:REFUNDED");
        assertThat(refunded.get(0).getOrder().getPaymentStatus()).isEqualTo(PaymentStatus.REFUNDED);
        assertThat(refunded.get(0).getOrder().getStatus()).isEqualTo(OrderStatus.CANCELLED);
        assertThat(orders.sentPayments()).isEmpty();
    }

    // ---- CancelOrder --------------------------------------------------------------------------------------

    @Test
    void cancellingAReservedOrderReleasesItsStock() {
        create("o1", true);

        final OrderEvent cancelled = orders.result("x1", TOYS, cancel("o1"));

        assertThat(cancelled.getType()).isEqualTo(OrderEventType.CANCEL_ORDER);
        assertThat(cancelled.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(cancelled.getOrder().getStatus()).isEqualTo(OrderStatus.CANCELLED);
        assertThat(cancelled.getItems()).extracting(Item::getAvailable).containsExactly(10L, 5L);
        assertStock("ball", 10, 0, 0);
        assertThat(orders.sentPayments()).isEmpty();
        assertThat(count(orders.driver.getKeyValueStore(OrderProcessor.HOLD_DEADLINES_STORE))).isZero();
    }

    @Test
    void cancellingTwiceIsAcceptedWithoutAnotherChange() {
        create("o1", true);
        orders.result("x1", TOYS, cancel("o1"));

        final List<OrderEvent> again = orders.send("x2", TOYS, cancel("o1"));
        final List<OrderEvent> replay = orders.send("x1", TOYS, cancel("o1"));

        assertThat(again).hasSize(1);
        assertThat(again.get(0).getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(again.get(0).getDuplicate()).isFalse();
        assertThat(again.get(0).getItems()).isEmpty();
        assertThat(replay).hasSize(1);
        assertThat(replay.get(0).getDuplicate()).isTrue();
        assertStock("ball", 10, 0, 0);
    }

    @Test
    void cancellingAPaidOrderReleasesItsStockAndRefundsIt() {
        final PaymentCommand request = create("o1", false);
        orders.answer(request, PaymentStatus.SUCCEEDED);

        final OrderEvent cancelled = orders.result("x1", TOYS, cancel("o1"));

        assertThat(cancelled.getOrder().getStatus()).isEqualTo(OrderStatus.CANCELLED);
        assertThat(cancelled.getOrder().getRefundRequested()).isTrue();
        assertStock("ball", 10, 0, 0);
        assertRefunded("o1#0");
    }

    @Test
    void aPlacedOrderCannotBeCancelled() {
        orders.answer(create("o1", true), PaymentStatus.SUCCEEDED);

        final OrderEvent event = orders.result("x1", TOYS, cancel("o1"));

        assertThat(event.getReason()).isEqualTo(OrderRejectionReason.ORDER_ALREADY_PLACED);
        assertThat(event.getOrder().getStatus()).isEqualTo(OrderStatus.COMPLETED);
        assertStock("ball", 8, 0, 2);
        assertThat(orders.sentPayments()).isEmpty();
    }

    @Test
    void aCancelledOrderIsNotPlaced() {
        final PaymentCommand request = create("o1", false);
        orders.result("x1", TOYS, cancel("o1"));

        assertThat(orders.result("p1", TOYS, place("o1")).getReason()).isEqualTo(OrderRejectionReason.ORDER_NOT_PAID);
        // Paid after it was cancelled: refunded, and still not placed.
        final List<OrderEvent> late = orders.answer(request, PaymentStatus.SUCCEEDED);
        assertThat(late).hasSize(1);
        assertThat(late.get(0).getOrder().getStatus()).isEqualTo(OrderStatus.CANCELLED);
        assertThat(late.get(0).getOrder().getRefundRequested()).isTrue();
        assertRefunded("o1#0");
        assertThat(orders.answer(request, PaymentStatus.SUCCEEDED)).isEmpty();
        assertThat(orders.sentPayments()).isEmpty();
        assertStock("ball", 10, 0, 0);
    }

    // ---- expiry ---------------------------------------------------------------------------------------------

    @Test
    void expiredHoldsAreReleasedByTheWallClockPunctuatorInBoundedBatches() {
        for (int i = 1; i <= 3; i++) {
            create("o" + i, true);
        }
        orders.result("late", TOYS, order("o-late", line("ball", 1)).setHoldTtlMs(60_000L).build());
        assertStock("ball", 3, 7, 0);

        orders.clock.jump(Duration.ofMillis(TTL_MS - 1_000));
        assertThat(orders.events.isEmpty()).isTrue();

        orders.clock.advance(1);
        final List<OrderEvent> first = orders.events.readValuesToList();
        assertThat(first).hasSize(WORK_MAX);
        orders.clock.advance(1);
        final List<OrderEvent> second = orders.events.readValuesToList();
        assertThat(second).hasSize(1);

        assertThat(first.get(0).getType()).isEqualTo(OrderEventType.ORDER_EXPIRED);
        assertThat(first.get(0).getCommandId()).isEqualTo(OrderProcessor.EXPIRY_COMMAND_PREFIX + "o1#0");
        assertThat(first.get(0).getOrder().getStatus()).isEqualTo(OrderStatus.EXPIRED);
        assertThat(first.get(0).getOrder().getReason()).isEqualTo("HOLD_EXPIRED");
        assertThat(second.get(0).getItems()).extracting(Item::getItemId).containsExactly("ball", "kite");
        assertStock("ball", 9, 1, 0);
        assertStock("kite", 5, 0, 0);
        assertThat(orders.stored(TOYS, "o-late", 0).getStatus()).isEqualTo(OrderStatus.RESERVED);
        assertThat(orders.sentPayments()).noneMatch(command -> command.getPayload() instanceof RefundPayment);
    }

    @Test
    void aPaidOrderThatIsNotPlacedInTimeExpiresAndIsRefunded() {
        orders.answer(create("o1", false), PaymentStatus.SUCCEEDED);

        orders.clock.jump(Duration.ofMillis(TTL_MS));

        final List<OrderEvent> out = orders.events.readValuesToList();
        assertThat(out).hasSize(1);
        assertThat(out.get(0).getOrder().getStatus()).isEqualTo(OrderStatus.EXPIRED);
        assertThat(out.get(0).getOrder().getRefundRequested()).isTrue();
        assertStock("ball", 10, 0, 0);
        assertRefunded("o1#0");
        assertThat(orders.result("p1", TOYS, place("o1")).getReason()).isEqualTo(OrderRejectionReason.ORDER_NOT_PAID);
    }

    @Test
    void aPaymentThatSucceedsAfterTheOrderExpiredIsRefundedOnce() {
        final PaymentCommand request = create("o1", true);
        orders.clock.jump(Duration.ofMillis(TTL_MS));
        assertThat(orders.events.readValuesToList()).extracting(OrderEvent::getType)
                .containsExactly(OrderEventType.ORDER_EXPIRED);

        final List<OrderEvent> late = orders.answer(request, PaymentStatus.SUCCEEDED);

        assertThat(late).hasSize(1);
        assertThat(late.get(0).getType()).isEqualTo(OrderEventType.ORDER_UPDATED);
        assertThat(late.get(0).getOrder().getStatus()).isEqualTo(OrderStatus.EXPIRED);
        assertThat(late.get(0).getOrder().getPaymentStatus()).isEqualTo(PaymentStatus.SUCCEEDED);
        assertRefunded("o1#0");
        assertThat(orders.answer(request, PaymentStatus.SUCCEEDED)).isEmpty();
        orders.answer(request, PaymentStatus.REFUNDED);
        assertThat(orders.sentPayments()).isEmpty();
        assertStock("ball", 10, 0, 0);
    }

    @Test
    void anOrderPastItsDeadlineIsExpiredBeforeItsPaymentEvenWhenThePunctuatorHasNotRunYet() {
        final PaymentCommand request = create("o1", true);
        // Records carry no wall-clock time: move the driver's clock without reaching a punctuation.
        orders.clock.jump(Duration.ofMillis(TTL_MS - 500));
        orders.driver.advanceWallClockTime(Duration.ofMillis(600));

        final List<OrderEvent> out = orders.answer(request, PaymentStatus.SUCCEEDED);

        assertThat(out).extracting(OrderEvent::getType)
                .containsExactly(OrderEventType.ORDER_EXPIRED, OrderEventType.ORDER_UPDATED);
        assertThat(out.get(1).getOrder().getStatus()).isEqualTo(OrderStatus.EXPIRED);
        assertRefunded("o1#0");
        assertStock("ball", 10, 0, 0);
        orders.clock.advance(2);
        assertThat(orders.events.isEmpty()).isTrue();
    }

    @Test
    void anExpiredOrderIsNotCancellable() {
        create("o1", true);
        orders.clock.jump(Duration.ofMillis(TTL_MS));
        orders.events.readValuesToList();

        final OrderEvent event = orders.result("x1", TOYS, cancel("o1"));

        assertThat(event.getReason()).isEqualTo(OrderRejectionReason.ORDER_NOT_CANCELLABLE);
        assertThat(event.getOrder().getStatus()).isEqualTo(OrderStatus.EXPIRED);
    }

    @Test
    void aReplayShowsTheOrderAsItStandsNow() {
        create("o1", true);
        orders.clock.jump(Duration.ofMillis(TTL_MS));
        orders.events.readValuesToList();

        final List<OrderEvent> replay = orders.send("create-o1", TOYS, order("o1", line("ball", 2), line("kite", 1))
                .setHoldTtlMs(TTL_MS).build());

        assertThat(replay).hasSize(1);
        assertThat(replay.get(0).getDuplicate()).isTrue();
        assertThat(replay.get(0).getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(replay.get(0).getOrder().getStatus()).isEqualTo(OrderStatus.EXPIRED);
    }

    // ---- batches --------------------------------------------------------------------------------------------

    @Test
    void theBatchesOfAnOrderArePlacedTogether() {
        final PaymentCommand first = createBatch("o1", 0, 2, "ball", 2);
        final PaymentCommand second = createBatch("o1", 1, 2, "kite", 3);
        orders.answer(first, PaymentStatus.SUCCEEDED);
        orders.answer(second, PaymentStatus.SUCCEEDED);

        final List<OrderEvent> out = orders.send("p1", TOYS, place("o1"));

        assertThat(out).hasSize(2);
        final OrderEvent result = resultOf("p1", out);
        assertThat(result.getType()).isEqualTo(OrderEventType.PLACE_ORDER);
        assertThat(result.getOrder().getBatch()).isZero();
        assertThat(result.getOrder().getStatus()).isEqualTo(OrderStatus.COMPLETED);
        final OrderEvent other = resultOf("p1#1", out);
        assertThat(other.getType()).isEqualTo(OrderEventType.ORDER_UPDATED);
        assertThat(other.getOrder().getBatch()).isEqualTo(1);
        assertThat(other.getOrder().getStatus()).isEqualTo(OrderStatus.COMPLETED);
        assertStock("ball", 8, 0, 2);
        assertStock("kite", 2, 0, 3);
    }

    @Test
    void anOrderIsNotPlacedWhileABatchWaitsForItsPayment() {
        orders.answer(createBatch("o1", 0, 2, "ball", 2), PaymentStatus.SUCCEEDED);
        createBatch("o1", 1, 2, "kite", 3);

        final List<OrderEvent> out = orders.send("p1", TOYS, place("o1"));

        assertThat(out).hasSize(1);
        assertThat(out.get(0).getReason()).isEqualTo(OrderRejectionReason.ORDER_NOT_PAID);
        assertStock("ball", 8, 2, 0);
        assertStock("kite", 2, 3, 0);
    }

    @Test
    void theBatchesOfAnOrderAreCancelledTogetherAndThePaidOnesRefunded() {
        createBatch("o1", 0, 2, "ball", 2);
        final PaymentCommand second = createBatch("o1", 1, 2, "kite", 3);
        orders.answer(second, PaymentStatus.SUCCEEDED);

        final List<OrderEvent> out = orders.send("x1", TOYS, cancel("o1"));

        assertThat(out).hasSize(2);
        assertThat(resultOf("x1", out).getOrder().getStatus()).isEqualTo(OrderStatus.CANCELLED);
        assertThat(resultOf("x1#1", out).getOrder().getStatus()).isEqualTo(OrderStatus.CANCELLED);
        assertStock("ball", 10, 0, 0);
        assertStock("kite", 5, 0, 0);
        assertRefunded("o1#1");
    }

    @Test
    void aBatchThatEndedStaysEndedWhenTheOthersAreCancelled() {
        final PaymentCommand first = createBatch("o1", 0, 2, "ball", 2);
        createBatch("o1", 1, 2, "kite", 3);
        orders.answer(first, PaymentStatus.FAILED);

        final List<OrderEvent> out = orders.send("x1", TOYS, cancel("o1"));

        assertThat(out).hasSize(2);
        final OrderEvent result = resultOf("x1", out);
        assertThat(result.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(result.getOrder().getStatus()).isEqualTo(OrderStatus.FAILED);
        assertThat(resultOf("x1#1", out).getOrder().getStatus()).isEqualTo(OrderStatus.CANCELLED);
        assertStock("kite", 5, 0, 0);
    }

    @Test
    void anOrderWithAPlacedBatchIsNotCancelled() {
        // Batch 0 places itself once paid; batch 1 still waits for its payment.
        orders.result("create-o1#0", TOYS, order("o1", line("ball", 2)).setBatches(2).setHoldTtlMs(TTL_MS).build());
        orders.answer(orders.requested(), PaymentStatus.SUCCEEDED);
        createBatch("o1", 1, 2, "kite", 3);

        final OrderEvent event = orders.result("x1", TOYS, cancel("o1"));

        assertThat(event.getReason()).isEqualTo(OrderRejectionReason.ORDER_ALREADY_PLACED);
        assertStock("kite", 2, 3, 0);
    }

    @Test
    void batchesAreFoundByTheirOwnOrderIdOnly() {
        createBatch("o1", 0, 1, "ball", 1);
        // An order whose id starts with "o1#" shares the prefix of o1's batch keys.
        createBatch("o1#0", 0, 1, "ball", 1);
        createBatch("o1#", 0, 1, "kite", 1);

        final List<OrderEvent> out = orders.send("x1", TOYS, cancel("o1"));

        assertThat(out).hasSize(1);
        assertThat(out.get(0).getOrder().getOrderId()).isEqualTo("o1");
        assertStock("ball", 9, 1, 0);
        assertStock("kite", 4, 1, 0);
    }

    private PaymentCommand create(final String orderId, final boolean placeOnPayment) {
        final OrderEvent event = orders.result("create-" + orderId, TOYS,
                order(orderId, line("ball", 2), line("kite", 1)).setHoldTtlMs(TTL_MS).setPlaceOnPayment(placeOnPayment)
                        .build());
        assertThat(event.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        return orders.requested();
    }

    private PaymentCommand createBatch(final String orderId, final int batch, final int batches, final String itemId,
                                       final long quantity) {
        final CreateOrder create = order(orderId, line(itemId, quantity)).setBatch(batch).setBatches(batches)
                .setHoldTtlMs(TTL_MS).setPlaceOnPayment(false).build();
        final OrderEvent event = orders.result("create-" + orderId + "#" + batch, TOYS, create);
        assertThat(event.getOutcome()).as("%s", event.getReason()).isEqualTo(Outcome.ACCEPTED);
        final PaymentCommand request = orders.requested();
        assertThat(((RequestPayment) request.getPayload()).getPaymentId()).isEqualTo(orderId + "#" + batch);
        return request;
    }

    private void assertRefunded(final String paymentId) {
        final List<TestRecord<String, PaymentCommand>> sent = orders.paymentCommands.readRecordsToList();
        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).key()).isEqualTo("shop");
        assertThat(sent.get(0).value().getCommandId()).isEqualTo("refund:" + paymentId);
        assertThat(sent.get(0).value().getPayload()).isEqualTo(new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, paymentId, null));
    }

    private void assertStock(final String itemId, final long available, final long held, final long sold) {
        final Item item = orders.item(TOYS, itemId);
        assertThat(item.getAvailable()).as("available of %s", itemId).isEqualTo(available);
        assertThat(item.getHeld()).as("held of %s", itemId).isEqualTo(held);
        assertThat(item.getSold()).as("sold of %s", itemId).isEqualTo(sold);
        assertThat(item.getStocked()).isEqualTo(available + held + sold);
    }
}
