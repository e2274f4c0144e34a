package io.bursar.topology.orders;

import static io.bursar.topology.orders.OrderDriver.START;
import static io.bursar.topology.orders.OrderDriver.cancel;
import static io.bursar.topology.orders.OrderDriver.line;
import static io.bursar.topology.orders.OrderDriver.order;
import static io.bursar.topology.testing.Payments.command;
import static io.bursar.topology.testing.Payments.eur;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.orders.OrderEventType;
import io.bursar.schemas.orders.OrderStatus;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.CreditKind;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentEventType;
import io.bursar.schemas.payments.PaymentStatus;
import io.bursar.serdes.Topics;
import io.bursar.topology.dispatch.ProviderDispatchConfig;
import io.bursar.topology.dispatch.ProviderDispatchTopology;
import io.bursar.topology.dispatch.ProviderLimits;
import io.bursar.topology.payments.PartnerProcessor;
import io.bursar.topology.payments.PartnerTopology;
import io.bursar.topology.payments.PartnerTopologyConfig;
import io.bursar.topology.testing.TestDrivers;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The category topology and the partner topology in one StreamsBuilder, as the application runs them: the
 * RequestPayment an order writes to {@code payment-commands} reaches the partner's processor, and its outcome on
 * {@code payment-events} comes back to the order through the repartition by category, all within one
 * {@code pipeInput}. BALANCE payments, so no provider is involved.
 */
class OrdersWithPaymentsTopologyTest {

    private static final String TOYS = "toys";
    private static final String SHOP = "shop";

    @AutoClose
    private final OrderDriver orders;
    private final TestInputTopic<String, PaymentCommand> partnerCommands;
    private final TestOutputTopic<String, PaymentEvent> paymentEvents;

    OrdersWithPaymentsTopologyTest(@TempDir final Path stateDir) {
        orders = OrderDriver.start(stateDir, Map.of(), (builder, topics) ->
                PartnerTopology.build(builder, topics, new PartnerTopologyConfig(Map.of())));
        partnerCommands = TestDrivers.input(orders.driver, orders.topics.paymentCommands);
        paymentEvents = TestDrivers.output(orders.driver, orders.topics.paymentEvents);
    }

    @BeforeEach
    void stockAndCredit() {
        orders.addItem(TOYS, "ball", 250, 10);
        partnerCommands.pipeInput(SHOP, command("credit-1", SHOP, new Credit(CreditKind.CREDIT, eur(10_000)), START));
        paymentEvents.readValuesToList();
    }

    @Test
    void aPaidOrderCompletesInOneStep() {
        final List<OrderEvent> out = orders.send("c1", TOYS, order("o1", line("ball", 4)).build());

        assertThat(out).extracting(OrderEvent::getType).containsExactly(OrderEventType.CREATE_ORDER,
                OrderEventType.ORDER_UPDATED, OrderEventType.ORDER_UPDATED, OrderEventType.ORDER_UPDATED);
        assertThat(out.get(3).getOrder().getStatus()).isEqualTo(OrderStatus.COMPLETED);
        assertThat(orders.item(TOYS, "ball").getSold()).isEqualTo(4);
        final PaymentEvent payment = paymentEvents.readValue();
        assertThat(payment.getType()).isEqualTo(PaymentEventType.REQUEST_PAYMENT);
        assertThat(payment.getPayment().getStatus()).isEqualTo(PaymentStatus.SUCCEEDED);
        assertThat(available()).isEqualTo(10_000 - 4 * 250);
    }

    @Test
    void thePartnerSendsTheOutcomeToTheCategoryOnceAndAReplayNotAgain() {
        final TestOutputTopic<String, PaymentEvent> outcomes = TestDrivers.output(orders.driver,
                orders.topics.orderPaymentOutcomes);
        orders.send("c1", TOYS, order("o1", line("ball", 4)).build());
        final PaymentCommand request = orders.paymentCommands.readValue();

        assertThat(outcomes.readRecordsToList()).extracting(TestRecord::key, r -> r.value().getPayment().getStatus())
                .containsExactly(tuple(TOYS, PaymentStatus.SUCCEEDED));

        partnerCommands.pipeInput(SHOP, request);

        assertThat(paymentEvents.readValuesToList()).extracting(PaymentEvent::getDuplicate).containsExactly(false, true);
        assertThat(outcomes.isEmpty()).isTrue();
        assertThat(orders.events.isEmpty()).isTrue();
        assertThat(orders.item(TOYS, "ball").getSold()).isEqualTo(4);
    }

    @Test
    void aDeclinedPaymentFailsTheOrder() {
        final List<OrderEvent> out = orders.send("c1", TOYS, order("o1", line("ball", 4)).setPartnerId("broke").build());

        assertThat(out).extracting(OrderEvent::getType)
                .containsExactly(OrderEventType.CREATE_ORDER, OrderEventType.ORDER_UPDATED);
        final Order failed = out.get(1).getOrder();
        assertThat(failed.getStatus()).isEqualTo(OrderStatus.FAILED);
        assertThat(failed.getReason()).isEqualTo("PAYMENT_FAILED: INSUFFICIENT_FUNDS");
        assertThat(orders.item(TOYS, "ball").getAvailable()).isEqualTo(10);
    }

    @Test
    void aCancelledPaidOrderGetsItsMoneyBack() {
        orders.send("c1", TOYS, order("o1", line("ball", 4)).setPlaceOnPayment(false).build());
        assertThat(available()).isEqualTo(9_000);

        final List<OrderEvent> out = orders.send("x1", TOYS, cancel("o1"));

        assertThat(out).extracting(OrderEvent::getType)
                .containsExactly(OrderEventType.CANCEL_ORDER, OrderEventType.ORDER_UPDATED);
        final Order refunded = out.get(1).getOrder();
        assertThat(refunded.getStatus()).isEqualTo(OrderStatus.CANCELLED);
        assertThat(refunded.getPaymentStatus()).isEqualTo(PaymentStatus.REFUNDED);
        assertThat(available()).isEqualTo(10_000);
        assertThat(orders.item(TOYS, "ball").getAvailable()).isEqualTo(10);
    }

    @Test
    void itBuildsBesideEveryOtherTopologyOfTheCommandsApplication() {
        final Topics topics = TestDrivers.topics(1);
        final StreamsBuilder builder = new StreamsBuilder();
        PartnerTopology.build(builder, topics, new PartnerTopologyConfig(Map.of()));
        ProviderDispatchTopology.build(builder, topics, new ProviderDispatchConfig(Map.of()), providerId -> null,
                providerId -> new ProviderLimits(2, 2), ceilingMs -> 0L);
        OrderTopology.build(builder, topics, new OrderTopologyConfig(Map.of()));

        final TopologyDescription description = builder.build().describe();

        // Payment outcomes come back on a topic the partner writes keyed by category: no repartition hop.
        assertThat(description.toString()).contains(topics.orderPaymentOutcomes.name()).doesNotContain("repartition");
        assertThat(description.globalStores()).hasSize(2);
    }

    private long available() {
        final PartnerBalance balance = orders.driver.<String, PartnerBalance>getKeyValueStore(
                PartnerProcessor.BALANCES_STORE).get(SHOP);
        return balance.getAccounts().get("EUR").getAvailableMinor();
    }
}
