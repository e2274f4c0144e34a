// Payments and provider dispatch in one TopologyTestDriver: commands in, a scripted provider, wall-clock time driven.
package io.bursar.topology.payments;

import static io.bursar.topology.payments.PartnerDriver.START;
import static io.bursar.topology.testing.Payments.command;
import static io.bursar.topology.testing.Payments.eur;
import static io.bursar.topology.testing.Payments.requestPayment;
import static io.bursar.topology.testing.TestDrivers.count;
import static io.bursar.topology.testing.Windows.mostInAnyWindow;
import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.connectors.ProviderConnector;
import io.bursar.connectors.ProviderOutcome;
import io.bursar.connectors.ProviderRequest;
import io.bursar.connectors.ProviderResult;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.dispatch.ProviderCall;
import io.bursar.schemas.dispatch.ProviderCallOutcome;
import io.bursar.schemas.dispatch.ProviderCallResult;
import io.bursar.schemas.dispatch.ProviderOperation;
import io.bursar.schemas.payments.CurrencyAccount;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.CreditKind;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentMethod;
import io.bursar.schemas.payments.PaymentStatus;
import io.bursar.schemas.payments.RefundPayment;
import io.bursar.schemas.payments.RefundPaymentKind;
import io.bursar.schemas.payments.RequestPayment;
import io.bursar.topology.dispatch.ProviderDispatchConfig;
import io.bursar.topology.dispatch.ProviderDispatchProcessor;
import io.bursar.topology.dispatch.ProviderDispatchTopology;
import io.bursar.topology.dispatch.ProviderLimits;
import io.bursar.topology.testing.ScriptedConnector;
import io.bursar.topology.testing.WallClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PartnerTopology} and {@link ProviderDispatchTopology} built into one StreamsBuilder and driven by
 * one TopologyTestDriver. The driver pipes what a topology writes to one of its own input topics back in:
 * the ProviderCalls the partner processor writes to {@code provider-requests} reach the dispatcher, and the
 * ProviderCallResults the dispatcher writes to {@code provider-results} reach the partner processor. The
 * test only sends commands and moves the wall clock; it still reads both topics, which the driver also
 * keeps as output.
 */
class PaymentsEndToEndTopologyTest {

    private static final String PROVIDER = "acme";
    private static final long STEP_MS = 50;
    private static final int ATTEMPTS_MAX = 4;
    private static final int PAYMENTS = 20;

    @TempDir
    Path stateDir;

    @AutoClose
    private PartnerDriver partner;
    private TestOutputTopic<String, ProviderCallResult> results;
    private TestOutputTopic<String, ProviderCall> deadLetters;
    private WallClock clock;

    /** What the scripted provider does with the charge of payment {@code i}. */
    private enum Plan {
        SUCCEED(1, PaymentStatus.SUCCEEDED),
        FAIL_TWICE_THEN_SUCCEED(3, PaymentStatus.SUCCEEDED),
        ASK_TO_WAIT_THEN_SUCCEED(2, PaymentStatus.SUCCEEDED),
        ALWAYS_UNAVAILABLE(ATTEMPTS_MAX, PaymentStatus.DEAD_LETTERED),
        DECLINE(1, PaymentStatus.FAILED);

        final int calls;
        final PaymentStatus status;

        Plan(final int calls, final PaymentStatus status) {
            this.calls = calls;
            this.status = status;
        }

        static Plan of(final int i) {
            if (i == 7 || i == 15) {
                return ALWAYS_UNAVAILABLE;
            }
            if (i == 11) {
                return DECLINE;
            }
            return switch (i % 4) {
                case 1 -> FAIL_TWICE_THEN_SUCCEED;
                case 2 -> ASK_TO_WAIT_THEN_SUCCEED;
                default -> SUCCEED;
            };
        }

