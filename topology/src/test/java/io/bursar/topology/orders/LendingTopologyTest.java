// Lending: loans as items of a pool whose Finance Service is told of every batch in bulk, with partial success.
package io.bursar.topology.orders;

import static io.bursar.topology.orders.OrderDriver.START;
import static io.bursar.topology.orders.OrderDriver.cancel;
import static io.bursar.topology.orders.OrderDriver.line;
import static io.bursar.topology.orders.OrderDriver.order;
import static io.bursar.topology.testing.Payments.command;
import static io.bursar.topology.testing.Payments.eur;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.bursar.connectors.ProviderOperation;
import io.bursar.connectors.ProviderRequest;
import io.bursar.connectors.ProviderResult;
import io.bursar.schemas.dispatch.FulfilmentLineOutcome;
import io.bursar.schemas.dispatch.ProviderCall;
import io.bursar.schemas.orders.FulfilmentStatus;
import io.bursar.schemas.orders.Item;
import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.orders.OrderLine;
import io.bursar.schemas.orders.OrderLineState;
import io.bursar.schemas.orders.OrderRejectionReason;
import io.bursar.schemas.orders.OrderStatus;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.CreditKind;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentStatus;
import io.bursar.topology.dispatch.ProviderDispatchConfig;
import io.bursar.topology.dispatch.ProviderDispatchTopology;
import io.bursar.topology.dispatch.ProviderLimits;
import io.bursar.topology.payments.PartnerProcessor;
import io.bursar.topology.payments.PartnerTopology;
import io.bursar.topology.payments.PartnerTopologyConfig;
import io.bursar.topology.testing.ScriptedConnector;
import io.bursar.topology.testing.TestDrivers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The category, partner and dispatch topologies in one builder, as the application runs them, with the pool
 * {@value #POOL} kept by the Finance Service {@value #FINANCE} (a scripted connector). Investors pay from their
 * balance (BALANCE payments), so every step of a lending order runs inside the driver.
 */
class LendingTopologyTest {

    private static final String POOL = "pool-a";
    private static final String FINANCE = "finance";
    private static final String INVESTOR = "investor-1";
    private static final long NOTE = 2_500;

    @TempDir
    Path stateDir;

    private OrderDriver orders;
    private ScriptedConnector finance;
    private TestInputTopic<String, PaymentCommand> partnerCommands;
    private TestOutputTopic<String, ProviderCall> deadLetters;

    @AfterEach
    void stop() {
        if (orders != null) {
            orders.close();
        }
    }

    /** Starts the topologies with a Finance Service that answers each line as {@code script} says. */
    private void start(final Function<ProviderRequest, ProviderResult> script, final int loans, final long notesEach) {
        start(script, loans, notesEach, Map.of());
    }

    private void start(final Function<ProviderRequest, ProviderResult> script, final int loans, final long notesEach,
                       final Map<String, Object> dispatch) {
        final long[] now = {START.toEpochMilli()};
        finance = ScriptedConnector.answering(script, () -> now[0]);
        orders = OrderDriver.start(stateDir, Map.of(OrderTopologyConfig.FULFILMENT_PROVIDERS, POOL + "=" + FINANCE),
                (builder, topics) -> {
                    PartnerTopology.build(builder, topics, new PartnerTopologyConfig(Map.of()));
                    ProviderDispatchTopology.build(builder, topics, new ProviderDispatchConfig(dispatch),
                            providerId -> FINANCE.equals(providerId) ? finance : null,
                            providerId -> new ProviderLimits(2, 2), ceilingMs -> 0L);
                });
        partnerCommands = TestDrivers.input(orders.driver, orders.topics.paymentCommands);
        deadLetters = TestDrivers.output(orders.driver, orders.topics.providerDeadLetters);
        for (int i = 0; i < loans; i++) {
            orders.addItem(POOL, "loan-" + i, NOTE, notesEach);
        }
        credit(INVESTOR, 1_000_000);
        credit("investor-2", 1_000_000);
    }

    private void credit(final String partnerId, final long minor) {
        partnerCommands.pipeInput(partnerId,
                command("credit-" + partnerId, partnerId, new Credit(CreditKind.CREDIT, eur(minor)), START));
    }

    private static ProviderResult refuseOn(final ProviderRequest request, final ProviderOperation operation,
                                           final Set<String> loans) {
        return request.operation() == operation && loans.contains(request.itemId())
                ? ProviderResult.permanent(request.idempotencyKey(), 200, "refused: loan closed")
                : ProviderResult.success(request.idempotencyKey(), 200, Optional.of("fs-" + request.idempotencyKey()));
    }

    private static OrderLine[] oneNoteOfEach(final int loans) {
        final OrderLine[] lines = new OrderLine[loans];
        for (int i = 0; i < loans; i++) {
            lines[i] = line("loan-" + i, 1);
        }
        return lines;
    }

    private Order investInFiveLoans(final String orderId, final String investor) {
        orders.send("c-" + orderId, POOL, order(orderId, oneNoteOfEach(5)).setCustomerId(investor).setPartnerId(investor)
                .setAllowPartial(true).setHoldTtlMs(60_000).build());
        orders.clock.advanceUntil(() -> orders.stored(POOL, orderId, 0).getStatus() != OrderStatus.RESERVED
                && orders.stored(POOL, orderId, 0).getStatus() != OrderStatus.PAID, 40);
        return orders.stored(POOL, orderId, 0);
    }

    private long available(final String partnerId) {
        final PartnerBalance balance = orders.driver.<String, PartnerBalance>getKeyValueStore(
                PartnerProcessor.BALANCES_STORE).get(partnerId);
        return balance.getAccounts().get("EUR").getAvailableMinor();
    }

    private Payment payment(final String partnerId, final String paymentId) {
        return orders.driver.<String, Payment>getKeyValueStore(PartnerProcessor.PAYMENTS_STORE)
                .get(PartnerProcessor.partnerScopedKey(partnerId, paymentId));
    }

    @Test
    void aBatchIsReservedThenInvestedInTwoBulkCallsAndRefusedLinesAreRemovedAndRefunded() {
        start(request -> request.operation() == ProviderOperation.RESERVE ? refuseOn(request, ProviderOperation.RESERVE,
                Set.of("loan-1")) : refuseOn(request, ProviderOperation.INVEST, Set.of("loan-3")), 5, 10);

        final Order done = investInFiveLoans("o1", INVESTOR);

        assertThat(done.getStatus()).isEqualTo(OrderStatus.COMPLETED);
        assertThat(done.getFulfilment()).isEqualTo(FulfilmentStatus.INVESTED);
        assertThat(done.getLines()).extracting(OrderLineState::getItemId, OrderLineState::getHeld)
                .containsExactly(tuple("loan-0", 1L),
                        tuple("loan-1", 0L),
                        tuple("loan-2", 1L),
                        tuple("loan-3", 0L),
                        tuple("loan-4", 1L));
        assertThat(done.getLines().get(1).getRemovedReason()).startsWith("RESERVE FAILED: refused");
        assertThat(done.getLines().get(3).getRemovedReason()).startsWith("INVEST FAILED: refused");
        // Two calls for the whole batch: RESERVE with five lines, INVEST with the four reserved.
        assertThat(finance.bulkCalls()).extracting(List::size).containsExactly(5, 4);
        assertThat(finance.bulkCalls().get(1)).extracting(ProviderRequest::operation).containsOnly(ProviderOperation.INVEST);
        // Paid for four notes after RESERVE, the one INVEST refused given back: three notes paid in the end.
        assertThat(available(INVESTOR)).isEqualTo(1_000_000 - 3 * NOTE);
        final Payment payment = payment(INVESTOR, "o1#0");
        assertThat(payment.getAmount()).isEqualTo(eur(4 * NOTE));
        assertThat(payment.getRefundedMinor()).isEqualTo(NOTE);
        assertThat(payment.getStatus()).isEqualTo(PaymentStatus.SUCCEEDED);
        // Sold where invested, available again where refused; every identity holds.
        for (int i = 0; i < 5; i++) {
            final Item loan = orders.item(POOL, "loan-" + i);
            assertThat(loan.getSold()).as("loan-%d", i).isEqualTo(i == 1 || i == 3 ? 0 : 1);
            assertThat(loan.getHeld()).isZero();
            assertThat(loan.getAvailable() + loan.getHeld() + loan.getSold()).isEqualTo(loan.getStocked());
        }
        // Each refused line is on the dead-letter topic, with its reason, for manual review.
        final List<ProviderCall> dead = deadLetters.readValuesToList();
        assertThat(dead).hasSize(2);
        assertThat(dead).allSatisfy(call -> assertThat(call.getLines()).hasSize(1));
        assertThat(dead).extracting(call -> call.getLines().get(0).getItemId()).containsExactly("loan-1", "loan-3");
        assertThat(dead).extracting(call -> call.getLines().get(0).getOutcome())
                .containsOnly(FulfilmentLineOutcome.FAILED);
    }

    @Test
    void aWholeCallFailureIsRetriedAndARetrySendsOnlyTheLinesStillOpen() {
        final int[] calls = {0};
        start(request -> {
            if (request.operation() == ProviderOperation.RESERVE && request.attempt() == 0) {
                // First attempt: loan-0 is done, loan-4 refused, the rest time out.
                return switch (request.itemId()) {
                    case "loan-0" -> ProviderResult.success(request.idempotencyKey(), 200, Optional.empty());
                    case "loan-4" -> ProviderResult.permanent(request.idempotencyKey(), 200, "refused: closed");
                    default -> ProviderResult.retryable(request.idempotencyKey(), 0, "timeout", Optional.empty());
                };
            }
            calls[0]++;
            return ProviderResult.success(request.idempotencyKey(), 200, Optional.empty());
        }, 5, 10);

        final Order done = investInFiveLoans("o2", INVESTOR);

        assertThat(done.getStatus()).isEqualTo(OrderStatus.COMPLETED);
        assertThat(finance.bulkCalls()).extracting(List::size).containsExactly(5, 3, 4);
        assertThat(finance.bulkCalls().get(1)).extracting(ProviderRequest::itemId)
                .containsExactly("loan-1", "loan-2", "loan-3");
        assertThat(finance.bulkCalls().get(1)).extracting(ProviderRequest::idempotencyKey)
                .isEqualTo(finance.bulkCalls().get(0).subList(1, 4).stream().map(ProviderRequest::idempotencyKey).toList());
        assertThat(done.getLines()).filteredOn(line -> line.getHeld() == 1).hasSize(4);
        assertThat(available(INVESTOR)).isEqualTo(1_000_000 - 4 * NOTE);
    }

    @Test
    void aBatchWhoseCallsRunOutOfAttemptsFailsOnlyItsOwnLines() {
        // Every RESERVE line of batch 1 times out; two attempts at most.
        start(request -> request.paymentId().endsWith("#1")
                        ? ProviderResult.retryable(request.idempotencyKey(), 0, "timeout", Optional.empty())
                        : ProviderResult.success(request.idempotencyKey(), 200, Optional.empty()), 4, 10,
                Map.of(ProviderDispatchConfig.ATTEMPTS_MAX, 2, ProviderDispatchConfig.BACKOFF_BASE_MS, 1L,
                        ProviderDispatchConfig.BACKOFF_CAP_MS, 1L));

        orders.send("c-b0", POOL, order("o7", line("loan-0", 1), line("loan-1", 1)).setBatch(0).setBatches(2)
                .setCustomerId(INVESTOR).setPartnerId(INVESTOR).setAllowPartial(true).build());
        orders.send("c-b1", POOL, order("o7", line("loan-2", 1), line("loan-3", 1)).setBatch(1).setBatches(2)
                .setCustomerId(INVESTOR).setPartnerId(INVESTOR).setAllowPartial(true).build());
        orders.clock.advanceUntil(() -> orders.stored(POOL, "o7", 0).getStatus() == OrderStatus.COMPLETED
                && orders.stored(POOL, "o7", 1).getStatus() == OrderStatus.FAILED, 40);

        final Order failed = orders.stored(POOL, "o7", 1);
        assertThat(failed.getReason()).isEqualTo("FULFILMENT_REFUSED");
        assertThat(failed.getLines()).allSatisfy(line -> {
            assertThat(line.getHeld()).isZero();
            assertThat(line.getRemovedReason()).startsWith("RESERVE DEAD_LETTERED: timeout");
        });
        assertThat(orders.item(POOL, "loan-2").getAvailable()).isEqualTo(10);
        assertThat(payment(INVESTOR, "o7#1")).isNull();
        assertThat(orders.stored(POOL, "o7", 0).getLines()).allMatch(line -> line.getHeld() == 1);
        assertThat(available(INVESTOR)).isEqualTo(1_000_000 - 2 * NOTE);
        final List<ProviderCall> dead = deadLetters.readValuesToList();
        assertThat(dead).singleElement().satisfies(call -> assertThat(call.getLines())
                .extracting(line -> line.getOutcome()).containsOnly(FulfilmentLineOutcome.DEAD_LETTERED));
        assertThat(finance.bulkCalls().stream().filter(call -> call.get(0).paymentId().equals("o7#1"))).hasSize(2);
    }

    @Test
    void aBatchWhoseEveryLineIsRefusedFailsWithoutAPayment() {
        start(request -> ProviderResult.permanent(request.idempotencyKey(), 200, "refused: pool closed"), 3, 10);

        orders.send("c1", POOL, order("o3", oneNoteOfEach(3)).setCustomerId(INVESTOR).setPartnerId(INVESTOR)
                .setAllowPartial(true).build());
        orders.clock.advanceUntil(() -> orders.stored(POOL, "o3", 0).getStatus() == OrderStatus.FAILED, 20);

        final Order failed = orders.stored(POOL, "o3", 0);
        assertThat(failed.getReason()).isEqualTo("FULFILMENT_REFUSED");
        assertThat(failed.getLines()).allMatch(line -> line.getHeld() == 0 && line.getRemovedReason() != null);
        assertThat(payment(INVESTOR, "o3#0")).isNull();
        assertThat(available(INVESTOR)).isEqualTo(1_000_000);
        assertThat(orders.item(POOL, "loan-0").getAvailable()).isEqualTo(10);
    }

    @Test
    void withoutAllowPartialOneRefusedLineFailsTheBatchAndReleasesWhatWasReserved() {
        start(request -> refuseOn(request, ProviderOperation.RESERVE, Set.of("loan-2")), 3, 10);

        orders.send("c1", POOL, order("o4", oneNoteOfEach(3)).setCustomerId(INVESTOR).setPartnerId(INVESTOR).build());
        orders.clock.advanceUntil(() -> orders.stored(POOL, "o4", 0).getStatus() == OrderStatus.FAILED, 20);
        orders.clock.advanceUntil(() -> finance.bulkCalls().size() == 2, 20);

        assertThat(orders.stored(POOL, "o4", 0).getFulfilment()).isEqualTo(FulfilmentStatus.RELEASED);
        assertThat(finance.bulkCalls().get(1)).extracting(ProviderRequest::operation)
                .containsOnly(ProviderOperation.RELEASE);
        assertThat(finance.bulkCalls().get(1)).extracting(ProviderRequest::itemId).containsExactly("loan-0", "loan-1");
        for (int i = 0; i < 3; i++) {
            assertThat(orders.item(POOL, "loan-" + i).getAvailable()).isEqualTo(10);
        }
    }

    @Test
    void aBatchCannotBeCancelledWhileTheFinanceServiceWorksOnIt() {
        start(request -> ProviderResult.success(request.idempotencyKey(), 200, Optional.empty()), 2, 10);
        orders.send("c1", POOL, order("o5", oneNoteOfEach(2)).setCustomerId(INVESTOR).setPartnerId(INVESTOR).build());

        final OrderEvent refused = orders.result("x1", POOL, cancel("o5"));

        assertThat(refused.getOutcome()).isEqualTo(Outcome.REJECTED);
        assertThat(refused.getReason()).isEqualTo(OrderRejectionReason.ORDER_NOT_CANCELLABLE);
        assertThat(orders.stored(POOL, "o5", 0).getFulfilment()).isEqualTo(FulfilmentStatus.RESERVING);
    }

    @Test
    void aPaymentThatFailsAfterTheReservationReleasesTheLoansAtTheFinanceService() {
        start(request -> ProviderResult.success(request.idempotencyKey(), 200, Optional.empty()), 2, 10);

        // investor-9 has no balance: the payment asked for after RESERVE fails.
        orders.send("c1", POOL, order("o6", oneNoteOfEach(2)).setCustomerId("investor-9").setPartnerId("investor-9")
                .build());
        orders.clock.advanceUntil(() -> orders.stored(POOL, "o6", 0).getStatus() == OrderStatus.FAILED, 20);
        orders.clock.advanceUntil(() -> finance.bulkCalls().size() == 2, 20);

        assertThat(orders.stored(POOL, "o6", 0).getReason()).startsWith("PAYMENT_FAILED");
        assertThat(finance.bulkCalls()).extracting(call -> call.get(0).operation())
                .containsExactly(ProviderOperation.RESERVE, ProviderOperation.RELEASE);
        assertThat(orders.item(POOL, "loan-0").getAvailable()).isEqualTo(10);
    }

    @Test
    void twoInvestorsRacingForTheSameLoansNeverOverAllocateOne() {
        start(request -> ProviderResult.success(request.idempotencyKey(), 200, Optional.empty()), 5, 3);
        final List<String> orderIds = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            final String investor = i % 2 == 0 ? INVESTOR : "investor-2";
            final String orderId = "race-" + i;
            orderIds.add(orderId);
            orders.send("c-" + orderId, POOL, order(orderId, oneNoteOfEach(5)).setCustomerId(investor)
                    .setPartnerId(investor).setAllowPartial(true).build());
        }
        orders.clock.advanceUntil(() -> orderIds.stream().map(id -> orders.stored(POOL, id, 0))
                .allMatch(order -> order == null || !OrderFlow.holdsStock(order.getStatus())), 60);

        long invested = 0;
        for (final String orderId : orderIds) {
            final Order order = orders.stored(POOL, orderId, 0);
            if (order != null && order.getStatus() == OrderStatus.COMPLETED) {
                invested += order.getLines().stream().mapToLong(OrderLineState::getHeld).sum();
            }
        }
        // Five loans of three notes: the first three orders get one note of each, the fourth is refused.
        assertThat(invested).isEqualTo(15);
        for (int i = 0; i < 5; i++) {
            final Item loan = orders.item(POOL, "loan-" + i);
            assertThat(loan.getSold()).isEqualTo(3);
            assertThat(loan.getAvailable()).isZero();
        }
    }
}
