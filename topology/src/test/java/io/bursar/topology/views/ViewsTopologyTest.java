package io.bursar.topology.views;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import io.bursar.schemas.common.Money;
import io.bursar.schemas.orders.Item;
import io.bursar.schemas.orders.FulfilmentStatus;
import io.bursar.schemas.orders.InvestorPositions;
import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.orders.OrderEventType;
import io.bursar.schemas.orders.OrderLineState;
import io.bursar.schemas.orders.OrderRejectionReason;
import io.bursar.schemas.orders.OrderStatus;
import io.bursar.schemas.orders.OrderView;
import io.bursar.schemas.orders.ParentOrderView;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentMethod;
import io.bursar.schemas.payments.PaymentStatus;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentEventType;
import io.bursar.schemas.payments.RejectionReason;
import io.bursar.serdes.Topics;
import io.bursar.topology.testing.TestDrivers;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command-outcome view keeps each command's first result; the payment view each payment's latest state;
 * the order view every batch's latest state; the parent view the sub-orders of each parent.
 */
class ViewsTopologyTest {

    @AutoClose
    private final TopologyTestDriver driver;
    private final TestInputTopic<String, PaymentEvent> events;
    private final TestInputTopic<String, OrderEvent> orderEvents;
    private final TestInputTopic<String, PaymentEvent> outcomeRecords;
    private final TopologyDescription description;

    ViewsTopologyTest(@TempDir final Path stateDir) {
        final Topics topics = TestDrivers.topics(1);
        final Topology topology = TestDrivers.topology(topics, ViewsTopology::build);
        description = topology.describe();
        // No initial wall-clock time: the driver starts at the system's.
        driver = TestDrivers.driver(topology, "views-test", stateDir, topics, null);
        events = TestDrivers.input(driver, topics.paymentEvents);
        orderEvents = TestDrivers.input(driver, topics.orderEvents);
        outcomeRecords = TestDrivers.input(driver, topics.commandOutcomes);
    }