        ProviderResult answer(final ProviderRequest request) {
            final String key = request.idempotencyKey();
            return switch (this) {
                case SUCCEED -> ProviderResult.success(key, 201, Optional.of("ref-" + request.paymentId()));
                case FAIL_TWICE_THEN_SUCCEED -> request.attempt() < 2
                        ? ProviderResult.retryable(key, 503, "HTTP 503", Optional.empty())
                        : ProviderResult.success(key, 201, Optional.of("ref-" + request.paymentId()));
                case ASK_TO_WAIT_THEN_SUCCEED -> request.attempt() == 0
                        ? ProviderResult.retryable(key, 429, "HTTP 429", Optional.of(Duration.ofMillis(1_500)))
                        : ProviderResult.success(key, 201, Optional.of("ref-" + request.paymentId()));
                case ALWAYS_UNAVAILABLE -> ProviderResult.retryable(key, 503, "HTTP 503", Optional.empty());
                case DECLINE -> ProviderResult.permanent(key, 422, "card declined");
            };
        }
    }

    @Test
    void twentyProviderPaymentsEndAsScriptedWithinTheProvidersRate() {
        final ScriptedConnector acme = ScriptedConnector.answering(
                request -> Plan.of(indexOf(request.paymentId())).answer(request), () -> clock.nowMs());
        start(acme, new ProviderLimits(2, 2));
        final Map<String, Long> expectedAvailable = new HashMap<>();

        for (int i = 0; i < PAYMENTS; i++) {
            final String partnerId = partnerOf(i);
            partner.commands.pipeInput(partnerId,
                    command("c" + i, partnerId, providerPayment(paymentIdOf(i), amountOf(i)), START),
                    clock.nowMs());
            if (Plan.of(i).status == PaymentStatus.SUCCEEDED) {
                expectedAvailable.merge(partnerId, amountOf(i), Long::sum);
            }
        }
        // Each command: one QUEUED event and one call. The driver keeps the call as output and also hands it
        // to the dispatcher, which only enqueues it: nothing has reached the provider yet.
        assertThat(partner.events.readValuesToList()).hasSize(PAYMENTS).allSatisfy(event -> {
            assertThat(event.getOutcome()).isEqualTo(Outcome.ACCEPTED);
            assertThat(event.getPayment().getStatus()).isEqualTo(PaymentStatus.QUEUED);
        });
        final List<TestRecord<String, ProviderCall>> requested = partner.calls.readRecordsToList();
        assertThat(requested).hasSize(PAYMENTS).allSatisfy(call -> assertThat(call.key()).isEqualTo(PROVIDER));
        assertThat(acme.sent()).isEmpty();
        assertThat(count(partner.driver.getKeyValueStore(ProviderDispatchProcessor.QUEUE_STORE))).isEqualTo(PAYMENTS);

        clock.advanceUntil(() -> allPaymentsEnded(PAYMENTS), 2_000);

        // Every payment ended as its script says, and the dispatcher holds nothing more.
        for (int i = 0; i < PAYMENTS; i++) {
            final Payment payment = partner.stored(partnerOf(i), paymentIdOf(i));
            assertThat(payment.getStatus()).as(paymentIdOf(i)).isEqualTo(Plan.of(i).status);
            assertThat(payment.getAttempts()).as(paymentIdOf(i)).isEqualTo(Plan.of(i).calls);
            if (Plan.of(i).status == PaymentStatus.SUCCEEDED) {
                assertThat(payment.getProviderReference()).isEqualTo("ref-" + paymentIdOf(i));
                assertThat(payment.getFailureReason()).isNull();
            } else {
                assertThat(payment.getFailureReason()).isEqualTo(
                        Plan.of(i) == Plan.DECLINE ? "card declined" : "HTTP 503");
            }
        }
        assertThat(count(partner.driver.getKeyValueStore(ProviderDispatchProcessor.QUEUE_STORE))).isZero();

        // The provider saw its rate respected in every one-second window, and the rate was used.
        final List<ScriptedConnector.Sent> sent = acme.sent();
        final List<Long> atMs = sent.stream().map(ScriptedConnector.Sent::atMs).toList();
        assertThat(mostInAnyWindow(atMs, 1_000)).isEqualTo(2);
        final int callsExpected = IntStream.range(0, PAYMENTS).map(i -> Plan.of(i).calls).sum();
        assertThat(sent).hasSize(callsExpected);
        assertThat(atMs.get(atMs.size() - 1) - atMs.get(0)).isGreaterThanOrEqualTo((callsExpected - 2) / 2 * 1_000L);

        // Every key was charged successfully once, and only the succeeded payments' keys.
        final Map<String, Long> successesByKey = sent.stream()
                .filter(s -> s.answer().orElseThrow().outcome() == ProviderOutcome.SUCCESS)
                .collect(Collectors.groupingBy(s -> s.request().idempotencyKey(), Collectors.counting()));
        final Map<String, Long> expectedSuccesses = new HashMap<>();
        for (int i = 0; i < PAYMENTS; i++) {
            if (Plan.of(i).status == PaymentStatus.SUCCEEDED) {
                expectedSuccesses.put("charge:" + partnerOf(i) + ':' + paymentIdOf(i), 1L);
            }
        }
        assertThat(successesByKey).isEqualTo(expectedSuccesses);
        assertThat(sent).allSatisfy(s -> {
            assertThat(s.request().operation()).isEqualTo(io.bursar.connectors.ProviderOperation.CHARGE);
            assertThat(s.request().amountMinor()).isEqualTo(amountOf(indexOf(s.request().paymentId())));
        });

        // Balances hold exactly the succeeded amounts.
        for (final String partnerId : List.of("p0", "p1", "p2")) {
            final PartnerBalance balance = partner.balances().get(partnerId);
            final long expected = expectedAvailable.getOrDefault(partnerId, 0L);
            if (expected == 0) {
                assertThat(balance).isNull();
            } else {
                assertThat(balance.getAccounts()).containsExactly(Map.entry("EUR", new CurrencyAccount(expected, 0L)));
            }
        }

        // Per payment, one event per step: SUBMITTED, then the end; per call one SUBMITTED and one outcome.
        final Map<String, List<PaymentStatus>> statuses = new HashMap<>();
        for (final TestRecord<String, PaymentEvent> record : partner.events.readRecordsToList()) {
            assertThat(record.value().getDuplicate()).isFalse();
            assertThat(record.key()).isEqualTo(record.value().getPayment().getPaymentId());
            statuses.computeIfAbsent(record.key(), k -> new ArrayList<>()).add(record.value().getPayment().getStatus());
        }
        final Map<String, List<ProviderCallOutcome>> outcomes = new HashMap<>();
        for (final TestRecord<String, ProviderCallResult> record : results.readRecordsToList()) {
            assertThat(record.key()).isEqualTo(record.value().getPartnerId());
            outcomes.computeIfAbsent(record.value().getPaymentId(), k -> new ArrayList<>())
                    .add(record.value().getOutcome());
        }
        for (int i = 0; i < PAYMENTS; i++) {
            assertThat(statuses.get(paymentIdOf(i))).as(paymentIdOf(i))
                    .containsExactly(PaymentStatus.SUBMITTED, Plan.of(i).status);
            assertThat(outcomes.get(paymentIdOf(i))).as(paymentIdOf(i))
                    .containsExactly(ProviderCallOutcome.SUBMITTED, ProviderCallOutcome.valueOf(Plan.of(i).status.name()));
        }
        assertThat(deadLetters.readValuesToList()).extracting(ProviderCall::getPaymentId)
                .containsExactlyInAnyOrder(paymentIdOf(7), paymentIdOf(11), paymentIdOf(15));
        assertThat(partner.calls.isEmpty()).isTrue();

        // A client retrying a request afterwards gets its outcome as it now stands, and the provider no call.
        partner.commands.pipeInput(partnerOf(1),
                command("c1", partnerOf(1), providerPayment(paymentIdOf(1), amountOf(1)), START),
                clock.nowMs());
        final PaymentEvent replay = partner.events.readValue();
        assertThat(replay.getDuplicate()).isTrue();
        assertThat(replay.getPayment().getStatus()).isEqualTo(PaymentStatus.SUCCEEDED);
        clock.advance(40);
        assertThat(acme.sent()).hasSize(callsExpected);
        assertThat(partner.calls.isEmpty()).isTrue();
    }

