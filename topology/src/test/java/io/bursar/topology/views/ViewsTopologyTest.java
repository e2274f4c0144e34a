package io.bursar.topology.views;

import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.schemas.common.Money;
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
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command-outcome view keeps each command's first result; the payment view each payment's latest state. */
class ViewsTopologyTest {

    @TempDir
    Path stateDir;
    private TopologyTestDriver driver;
    private TestInputTopic<String, PaymentEvent> events;

    @BeforeEach
    void start() {
        final Topics topics = TestDrivers.topics(1);
        final StreamsBuilder builder = new StreamsBuilder();
        ViewsTopology.build(builder, topics);
        driver = new TopologyTestDriver(builder.build(), TestDrivers.properties("views-test", stateDir, topics));
        events = TestDrivers.input(driver, topics.paymentEvents);
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void theFirstResultOfACommandIsKeptAndDuplicatesDoNotReplaceIt() {
        events.pipeInput("p1", event("c1", Outcome.ACCEPTED, null, false));
        events.pipeInput("p1", event("c1", Outcome.REJECTED, RejectionReason.IDEMPOTENCY_CONFLICT, true));
        events.pipeInput("p2", event("c2", Outcome.REJECTED, RejectionReason.INSUFFICIENT_FUNDS, false));

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
        final KeyValueStore<String, PaymentEvent> outcomes = driver.getKeyValueStore(ViewsTopology.COMMAND_OUTCOMES_STORE);
        assertThat(outcomes.get("c1").getPayment().getStatus()).isEqualTo(PaymentStatus.QUEUED);
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