    @Test
    void theCommandOutcomesViewIsTheCommandOutcomesTopic() {
        outcomeRecords.pipeInput("c1", event("c1", Outcome.ACCEPTED, null, false));
        outcomeRecords.pipeInput("c2", event("c2", Outcome.REJECTED, RejectionReason.INSUFFICIENT_FUNDS, false));

        final KeyValueStore<String, PaymentEvent> outcomes = driver.getKeyValueStore(ViewsTopology.COMMAND_OUTCOMES_STORE);
        assertThat(outcomes.get("c1").getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(outcomes.get("c2").getReason()).isEqualTo(RejectionReason.INSUFFICIENT_FUNDS);
        assertThat(outcomes.get("c3")).isNull();
    }

    @Test
    void thePaymentViewKeepsTheLatestStateAndIgnoresReplays() {
        events.pipeInput("pay-1", paymentEvent("c1", PaymentStatus.QUEUED, false));
        events.pipeInput("pay-1", paymentEvent("provider:k:SUBMITTED", PaymentStatus.SUBMITTED, false));
        events.pipeInput("pay-1", paymentEvent("provider:k:SUCCEEDED", PaymentStatus.SUCCEEDED, false));
        // A client repeating its request gets the original QUEUED result back, marked duplicate.
        events.pipeInput("pay-1", paymentEvent("c1", PaymentStatus.QUEUED, true));
        events.pipeInput("p1", event("c2", Outcome.ACCEPTED, null, false));

        final KeyValueStore<String, Payment> payments = driver.getKeyValueStore(ViewsTopology.PAYMENTS_STORE);
        assertThat(payments.get("pay-1").getStatus()).isEqualTo(PaymentStatus.SUCCEEDED);
        assertThat(payments.get("p1")).isNull();
    }

    @Test
    void theOrderViewKeepsEveryBatchAtItsLatestStateAndIgnoresReplays() {
        orderEvents.pipeInput("o-1", orderEvent("c1:books:0", Outcome.ACCEPTED,
                order("o-1", 0, 2, null, "books", OrderStatus.PENDING), false));
        orderEvents.pipeInput("o-1", orderEvent("c1:books:1", Outcome.ACCEPTED,
                order("o-1", 1, 2, null, "books", OrderStatus.PENDING), false));
        orderEvents.pipeInput("o-1", orderEvent("payment:pay-1:SUCCEEDED", Outcome.ACCEPTED,
                order("o-1", 0, 2, null, "books", OrderStatus.PAID), false));
        // The client repeated its CreateOrder: the original PENDING result comes back, marked duplicate.
        orderEvents.pipeInput("o-1", orderEvent("c1:books:0", Outcome.ACCEPTED,
                order("o-1", 0, 2, null, "books", OrderStatus.PENDING), true));

        final OrderView view = orders().get("o-1");
        assertThat(view.getOrderId()).isEqualTo("o-1");
        assertThat(view.getParentOrderId()).isNull();
        assertThat(view.getBatches()).containsOnlyKeys("0", "1");
        assertThat(view.getBatches().get("0").getStatus()).isEqualTo(OrderStatus.PAID);
        assertThat(view.getBatches().get("1").getStatus()).isEqualTo(OrderStatus.PENDING);
        assertThat(orders().get("o-2")).isNull();
    }

    @Test
    void aRejectionShowsAnOrderNotSeenBeforeButNeverReplacesABatchAlreadyShown() {
        orderEvents.pipeInput("o-1", orderEvent("c1", Outcome.ACCEPTED,
                order("o-1", 0, 1, null, "books", OrderStatus.RESERVED), false));
        // Another client's CreateOrder of the same id, refused: its event carries the refused attempt.
        orderEvents.pipeInput("o-1", orderEvent("c2", Outcome.REJECTED,
                order("o-1", 0, 1, null, "books", OrderStatus.REJECTED), false));
        orderEvents.pipeInput("o-2", orderEvent("c3", Outcome.REJECTED,
                order("o-2", 0, 1, null, "books", OrderStatus.REJECTED), false));

        assertThat(orders().get("o-1").getBatches().get("0").getStatus()).isEqualTo(OrderStatus.RESERVED);
        assertThat(orders().get("o-2").getBatches().get("0").getStatus()).isEqualTo(OrderStatus.REJECTED);
    }

    @Test
    void eventsAboutNoOrderOrNotKeyedByItAreNotOrders() {
        final Item item = Item.newBuilder().setItemId("i-1").setCategoryId("books").setName("Dune")
                .setPrice(new Money(900L, "EUR")).setAvailable(5).setHeld(0).setSold(0).setStocked(5)
                .setUpdatedAt(Instant.EPOCH).build();
        orderEvents.pipeInput("books", OrderEvent.newBuilder().setCommandId("u1").setCategoryId("books")
                .setType(OrderEventType.UPSERT_ITEM).setOutcome(Outcome.ACCEPTED).setItems(List.of(item))
                .setProcessedAt(Instant.EPOCH).build());
        orderEvents.pipeInput("books", orderEvent("c9", Outcome.REJECTED,
                order("o-9", 0, 1, "p-9", "books", OrderStatus.REJECTED), false));

        assertThat(TestDrivers.count(orders())).isZero();
        assertThat(TestDrivers.count(parents())).isZero();
    }

    @Test
    void theParentViewListsTheSubOrdersOfEachParentSortedAndOnce() {
        orderEvents.pipeInput("o-1.toys", orderEvent("c1:toys:0", Outcome.ACCEPTED,
                order("o-1.toys", 0, 1, "o-1", "toys", OrderStatus.PENDING), false));
        orderEvents.pipeInput("o-1.books", orderEvent("c1:books:0", Outcome.ACCEPTED,
                order("o-1.books", 0, 1, "o-1", "books", OrderStatus.PENDING), false));
        orderEvents.pipeInput("o-1.toys", orderEvent("payment:pay-2:SUCCEEDED", Outcome.ACCEPTED,
                order("o-1.toys", 0, 1, "o-1", "toys", OrderStatus.PAID), false));
        orderEvents.pipeInput("o-2", orderEvent("c2", Outcome.ACCEPTED,
                order("o-2", 0, 1, null, "toys", OrderStatus.PENDING), false));

        final ParentOrderView parent = parents().get("o-1");
        assertThat(parent.getParentOrderId()).isEqualTo("o-1");
        assertThat(parent.getOrderIds()).containsExactly("o-1.books", "o-1.toys");
        assertThat(TestDrivers.count(parents())).isEqualTo(1);
        assertThat(orders().get("o-1.toys").getParentOrderId()).isEqualTo("o-1");
        assertThat(orders().get("o-1.toys").getBatches().get("0").getStatus()).isEqualTo(OrderStatus.PAID);
    }

    @Test
    void theOrderViewIsNotRepartitionedAndTheParentViewsRepartitionTopicIsNamed() {
        final List<String> repartitionSources = description.subtopologies().stream()
                .flatMap(subtopology -> subtopology.nodes().stream())
                .filter(node -> node instanceof TopologyDescription.Source)
                .flatMap(source -> ((TopologyDescription.Source) source).topicSet().stream())
                .filter(topic -> topic.endsWith("-repartition"))
                .toList();
        // Command outcomes arrive keyed by command id, orders by order id: only sub-orders (by parent) and invested
        // batches (by customer) are re-keyed.
        assertThat(repartitionSources).containsExactlyInAnyOrder(ViewsTopology.PARENT_ORDERS_STORE + "-repartition",
                ViewsTopology.POSITIONS_STORE + "-repartition");
    }

    @Test
    void anInvestorsPositionsAddUpItsInvestedBatchesEachCountedOnce() {
        final Order batch0 = invested("o-1", 0, List.of(new OrderLineState("loan-1", 1L, 1L, new Money(2_500L, "EUR"), null),
                new OrderLineState("loan-2", 1L, 0L, new Money(2_500L, "EUR"), "INVEST FAILED: refused")));
        final Order batch1 = invested("o-1", 1, List.of(new OrderLineState("loan-3", 2L, 2L, new Money(2_500L, "EUR"), null)));
        final Order other = invested("o-2", 0, List.of(new OrderLineState("loan-1", 3L, 3L, new Money(2_500L, "EUR"), null)));
        final Order notYet = Order.newBuilder(invested("o-3", 0, List.of(new OrderLineState("loan-9", 1L, 1L,
                new Money(2_500L, "EUR"), null)))).setStatus(OrderStatus.PAID).setFulfilment(FulfilmentStatus.INVESTING)
                .build();

        orderEvents.pipeInput("o-1", orderEvent("f1", Outcome.ACCEPTED, batch0, false));
        orderEvents.pipeInput("o-1", orderEvent("f2", Outcome.ACCEPTED, batch1, false));
        // The completed batch reported again (a later command about it): counted once.
        orderEvents.pipeInput("o-1", orderEvent("place-again", Outcome.ACCEPTED, batch0, false));
        orderEvents.pipeInput("o-2", orderEvent("f3", Outcome.ACCEPTED, other, false));
        orderEvents.pipeInput("o-3", orderEvent("f4", Outcome.ACCEPTED, notYet, false));

        final InvestorPositions positions = driver.<String, InvestorPositions>getKeyValueStore(
                ViewsTopology.POSITIONS_STORE).get("investor-1");
        assertThat(positions.getUnits()).containsOnly(entry("pool/loan-1", 4L), entry("pool/loan-3", 2L));
        assertThat(positions.getBatches()).containsExactly("pool/o-1#0", "pool/o-1#1", "pool/o-2#0");
    }

    private static Order invested(final String orderId, final int batch, final List<OrderLineState> lines) {
        return Order.newBuilder(order(orderId, batch, 2, null, "pool", OrderStatus.COMPLETED)).setCustomerId("investor-1")
                .setLines(lines).setFulfilment(FulfilmentStatus.INVESTED).setFulfilmentProviderId("finance").build();
    }

    private KeyValueStore<String, OrderView> orders() {
        return driver.getKeyValueStore(ViewsTopology.ORDERS_STORE);
    }

    private KeyValueStore<String, ParentOrderView> parents() {
        return driver.getKeyValueStore(ViewsTopology.PARENT_ORDERS_STORE);
    }

    private static OrderEvent orderEvent(final String commandId, final Outcome outcome, final Order order,
                                         final boolean duplicate) {
        return OrderEvent.newBuilder().setCommandId(commandId).setCategoryId(order.getCategoryId())
                .setType(OrderEventType.CREATE_ORDER).setOutcome(outcome)
                .setReason(outcome == Outcome.REJECTED ? OrderRejectionReason.ORDER_ALREADY_EXISTS : null)
                .setOrder(order).setDuplicate(duplicate).setProcessedAt(Instant.EPOCH).build();
    }

    private static Order order(final String orderId, final int batch, final int batches, final String parentOrderId,
                               final String categoryId, final OrderStatus status) {
        return Order.newBuilder().setOrderId(orderId).setBatch(batch).setBatches(batches)
                .setParentOrderId(parentOrderId).setCategoryId(categoryId).setCustomerId("cust-1")
                .setPartnerId("acme").setCommandId("c1")
                .setLines(List.of(new OrderLineState("i-1", 2L, 2L, new Money(900L, "EUR"), null)))
                .setAmount(new Money(1_800L, "EUR")).setStatus(status).setPaymentMethod(PaymentMethod.BALANCE)
                .setPaymentId("pay-" + orderId).setExpiresAt(Instant.EPOCH).setCreatedAt(Instant.EPOCH)
                .setUpdatedAt(Instant.EPOCH).build();
    }

    private static PaymentEvent paymentEvent(final String commandId, final PaymentStatus status, final boolean duplicate) {
        final Payment payment = Payment.newBuilder().setPaymentId("pay-1").setPartnerId("p1").setCommandId("c1")
                .setMethod(PaymentMethod.PROVIDER).setProviderId("sim").setAmount(new Money(500L, "EUR"))
                .setStatus(status).setCreatedAt(Instant.EPOCH).setUpdatedAt(Instant.EPOCH).build();
        return PaymentEvent.newBuilder().setCommandId(commandId).setPartnerId("p1")
                .setType(PaymentEventType.REQUEST_PAYMENT).setOutcome(Outcome.ACCEPTED).setPayment(payment)
                .setDuplicate(duplicate).setProcessedAt(Instant.EPOCH).build();
    }

    private static PaymentEvent event(final String commandId, final Outcome outcome, final RejectionReason reason,
                                      final boolean duplicate) {
        return PaymentEvent.newBuilder().setCommandId(commandId).setPartnerId("p").setType(PaymentEventType.DEBIT)
                .setOutcome(outcome).setReason(reason).setDuplicate(duplicate).setProcessedAt(Instant.EPOCH).build();
    }
}