    @Test
    void aProviderPaymentIsChargedAndRefundedThroughTheDispatcher() {
        final ScriptedConnector acme = ScriptedConnector.answering(request -> switch (request.operation()) {
            case CHARGE -> ProviderResult.success(request.idempotencyKey(), 201, Optional.of("ch-1"));
            // The provider refuses the first refund for good and accepts the second after one timeout.
            case REFUND -> request.idempotencyKey().endsWith(":r1")
                    ? ProviderResult.permanent(request.idempotencyKey(), 409, "charge disputed")
                    : request.attempt() == 0
                    ? ProviderResult.retryable(request.idempotencyKey(), 0, "timeout", Optional.empty())
                    : ProviderResult.success(request.idempotencyKey(), 201, Optional.of("rf-2"));
            case RESERVE, INVEST, RELEASE -> throw new AssertionError("no fulfilment call here");
        }, () -> clock.nowMs());
        start(acme, new ProviderLimits(2, 2));
        partner.commands.pipeInput("p1",
                command("c0", "p1", new Credit(CreditKind.CREDIT, new Money(100L, "EUR")), START), clock.nowMs());
        partner.commands.pipeInput("p1", command("c1", "p1", providerPayment("pay-1", 1_250), START), clock.nowMs());
        clock.advanceUntil(() -> status("p1", "pay-1") == PaymentStatus.SUCCEEDED, 100);
        assertThat(account("p1")).isEqualTo(new CurrencyAccount(1_350L, 0L));

        partner.commands.pipeInput("p1",
                command("r1", "p1", new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", null), START),
                clock.nowMs());
        assertThat(status("p1", "pay-1")).isEqualTo(PaymentStatus.REFUND_PENDING);
        assertThat(account("p1")).isEqualTo(new CurrencyAccount(100L, 1_250L));
        clock.advanceUntil(() -> status("p1", "pay-1") != PaymentStatus.REFUND_PENDING, 100);

        assertThat(status("p1", "pay-1")).isEqualTo(PaymentStatus.REFUND_FAILED);
        assertThat(partner.stored("p1", "pay-1").getFailureReason()).isEqualTo("charge disputed");
        assertThat(account("p1")).isEqualTo(new CurrencyAccount(1_350L, 0L));

        partner.commands.pipeInput("p1",
                command("r2", "p1", new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", null), START),
                clock.nowMs());
        clock.advanceUntil(() -> status("p1", "pay-1") != PaymentStatus.REFUND_PENDING, 100);

        assertThat(status("p1", "pay-1")).isEqualTo(PaymentStatus.REFUNDED);
        assertThat(partner.stored("p1", "pay-1").getProviderReference()).isEqualTo("ch-1");
        assertThat(account("p1")).isEqualTo(new CurrencyAccount(100L, 0L));
        assertThat(acme.sent()).extracting(s -> s.request().idempotencyKey() + '#' + s.request().attempt())
                .containsExactly("charge:p1:pay-1#0", "refund:p1:pay-1:r1#0", "refund:p1:pay-1:r2#0",
                        "refund:p1:pay-1:r2#1");
        assertThat(acme.sent()).extracting(s -> s.request().amountMinor()).containsOnly(1_250L);
        assertThat(partner.calls.readValuesToList()).extracting(ProviderCall::getOperation)
                .containsExactly(ProviderOperation.CHARGE, ProviderOperation.REFUND, ProviderOperation.REFUND);
    }

    @Test
    void paymentsOfPartnersWhoseIdsShareTheSeparatorAreEachChargedOnce() {
        final ScriptedConnector acme = ScriptedConnector.answering(request -> ProviderResult.success(
                request.idempotencyKey(), 201, Optional.of("ref-" + request.partnerId())), () -> clock.nowMs());
        start(acme, new ProviderLimits(2, 2));

        // Joined with ':' alone both charges would be "charge:shop:eu:42": one provider call for two payments.
        partner.commands.pipeInput("shop", command("c1", "shop", providerPayment("eu:42", 100), START), clock.nowMs());
        partner.commands.pipeInput("shop:eu", command("c1", "shop:eu", providerPayment("42", 700), START),
                clock.nowMs());
        clock.advanceUntil(() -> status("shop", "eu:42") == PaymentStatus.SUCCEEDED
                && status("shop:eu", "42") == PaymentStatus.SUCCEEDED, 100);

        assertThat(acme.sent()).hasSize(2);
        assertThat(acme.sent()).extracting(s -> s.request().idempotencyKey()).doesNotHaveDuplicates();
        assertThat(partner.stored("shop:eu", "42").getProviderReference()).isEqualTo("ref-shop:eu");
        assertThat(account("shop")).isEqualTo(new CurrencyAccount(100L, 0L));
        assertThat(account("shop:eu")).isEqualTo(new CurrencyAccount(700L, 0L));
    }

    @Test
    void aPaymentAtAProviderThatIsNotConfiguredFailsWithTheDispatchersReason() {
        final ScriptedConnector acme = ScriptedConnector.answering(request -> ProviderResult.success(
                request.idempotencyKey(), 201, Optional.empty()), () -> clock.nowMs());
        start(acme, new ProviderLimits(2, 2));
        final RequestPayment elsewhere = RequestPayment.newBuilder(providerPayment("pay-1", 100))
                .setProviderId("nobody").build();

        partner.commands.pipeInput("p1", command("c1", "p1", elsewhere, START), clock.nowMs());
        clock.advance(5);

        assertThat(status("p1", "pay-1")).isEqualTo(PaymentStatus.FAILED);
        assertThat(partner.stored("p1", "pay-1").getFailureReason()).isEqualTo("unknown provider nobody");
        assertThat(partner.stored("p1", "pay-1").getAttempts()).isZero();
        assertThat(partner.balances().get("p1")).isNull();
        assertThat(acme.sent()).isEmpty();
        assertThat(deadLetters.readValuesToList()).extracting(ProviderCall::getPaymentId).containsExactly("pay-1");
    }

    private void start(final ScriptedConnector acme, final ProviderLimits limits) {
        // Full jitter, drawn from a seeded generator so a failure replays the same way.
        final Random jitter = new Random(7);
        final Function<String, ProviderConnector> connectors =
                providerId -> PROVIDER.equals(providerId) ? acme : null;
        partner = PartnerDriver.builder(stateDir).applicationId("bursar-payments-e2e-test")
                .also((builder, topics) -> ProviderDispatchTopology.build(builder, topics,
                        new ProviderDispatchConfig(Map.of(
                                ProviderDispatchConfig.PUNCTUATION_INTERVAL_MS, STEP_MS,
                                ProviderDispatchConfig.IN_FLIGHT_MAX, 16,
                                ProviderDispatchConfig.ATTEMPTS_MAX, ATTEMPTS_MAX,
                                ProviderDispatchConfig.BACKOFF_BASE_MS, 200L,
                                ProviderDispatchConfig.BACKOFF_CAP_MS, 1_000L)),
                        connectors, providerId -> limits, ceilingMs -> jitter.nextLong(ceilingMs + 1)))
                .start();
        clock = new WallClock(partner.driver, START, STEP_MS);
        results = partner.output(partner.topics.providerResults);
        deadLetters = partner.output(partner.topics.providerDeadLetters);
    }

    private boolean allPaymentsEnded(final int payments) {
        for (int i = 0; i < payments; i++) {
            final PaymentStatus status = status(partnerOf(i), paymentIdOf(i));
            if (status == PaymentStatus.QUEUED || status == PaymentStatus.SUBMITTED) {
                return false;
            }
        }
        return true;
    }

    private static String partnerOf(final int i) {
        return "p" + (i % 3);
    }

    private static String paymentIdOf(final int i) {
        return String.format("pay-%02d", i);
    }

    private static int indexOf(final String paymentId) {
        return Integer.parseInt(paymentId.substring("pay-".length()));
    }

    private static long amountOf(final int i) {
        return 100L * (i + 1);
    }

    private static RequestPayment providerPayment(final String paymentId, final long amountMinor) {
        return requestPayment(paymentId, eur(amountMinor), PaymentMethod.PROVIDER, PROVIDER);
    }

    private PaymentStatus status(final String partnerId, final String paymentId) {
        return partner.stored(partnerId, paymentId).getStatus();
    }

    private CurrencyAccount account(final String partnerId) {
        return partner.account(partnerId, "EUR");
    }
}
