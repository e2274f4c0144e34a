// The payment state machine through the partner topology alone: the test plays the provider dispatcher.
package io.bursar.topology.payments;

import static io.bursar.topology.payments.PartnerDriver.START;
import static io.bursar.topology.testing.Payments.command;
import static io.bursar.topology.testing.Payments.eur;
import static io.bursar.topology.testing.Payments.money;
import static io.bursar.topology.testing.Payments.requestPayment;
import static io.bursar.topology.testing.TestDrivers.count;
import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.schemas.common.Money;
import io.bursar.schemas.dispatch.ProviderCall;
import io.bursar.schemas.dispatch.ProviderCallOutcome;
import io.bursar.schemas.dispatch.ProviderCallResult;
import io.bursar.schemas.dispatch.ProviderOperation;
import io.bursar.schemas.payments.BalanceSnapshot;
import io.bursar.schemas.payments.CaptureHold;
import io.bursar.schemas.payments.CaptureHoldKind;
import io.bursar.schemas.payments.CurrencyAccount;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.CreditKind;
import io.bursar.schemas.payments.Debit;
import io.bursar.schemas.payments.DebitKind;
import io.bursar.schemas.payments.HoldFunds;
import io.bursar.schemas.payments.HoldFundsKind;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentEventType;
import io.bursar.schemas.payments.PaymentMethod;
import io.bursar.schemas.payments.PaymentStatus;
import io.bursar.schemas.payments.RefundPayment;
import io.bursar.schemas.payments.RefundPaymentKind;
import io.bursar.schemas.payments.RejectionReason;
import io.bursar.schemas.payments.RequestPayment;
import io.bursar.schemas.payments.RetryPayment;
import io.bursar.schemas.payments.RetryPaymentKind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every branch of {@link PaymentFlow} through TopologyTestDriver: PaymentCommands go into
 * {@code payment-commands}, the test reads the ProviderCalls on {@code provider-requests} and answers
 * them on {@code provider-results} itself, in any order it likes, as the dispatcher would.
 */
class PaymentFlowTopologyTest {

    private static final String PROVIDER = "acme";

    @AutoClose
    private final PartnerDriver partner;

    PaymentFlowTopologyTest(@TempDir final Path stateDir) {
        partner = PartnerDriver.builder(stateDir).applicationId("bursar-payment-flow-test").start();
    }

    // ---------------------------------------------------------------- BALANCE payments

    @Test
    void aBalancePaymentSucceedsAtOnceAndDebitsThePartner() {
        partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));

        final TestRecord<String, PaymentEvent> record = partner.sendRecord("c1", "p1", balancePayment("pay-1", 300));

        assertThat(record.key()).isEqualTo("pay-1");
        final PaymentEvent event = record.value();
        assertThat(event.getType()).isEqualTo(PaymentEventType.REQUEST_PAYMENT);
        assertThat(event.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(event.getReason()).isNull();
        assertThat(event.getCommandId()).isEqualTo("c1");
        assertThat(event.getDuplicate()).isFalse();
        assertThat(event.getAmount()).isEqualTo(eur(300));
        assertThat(event.getBalanceAfter().getAvailableMinor()).isEqualTo(700);
        assertThat(event.getBalanceAfter().getHeldMinor()).isZero();
        final Payment payment = event.getPayment();
        assertThat(payment.getPaymentId()).isEqualTo("pay-1");
        assertThat(payment.getPartnerId()).isEqualTo("p1");
        assertThat(payment.getCommandId()).isEqualTo("c1");
        assertThat(payment.getMethod()).isEqualTo(PaymentMethod.BALANCE);
        assertThat(payment.getStatus()).isEqualTo(PaymentStatus.SUCCEEDED);
        assertThat(payment.getAmount()).isEqualTo(eur(300));
        assertThat(payment.getProviderId()).isNull();
        assertThat(partner.stored("p1", "pay-1")).isEqualTo(payment);
        assertThat(partner.account("p1", "EUR")).isEqualTo(new CurrencyAccount(700L, 0L));
        assertThat(partner.calls.isEmpty()).isTrue();
    }

    @Test
    void aBalancePaymentAboveTheAvailableBalanceFailsAndKeepsItsId() {
        partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(100)));

        final TestRecord<String, PaymentEvent> record = partner.sendRecord("c1", "p1", balancePayment("pay-1", 101));

        assertThat(record.key()).isEqualTo("pay-1");
        assertThat(record.value().getOutcome()).isEqualTo(Outcome.REJECTED);
        assertThat(record.value().getReason()).isEqualTo(RejectionReason.INSUFFICIENT_FUNDS);
        assertThat(record.value().getBalanceAfter().getAvailableMinor()).isEqualTo(100);
        assertThat(record.value().getPayment().getStatus()).isEqualTo(PaymentStatus.FAILED);
        assertThat(record.value().getPayment().getFailureReason()).isEqualTo("INSUFFICIENT_FUNDS");
        assertThat(partner.stored("p1", "pay-1").getStatus()).isEqualTo(PaymentStatus.FAILED);
        assertThat(partner.account("p1", "EUR")).isEqualTo(new CurrencyAccount(100L, 0L));
        assertThat(partner.calls.isEmpty()).isTrue();
        // A declined payment's id stays taken, even once the money is there.
        partner.send("c2", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        assertThat(partner.send("c3", "p1", balancePayment("pay-1", 101)).getReason())
                .isEqualTo(RejectionReason.PAYMENT_ALREADY_EXISTS);
        assertThat(partner.account("p1", "EUR").getAvailableMinor()).isEqualTo(1_100);
    }

    @Test
    void aBalancePaymentInAnotherCurrencyUsesOnlyThatAccount() {
        partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));

        final PaymentEvent event = partner.send("c1", "p1",
                requestPayment("pay-1", money(10, "USD"), PaymentMethod.BALANCE, null));

        assertThat(event.getReason()).isEqualTo(RejectionReason.INSUFFICIENT_FUNDS);
        assertThat(event.getBalanceAfter().getCurrency()).isEqualTo("USD");
        assertThat(partner.account("p1", "EUR").getAvailableMinor()).isEqualTo(1_000);
    }

    // ---------------------------------------------------------------- PROVIDER payments

    @Test
    void aProviderPaymentIsQueuedWithExactlyOneChargeCall() {
        final TestRecord<String, PaymentEvent> record = partner.sendRecord("c1", "p1", providerPayment("pay-1", 1_250));

        assertThat(record.key()).isEqualTo("pay-1");
        assertThat(record.value().getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(record.value().getType()).isEqualTo(PaymentEventType.REQUEST_PAYMENT);
        final Payment payment = record.value().getPayment();
        assertThat(payment.getStatus()).isEqualTo(PaymentStatus.QUEUED);
        assertThat(payment.getMethod()).isEqualTo(PaymentMethod.PROVIDER);
        assertThat(payment.getProviderId()).isEqualTo(PROVIDER);
        assertThat(payment.getAttempts()).isZero();
        assertThat(partner.stored("p1", "pay-1").getStatus()).isEqualTo(PaymentStatus.QUEUED);
        // Nothing moves before the provider answers.
        assertThat(record.value().getBalanceAfter()).isEqualTo(
                new BalanceSnapshot("EUR", 0L, 0L));
        assertThat(partner.balances().get("p1")).isNull();

        final List<TestRecord<String, ProviderCall>> sent = partner.calls.readRecordsToList();
        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).key()).isEqualTo(PROVIDER);
        final ProviderCall call = sent.get(0).value();
        assertThat(call.getIdempotencyKey()).isEqualTo("charge:p1:pay-1");
        assertThat(call.getOperation()).isEqualTo(ProviderOperation.CHARGE);
        assertThat(call.getAmount()).isEqualTo(eur(1_250));
        assertThat(call.getPaymentId()).isEqualTo("pay-1");
        assertThat(call.getPartnerId()).isEqualTo("p1");
        assertThat(call.getProviderId()).isEqualTo(PROVIDER);
    }

    @Test
    void aSubmittedAnswerMovesTheChargeToSubmitted() {
        final ProviderCall call = requestProviderPayment("c1", "p1", "pay-1", 1_250);

        final List<TestRecord<String, PaymentEvent>> out = answer(call, ProviderCallOutcome.SUBMITTED, 1, null, null);

        assertThat(out).hasSize(1);
        assertThat(out.get(0).key()).isEqualTo("pay-1");
        final PaymentEvent event = out.get(0).value();
        assertThat(event.getType()).isEqualTo(PaymentEventType.PAYMENT_UPDATED);
        assertThat(event.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(event.getCommandId()).isEqualTo("provider:charge:p1:pay-1:SUBMITTED");
        assertThat(event.getDuplicate()).isFalse();
        assertThat(event.getPayment().getStatus()).isEqualTo(PaymentStatus.SUBMITTED);
        assertThat(event.getPayment().getAttempts()).isEqualTo(1);
        assertThat(partner.stored("p1", "pay-1").getStatus()).isEqualTo(PaymentStatus.SUBMITTED);
        assertThat(partner.calls.isEmpty()).isTrue();
        // The report comes once; a second changes nothing.
        assertThat(answer(call, ProviderCallOutcome.SUBMITTED, 1, null, null)).isEmpty();
    }

    @Test
    void aSucceededChargeCreditsThePartnerAndKeepsTheProviderReference() {
        partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(100)));
        final ProviderCall call = requestProviderPayment("c1", "p1", "pay-1", 1_250);
        answer(call, ProviderCallOutcome.SUBMITTED, 1, null, null);

        final List<TestRecord<String, PaymentEvent>> out =
                answer(call, ProviderCallOutcome.SUCCEEDED, 3, "ref-77", null);

        assertThat(out).hasSize(1);
        assertThat(out.get(0).key()).isEqualTo("pay-1");
        final PaymentEvent event = out.get(0).value();
        assertThat(event.getType()).isEqualTo(PaymentEventType.PAYMENT_UPDATED);
        assertThat(event.getCommandId()).isEqualTo("provider:charge:p1:pay-1:SUCCEEDED");
        assertThat(event.getPayment().getStatus()).isEqualTo(PaymentStatus.SUCCEEDED);
        assertThat(event.getPayment().getProviderReference()).isEqualTo("ref-77");
        assertThat(event.getPayment().getAttempts()).isEqualTo(3);
        assertThat(event.getPayment().getFailureReason()).isNull();
        assertThat(event.getBalanceAfter().getAvailableMinor()).isEqualTo(1_350);
        assertThat(partner.account("p1", "EUR")).isEqualTo(new CurrencyAccount(1_350L, 0L));
        assertThat(partner.stored("p1", "pay-1").getProviderReference()).isEqualTo("ref-77");
        assertThat(partner.calls.isEmpty()).isTrue();
    }

    @Test
    void aChargeMaySucceedWithoutASubmittedReportFirst() {
        final ProviderCall call = requestProviderPayment("c1", "p1", "pay-1", 1_250);

        assertThat(answer(call, ProviderCallOutcome.SUCCEEDED, 1, "ref-1", null)).hasSize(1);
        // The report, overtaken by the outcome, arrives late: nothing to change.
        assertThat(answer(call, ProviderCallOutcome.SUBMITTED, 1, null, null)).isEmpty();

        assertThat(partner.stored("p1", "pay-1").getStatus()).isEqualTo(PaymentStatus.SUCCEEDED);
        assertThat(partner.account("p1", "EUR").getAvailableMinor()).isEqualTo(1_250);
    }

    @ParameterizedTest
    @EnumSource(value = ProviderCallOutcome.class, names = {"FAILED", "DEAD_LETTERED"})
    void aFailedChargeEndsThePaymentWithItsReasonAndMovesNoMoney(final ProviderCallOutcome outcome) {
        partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(100)));
        final ProviderCall call = requestProviderPayment("c1", "p1", "pay-1", 1_250);
        answer(call, ProviderCallOutcome.SUBMITTED, 1, null, null);

        final List<TestRecord<String, PaymentEvent>> out = answer(call, outcome, 4, null, "HTTP 503");

        assertThat(out).hasSize(1);
        assertThat(out.get(0).key()).isEqualTo("pay-1");
        final PaymentEvent event = out.get(0).value();
        assertThat(event.getType()).isEqualTo(PaymentEventType.PAYMENT_UPDATED);
        assertThat(event.getCommandId()).isEqualTo("provider:charge:p1:pay-1:" + outcome);
        final PaymentStatus expected = PaymentStatus.valueOf(outcome.name());
        assertThat(event.getPayment().getStatus()).isEqualTo(expected);
        assertThat(event.getPayment().getFailureReason()).isEqualTo("HTTP 503");
        assertThat(event.getPayment().getAttempts()).isEqualTo(4);
        assertThat(partner.stored("p1", "pay-1").getStatus()).isEqualTo(expected);
        assertThat(partner.stored("p1", "pay-1").getFailureReason()).isEqualTo("HTTP 503");
        assertThat(partner.account("p1", "EUR")).isEqualTo(new CurrencyAccount(100L, 0L));
        assertThat(partner.calls.isEmpty()).isTrue();
    }

    @Test
    void aDeadLetteredChargeRetriedByAnAdminIsQueuedAgainWithTheSameKeyAndCreditedOnce() {
        final ProviderCall first = requestProviderPayment("c1", "p1", "pay-1", 1_250);
        answer(first, ProviderCallOutcome.SUBMITTED, 1, null, null);
        answer(first, ProviderCallOutcome.DEAD_LETTERED, 5, null, "HTTP 503");

        final PaymentEvent retried = partner.send("r1", "p1",
                new RetryPayment(RetryPaymentKind.RETRY_PAYMENT, "pay-1"));

        assertThat(retried.getType()).isEqualTo(PaymentEventType.RETRY_PAYMENT);
        assertThat(retried.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(retried.getPayment().getStatus()).isEqualTo(PaymentStatus.QUEUED);
        assertThat(retried.getPayment().getRetries()).isEqualTo(1);
        assertThat(retried.getPayment().getAttempts()).isZero();
        assertThat(retried.getPayment().getFailureReason()).isNull();
        final List<ProviderCall> again = partner.calls.readValuesToList();
        assertThat(again).singleElement().satisfies(call -> {
            // The same key: a provider that did charge during the dead-lettered attempts answers with that charge.
            assertThat(call.getIdempotencyKey()).isEqualTo(first.getIdempotencyKey());
            assertThat(call.getRetry()).isEqualTo(1);
            assertThat(call.getOperation()).isEqualTo(ProviderOperation.CHARGE);
            assertThat(call.getAmount()).isEqualTo(first.getAmount());
        });
        // A late answer of the earlier attempts does not apply to the retry.
        assertThat(answer(first, ProviderCallOutcome.SUCCEEDED, 6, "ref-late", null)).isEmpty();
        assertThat(partner.stored("p1", "pay-1").getStatus()).isEqualTo(PaymentStatus.QUEUED);

        final List<TestRecord<String, PaymentEvent>> out = answer(again.get(0), ProviderCallOutcome.SUCCEEDED, 1,
                "ref-1", null);

        assertThat(out).singleElement().satisfies(record -> {
            assertThat(record.value().getCommandId()).isEqualTo("provider:charge:p1:pay-1#retry1:SUCCEEDED");
            assertThat(record.value().getPayment().getStatus()).isEqualTo(PaymentStatus.SUCCEEDED);
        });
        assertThat(partner.account("p1", "EUR")).isEqualTo(new CurrencyAccount(1_250L, 0L));
        // Only a DEAD_LETTERED payment is retried; the repeat of the retry command is answered as before.
        final PaymentEvent notRetryable = partner.send("r2", "p1",
                new RetryPayment(RetryPaymentKind.RETRY_PAYMENT, "pay-1"));
        assertThat(notRetryable.getOutcome()).isEqualTo(Outcome.REJECTED);
        assertThat(notRetryable.getReason()).isEqualTo(RejectionReason.PAYMENT_NOT_RETRYABLE);
        assertThat(partner.send("r3", "p1", new RetryPayment(RetryPaymentKind.RETRY_PAYMENT, "pay-9")).getReason())
                .isEqualTo(RejectionReason.PAYMENT_NOT_FOUND);
        assertThat(partner.send("r1", "p1", new RetryPayment(RetryPaymentKind.RETRY_PAYMENT, "pay-1")).getDuplicate())
                .isTrue();
        assertThat(partner.calls.isEmpty()).isTrue();
        assertThat(partner.account("p1", "EUR")).isEqualTo(new CurrencyAccount(1_250L, 0L));
    }

    @ParameterizedTest
    @EnumSource(value = ProviderCallOutcome.class, names = {"SUCCEEDED", "FAILED", "DEAD_LETTERED"})
    void aRepeatedOrLateAnswerAfterTheFinalOneChangesNothing(final ProviderCallOutcome first) {
        final ProviderCall call = requestProviderPayment("c1", "p1", "pay-1", 1_250);
        answer(call, ProviderCallOutcome.SUBMITTED, 1, null, null);
        answer(call, first, 1, first == ProviderCallOutcome.SUCCEEDED ? "ref-1" : null,
                first == ProviderCallOutcome.SUCCEEDED ? null : "no");
        final Payment after = partner.stored("p1", "pay-1");
        final PartnerBalance balance = partner.balances().get("p1");

        for (final ProviderCallOutcome late : ProviderCallOutcome.values()) {
            assertThat(answer(call, late, 2, "ref-late", "late")).as("answer %s after %s", late, first).isEmpty();
        }

        assertThat(partner.stored("p1", "pay-1")).isEqualTo(after);
        assertThat(partner.balances().get("p1")).isEqualTo(balance);
        assertThat(partner.calls.isEmpty()).isTrue();
    }

    @Test
    void anAnswerThatDoesNotMatchThePaymentsCallChangesNothing() {
        final ProviderCall call = requestProviderPayment("c1", "p1", "pay-1", 1_250);
        final Payment before = partner.stored("p1", "pay-1");

        // Another key for the same payment, a refund answer to a charge, another partner, an unknown payment.
        final ProviderCall otherKey = ProviderCall.newBuilder(call).setIdempotencyKey("charge:p1:pay-2").build();
        assertThat(answer(otherKey, ProviderCallOutcome.SUCCEEDED, 1, "ref-x", null)).isEmpty();
        final ProviderCall asRefund = ProviderCall.newBuilder(call).setOperation(ProviderOperation.REFUND).build();
        assertThat(answer(asRefund, ProviderCallOutcome.SUCCEEDED, 1, "ref-x", null)).isEmpty();
        final ProviderCall otherPartner = ProviderCall.newBuilder(call).setPartnerId("p2").build();
        assertThat(answer(otherPartner, ProviderCallOutcome.SUCCEEDED, 1, "ref-x", null)).isEmpty();
        final ProviderCall unknown = ProviderCall.newBuilder(call).setPaymentId("nope")
                .setIdempotencyKey("charge:p1:nope").build();
        assertThat(answer(unknown, ProviderCallOutcome.SUCCEEDED, 1, "ref-x", null)).isEmpty();

        assertThat(partner.stored("p1", "pay-1")).isEqualTo(before);
        assertThat(partner.balances().get("p1")).isNull();
        assertThat(partner.balances().get("p2")).isNull();
        assertThat(partner.payments().get("p2/pay-1")).isNull();
        // The right answer still applies.
        assertThat(answer(call, ProviderCallOutcome.SUCCEEDED, 1, "ref-1", null)).hasSize(1);
        assertThat(partner.account("p1", "EUR").getAvailableMinor()).isEqualTo(1_250);
    }

    @Test
    void anAnswerWithAnUnknownOutcomeChangesNothing() {
        final ProviderCall call = requestProviderPayment("c1", "p1", "pay-1", 1_250);

        assertThat(answer(call, ProviderCallOutcome.UNKNOWN, 1, null, null)).isEmpty();

        assertThat(partner.stored("p1", "pay-1").getStatus()).isEqualTo(PaymentStatus.QUEUED);
    }

    // ---------------------------------------------------------------- idempotency

    @Test
    void aRepeatedRequestReturnsTheOriginalOutcomeWithThePaymentsCurrentStateAndNoSecondCall() {
        final ProviderCall call = requestProviderPayment("c1", "p1", "pay-1", 1_250);
        answer(call, ProviderCallOutcome.SUBMITTED, 1, null, null);
        answer(call, ProviderCallOutcome.SUCCEEDED, 1, "ref-1", null);

        final TestRecord<String, PaymentEvent> again = partner.sendRecord("c1", "p1", providerPayment("pay-1", 1_250));

        assertThat(again.key()).isEqualTo("pay-1");
        assertThat(again.value().getDuplicate()).isTrue();
        assertThat(again.value().getCommandId()).isEqualTo("c1");
        assertThat(again.value().getType()).isEqualTo(PaymentEventType.REQUEST_PAYMENT);
        assertThat(again.value().getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(again.value().getReason()).isNull();
        assertThat(again.value().getPayment().getStatus()).isEqualTo(PaymentStatus.SUCCEEDED);
        assertThat(again.value().getPayment().getProviderReference()).isEqualTo("ref-1");
        assertThat(partner.calls.isEmpty()).isTrue();
        assertThat(partner.account("p1", "EUR").getAvailableMinor()).isEqualTo(1_250);
    }

    @Test
    void aRepeatedRequestWhileQueuedMakesNoSecondCall() {
        final TestRecord<String, PaymentEvent> first = partner.sendRecord("c1", "p1", providerPayment("pay-1", 1_250));
        assertThat(partner.calls.readRecordsToList()).hasSize(1);

        final TestRecord<String, PaymentEvent> again = partner.sendRecord("c1", "p1", providerPayment("pay-1", 1_250));

        assertThat(again.value().getDuplicate()).isTrue();
        assertThat(again.value().getPayment()).isEqualTo(first.value().getPayment());
        assertThat(again.value().getProcessedAt()).isEqualTo(first.value().getProcessedAt());
        assertThat(partner.calls.isEmpty()).isTrue();
    }

    @Test
    void aRepeatedBalancePaymentDebitsOnce() {
        partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        partner.send("c1", "p1", balancePayment("pay-1", 300));

        final PaymentEvent again = partner.send("c1", "p1", balancePayment("pay-1", 300));

        assertThat(again.getDuplicate()).isTrue();
        assertThat(again.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(again.getPayment().getStatus()).isEqualTo(PaymentStatus.SUCCEEDED);
        assertThat(partner.account("p1", "EUR").getAvailableMinor()).isEqualTo(700);
    }

    @Test
    void aRepeatedRequestShowsARefundThatHappenedSince() {
        partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        partner.send("c1", "p1", balancePayment("pay-1", 300));
        partner.send("r1", "p1", new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", null));

        final PaymentEvent again = partner.send("c1", "p1", balancePayment("pay-1", 300));

        assertThat(again.getDuplicate()).isTrue();
        assertThat(again.getBalanceAfter().getAvailableMinor()).isEqualTo(700); // as it was then
        assertThat(again.getPayment().getStatus()).isEqualTo(PaymentStatus.REFUNDED); // as it is now
        assertThat(partner.account("p1", "EUR").getAvailableMinor()).isEqualTo(1_000);
    }

    @Test
    void aPaymentIsRefundedInPartsAndNeverBeyondWhatWasPaid() {
        partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        partner.send("c1", "p1", balancePayment("pay-1", 300));

        final PaymentEvent first = partner.send("r1", "p1",
                new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", eur(100)));
        final PaymentEvent tooMuch = partner.send("r2", "p1",
                new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", eur(201)));
        final PaymentEvent otherCurrency = partner.send("r3", "p1",
                new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", new Money(50L, "USD")));
        final PaymentEvent rest = partner.send("r4", "p1",
                new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", null));

        assertThat(first.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(first.getAmount()).isEqualTo(eur(100));
        assertThat(first.getPayment().getStatus()).isEqualTo(PaymentStatus.SUCCEEDED);
        assertThat(first.getPayment().getRefundedMinor()).isEqualTo(100);
        assertThat(tooMuch.getReason()).isEqualTo(RejectionReason.INVALID_AMOUNT);
        assertThat(otherCurrency.getReason()).isEqualTo(RejectionReason.INVALID_CURRENCY);
        assertThat(rest.getAmount()).isEqualTo(eur(200));
        assertThat(rest.getPayment().getStatus()).isEqualTo(PaymentStatus.REFUNDED);
        assertThat(partner.account("p1", "EUR").getAvailableMinor()).isEqualTo(1_000);
        assertThat(partner.send("r5", "p1",
                new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", eur(1))).getReason())
                .isEqualTo(RejectionReason.PAYMENT_NOT_REFUNDABLE);
    }

    @Test
    void theSameCommandIdWithAnotherPayloadIsAConflictWithoutEffect() {
        partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        requestProviderPayment("c1", "p1", "pay-1", 1_250);

        final PaymentEvent otherAmount = partner.send("c1", "p1", providerPayment("pay-1", 1_251));
        final PaymentEvent otherPayment = partner.send("c1", "p1", providerPayment("pay-2", 1_250));
        final PaymentEvent otherMethod = partner.send("c1", "p1", balancePayment("pay-3", 10));

        for (final PaymentEvent conflict : List.of(otherAmount, otherPayment, otherMethod)) {
            assertThat(conflict.getOutcome()).isEqualTo(Outcome.REJECTED);
            assertThat(conflict.getReason()).isEqualTo(RejectionReason.IDEMPOTENCY_CONFLICT);
            assertThat(conflict.getDuplicate()).isTrue();
            assertThat(conflict.getPayment()).isNull();
        }
        assertThat(partner.stored("p1", "pay-1").getAmount()).isEqualTo(eur(1_250));
        assertThat(partner.stored("p1", "pay-2")).isNull();
        assertThat(partner.stored("p1", "pay-3")).isNull();
        assertThat(partner.calls.isEmpty()).isTrue();
        assertThat(partner.account("p1", "EUR")).isEqualTo(new CurrencyAccount(1_000L, 0L));
    }

    @Test
    void aNewCommandIdForAnExistingPaymentIsRejected() {
        requestProviderPayment("c1", "p1", "pay-1", 1_250);
        final Payment before = partner.stored("p1", "pay-1");

        final TestRecord<String, PaymentEvent> record = partner.sendRecord("c2", "p1", providerPayment("pay-1", 999));

        assertThat(record.value().getOutcome()).isEqualTo(Outcome.REJECTED);
        assertThat(record.value().getReason()).isEqualTo(RejectionReason.PAYMENT_ALREADY_EXISTS);
        assertThat(record.value().getDuplicate()).isFalse();
        assertThat(partner.stored("p1", "pay-1")).isEqualTo(before);
        assertThat(partner.calls.isEmpty()).isTrue();
        // With another method too, and the rejection is itself remembered.
        assertThat(partner.send("c3", "p1", balancePayment("pay-1", 1)).getReason())
                .isEqualTo(RejectionReason.PAYMENT_ALREADY_EXISTS);
        final PaymentEvent replay = partner.send("c2", "p1", providerPayment("pay-1", 999));
        assertThat(replay.getDuplicate()).isTrue();
        assertThat(replay.getReason()).isEqualTo(RejectionReason.PAYMENT_ALREADY_EXISTS);
    }

    // ---------------------------------------------------------------- validation

    static Stream<Arguments> invalidRequests() {
        return Stream.of(
                Arguments.of("zero amount", requestPayment("pay-1", eur(0), PaymentMethod.BALANCE, null),
                        RejectionReason.INVALID_AMOUNT),
                Arguments.of("negative amount", requestPayment("pay-1", eur(-5), PaymentMethod.PROVIDER, PROVIDER),
                        RejectionReason.INVALID_AMOUNT),
                Arguments.of("unknown currency", requestPayment("pay-1", money(5, "ZZZ"), PaymentMethod.BALANCE, null),
                        RejectionReason.INVALID_CURRENCY),
                Arguments.of("lower-case currency",
                        requestPayment("pay-1", money(5, "eur"), PaymentMethod.PROVIDER, PROVIDER),
                        RejectionReason.INVALID_CURRENCY),
                Arguments.of("provider without providerId",
                        requestPayment("pay-1", eur(5), PaymentMethod.PROVIDER, null),
                        RejectionReason.INVALID_PROVIDER),
                Arguments.of("bad providerId", requestPayment("pay-1", eur(5), PaymentMethod.PROVIDER, "Bad/Id"),
                        RejectionReason.INVALID_PROVIDER),
                Arguments.of("empty providerId", requestPayment("pay-1", eur(5), PaymentMethod.PROVIDER, ""),
                        RejectionReason.INVALID_PROVIDER),
                Arguments.of("balance with providerId",
                        requestPayment("pay-1", eur(5), PaymentMethod.BALANCE, PROVIDER),
                        RejectionReason.INVALID_PROVIDER),
                Arguments.of("blank paymentId", requestPayment(" ", eur(5), PaymentMethod.BALANCE, null),
                        RejectionReason.INVALID_COMMAND),
                Arguments.of("empty paymentId", requestPayment("", eur(5), PaymentMethod.PROVIDER, PROVIDER),
                        RejectionReason.INVALID_COMMAND),
                Arguments.of("method UNKNOWN", requestPayment("pay-1", eur(5), PaymentMethod.UNKNOWN, null),
                        RejectionReason.INVALID_COMMAND),
                Arguments.of("charge key too long for a provider",
                        requestPayment("x".repeat(250), eur(5), PaymentMethod.PROVIDER, PROVIDER),
                        RejectionReason.INVALID_COMMAND));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidRequests")
    void anInvalidRequestIsRejectedWithItsReasonAndLeavesNoTrace(final String name, final RequestPayment request,
                                                                 final RejectionReason reason) {
        partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));

        final TestRecord<String, PaymentEvent> record = partner.sendRecord("c1", "p1", request);

        assertThat(record.value().getOutcome()).isEqualTo(Outcome.REJECTED);
        assertThat(record.value().getReason()).isEqualTo(reason);
        assertThat(record.value().getType()).isEqualTo(PaymentEventType.REQUEST_PAYMENT);
        assertThat(record.value().getDuplicate()).isFalse();
        assertThat(record.value().getPayment()).isNull();
        assertThat(record.key()).isEqualTo("p1");
        assertThat(count(partner.payments())).isZero();
        assertThat(partner.calls.isEmpty()).isTrue();
        assertThat(partner.balances().get("p1").getAccounts()).containsOnlyKeys("EUR");
        assertThat(partner.account("p1", "EUR")).isEqualTo(new CurrencyAccount(1_000L, 0L));
    }

    @Test
    void aRejectedRequestLeavesThePaymentIdFree() {
        partner.send("c1", "p1", requestPayment("pay-1", eur(5), PaymentMethod.PROVIDER, null));

        assertThat(partner.send("c2", "p1", providerPayment("pay-1", 5)).getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(partner.calls.readRecordsToList()).hasSize(1);
    }

    // ---------------------------------------------------------------- one partner's ids never meet another's

    @Test
    void chargeKeysOfDifferentPaymentsNeverCollideEvenWhenIdsHoldTheSeparator() {
        // The gateway accepts ':' in ids; "charge:" + partner + ':' + payment alone would give both
        // payments the key "charge:acme:eu:42", and the provider would answer the second with the first.
        partner.send("c1", "acme", providerPayment("eu:42", 100));
        partner.send("c1", "acme:eu", providerPayment("42", 100));

        final List<String> keys = partner.calls.readValuesToList().stream()
                .map(ProviderCall::getIdempotencyKey).toList();

        // The ':' inside an id is percent-encoded ('%' too, so the encoding stays one-to-one).
        assertThat(keys).containsExactly("charge:acme:eu%3A42", "charge:acme%3Aeu:42");
        partner.send("c2", "p%", providerPayment("100%3A", 100));
        assertThat(partner.calls.readValue().getIdempotencyKey()).isEqualTo("charge:p%25:100%253A");
    }

    @Test
    void refundKeysOfDifferentRefundsNeverCollideEvenWhenIdsHoldTheSeparator() {
        succeededProviderPayment("c1", "p1", "x", 100);
        succeededProviderPayment("c2", "p1", "x:y", 100);

        partner.send("y:z", "p1", new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "x", null));
        partner.send("z", "p1", new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "x:y", null));
        final List<ProviderCall> refunds = partner.calls.readValuesToList();

        assertThat(refunds).extracting(ProviderCall::getIdempotencyKey)
                .containsExactly("refund:p1:x:y%3Az", "refund:p1:x%3Ay:z");
        // Each answer reaches its own refund only.
        answer(refunds.get(0), ProviderCallOutcome.SUCCEEDED, 1, null, null);
        assertThat(partner.stored("p1", "x").getStatus()).isEqualTo(PaymentStatus.REFUNDED);
        assertThat(partner.stored("p1", "x:y").getStatus()).isEqualTo(PaymentStatus.REFUND_PENDING);
        answer(refunds.get(1), ProviderCallOutcome.FAILED, 1, null, "no");
        assertThat(partner.stored("p1", "x:y").getStatus()).isEqualTo(PaymentStatus.REFUND_FAILED);
        assertThat(partner.account("p1", "EUR")).isEqualTo(new CurrencyAccount(100L, 0L));
    }

    @Test
    void aPartnerIdHoldingTheStoreKeySeparatorCannotReachAnotherPartnersPayments() {
        // Stores key a payment "partnerId/paymentId": partner "a/b"'s payment "c" would be partner "a"'s "b/c".
        partner.send("c0", "a", new Credit(CreditKind.CREDIT, eur(1_000)));
        partner.send("c1", "a", balancePayment("b/c", 300));

        final PaymentEvent refund = partner.send("r1", "a/b",
                new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "c", null));
        final PaymentEvent request = partner.send("c2", "a/b", providerPayment("c", 50));

        assertThat(refund.getOutcome()).isEqualTo(Outcome.REJECTED);
        assertThat(refund.getReason()).isEqualTo(RejectionReason.INVALID_COMMAND);
        assertThat(request.getOutcome()).isEqualTo(Outcome.REJECTED);
        assertThat(request.getReason()).isEqualTo(RejectionReason.INVALID_COMMAND);
        assertThat(partner.stored("a", "b/c").getStatus()).isEqualTo(PaymentStatus.SUCCEEDED);
        assertThat(partner.account("a", "EUR")).isEqualTo(new CurrencyAccount(700L, 0L));
        assertThat(partner.balances().get("a/b")).isNull();
        assertThat(partner.calls.isEmpty()).isTrue();
        // Nor do its command ids take the place of another partner's: partner "a"'s command "b/r1" is new.
        partner.send("c3", "a", balancePayment("b/d", 1));
        final PaymentEvent own = partner.send("b/r1", "a",
                new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "b/c", null));
        assertThat(own.getDuplicate()).isFalse();
        assertThat(own.getOutcome()).isEqualTo(Outcome.ACCEPTED);
    }

    @Test
    void aPartnerIdHoldingTheStoreKeySeparatorCannotReachAnotherPartnersHolds() {
        partner.send("c0", "a", new Credit(CreditKind.CREDIT, eur(1_000)));
        partner.send("c1", "a", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "b/h", eur(300), 60_000L));

        final PaymentEvent capture =
                partner.send("c2", "a/b", new CaptureHold(CaptureHoldKind.CAPTURE_HOLD, "h", eur(300)));

        assertThat(capture.getOutcome()).isEqualTo(Outcome.REJECTED);
        assertThat(partner.account("a", "EUR")).isEqualTo(new CurrencyAccount(700L, 300L));
    }

    @Test
    void aChargeThatSucceedsButCannotBeCreditedKeepsTheProvidersReference() {
        partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(Long.MAX_VALUE - 10)));
        final ProviderCall call = requestProviderPayment("c1", "p1", "pay-1", 11);

        final List<TestRecord<String, PaymentEvent>> out = answer(call, ProviderCallOutcome.SUCCEEDED, 1, "ref-1", null);

        // Charged at the provider yet not credited: an operator has to undo the charge, and needs its reference.
        final Payment payment = out.get(0).value().getPayment();
        assertThat(payment.getStatus()).isEqualTo(PaymentStatus.FAILED);
        assertThat(payment.getFailureReason()).isEqualTo("BALANCE_OVERFLOW");
        assertThat(payment.getProviderReference()).isEqualTo("ref-1");
        assertThat(partner.account("p1", "EUR").getAvailableMinor()).isEqualTo(Long.MAX_VALUE - 10);
    }

    // ---------------------------------------------------------------- refunds

    @Test
    void aBalancePaymentIsRefundedAtOnce() {
        partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        partner.send("c1", "p1", balancePayment("pay-1", 300));

        final TestRecord<String, PaymentEvent> record = partner.sendRecord("r1", "p1",
                new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", null));

        assertThat(record.key()).isEqualTo("pay-1");
        final PaymentEvent event = record.value();
        assertThat(event.getType()).isEqualTo(PaymentEventType.REFUND_PAYMENT);
        assertThat(event.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(event.getAmount()).isEqualTo(eur(300));
        assertThat(event.getPayment().getStatus()).isEqualTo(PaymentStatus.REFUNDED);
        assertThat(event.getPayment().getRefundCommandId()).isEqualTo("r1");
        assertThat(event.getBalanceAfter().getAvailableMinor()).isEqualTo(1_000);
        assertThat(partner.stored("p1", "pay-1").getStatus()).isEqualTo(PaymentStatus.REFUNDED);
        assertThat(partner.account("p1", "EUR")).isEqualTo(new CurrencyAccount(1_000L, 0L));
        assertThat(partner.calls.isEmpty()).isTrue();
        // Once is all: a second refund finds nothing to refund.
        assertThat(partner.send("r2", "p1",
                new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", null)).getReason())
                .isEqualTo(RejectionReason.PAYMENT_NOT_REFUNDABLE);
        assertThat(partner.account("p1", "EUR").getAvailableMinor()).isEqualTo(1_000);
    }

    @Test
    void aProviderRefundHoldsTheAmountAndAsksTheProvider() {
        partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(100)));
        succeededProviderPayment("c1", "p1", "pay-1", 1_250);

        final TestRecord<String, PaymentEvent> record = partner.sendRecord("r1", "p1",
                new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", null));

        assertThat(record.key()).isEqualTo("pay-1");
        assertThat(record.value().getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(record.value().getType()).isEqualTo(PaymentEventType.REFUND_PAYMENT);
        assertThat(record.value().getPayment().getStatus()).isEqualTo(PaymentStatus.REFUND_PENDING);
        assertThat(record.value().getPayment().getRefundCommandId()).isEqualTo("r1");
        assertThat(record.value().getPayment().getProviderReference()).isEqualTo("ref-pay-1");
        assertThat(record.value().getBalanceAfter().getAvailableMinor()).isEqualTo(100);
        assertThat(record.value().getBalanceAfter().getHeldMinor()).isEqualTo(1_250);
        assertThat(partner.account("p1", "EUR")).isEqualTo(new CurrencyAccount(100L, 1_250L));
        final List<TestRecord<String, ProviderCall>> sent = partner.calls.readRecordsToList();
        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).key()).isEqualTo(PROVIDER);
        assertThat(sent.get(0).value().getIdempotencyKey()).isEqualTo("refund:p1:pay-1:r1");
        assertThat(sent.get(0).value().getOperation()).isEqualTo(ProviderOperation.REFUND);
        assertThat(sent.get(0).value().getAmount()).isEqualTo(eur(1_250));
        assertThat(sent.get(0).value().getPaymentId()).isEqualTo("pay-1");
        assertThat(sent.get(0).value().getProviderId()).isEqualTo(PROVIDER);
        // Held money cannot be spent while the provider refunds.
        assertThat(partner.send("c2", "p1", new Debit(DebitKind.DEBIT, eur(101))).getReason())
                .isEqualTo(RejectionReason.INSUFFICIENT_FUNDS);
        assertThat(partner.send("r2", "p1",
                new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", null)).getReason())
                .isEqualTo(RejectionReason.PAYMENT_NOT_REFUNDABLE);
        assertThat(partner.calls.isEmpty()).isTrue();
    }

    @Test
    void aRepeatedRefundCommandMakesNoSecondCallAndHoldsOnce() {
        succeededProviderPayment("c1", "p1", "pay-1", 1_250);
        partner.send("r1", "p1", new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", null));
        assertThat(partner.calls.readRecordsToList()).hasSize(1);

        final PaymentEvent again = partner.send("r1", "p1",
                new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", null));

        assertThat(again.getDuplicate()).isTrue();
        assertThat(again.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(again.getPayment().getStatus()).isEqualTo(PaymentStatus.REFUND_PENDING);
        assertThat(partner.calls.isEmpty()).isTrue();
        assertThat(partner.account("p1", "EUR")).isEqualTo(new CurrencyAccount(0L, 1_250L));
    }

    @Test
    void aSucceededRefundTakesTheHeldAmountOut() {
        partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(100)));
        succeededProviderPayment("c1", "p1", "pay-1", 1_250);
        partner.send("r1", "p1", new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", null));
        final ProviderCall refund = partner.calls.readValue();
        // The refund's SUBMITTED report changes nothing: it stays REFUND_PENDING.
        assertThat(answer(refund, ProviderCallOutcome.SUBMITTED, 1, null, null)).isEmpty();
        assertThat(partner.stored("p1", "pay-1").getStatus()).isEqualTo(PaymentStatus.REFUND_PENDING);

        final List<TestRecord<String, PaymentEvent>> out = answer(refund, ProviderCallOutcome.SUCCEEDED, 2, "rf-1", null);

        assertThat(out).hasSize(1);
        assertThat(out.get(0).key()).isEqualTo("pay-1");
        final PaymentEvent event = out.get(0).value();
        assertThat(event.getType()).isEqualTo(PaymentEventType.PAYMENT_UPDATED);
        assertThat(event.getCommandId()).isEqualTo("provider:refund:p1:pay-1:r1:SUCCEEDED");
        assertThat(event.getPayment().getStatus()).isEqualTo(PaymentStatus.REFUNDED);
        assertThat(event.getPayment().getProviderReference()).isEqualTo("ref-pay-1"); // the charge's
        assertThat(event.getBalanceAfter().getAvailableMinor()).isEqualTo(100);
        assertThat(event.getBalanceAfter().getHeldMinor()).isZero();
        assertThat(partner.account("p1", "EUR")).isEqualTo(new CurrencyAccount(100L, 0L));
        assertThat(partner.stored("p1", "pay-1").getStatus()).isEqualTo(PaymentStatus.REFUNDED);
        // A repeated answer takes nothing out twice.
        assertThat(answer(refund, ProviderCallOutcome.SUCCEEDED, 2, "rf-1", null)).isEmpty();
        assertThat(answer(refund, ProviderCallOutcome.FAILED, 2, null, "late")).isEmpty();
        assertThat(partner.account("p1", "EUR")).isEqualTo(new CurrencyAccount(100L, 0L));
        assertThat(partner.send("r2", "p1",
                new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", null)).getReason())
                .isEqualTo(RejectionReason.PAYMENT_NOT_REFUNDABLE);
    }

    @ParameterizedTest
    @EnumSource(value = ProviderCallOutcome.class, names = {"FAILED", "DEAD_LETTERED"})
    void aFailedRefundGivesTheHeldAmountBackAndTheRefundMayBeAskedAgain(final ProviderCallOutcome outcome) {
        partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(100)));
        succeededProviderPayment("c1", "p1", "pay-1", 1_250);
        partner.send("r1", "p1", new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", null));
        final ProviderCall firstRefund = partner.calls.readValue();

        final List<TestRecord<String, PaymentEvent>> out = answer(firstRefund, outcome, 1, null, "refund refused");

        assertThat(out).hasSize(1);
        final PaymentEvent failed = out.get(0).value();
        assertThat(failed.getPayment().getStatus()).isEqualTo(PaymentStatus.REFUND_FAILED);
        assertThat(failed.getPayment().getFailureReason()).isEqualTo("refund refused");
        assertThat(failed.getBalanceAfter().getHeldMinor()).isZero();
        assertThat(partner.account("p1", "EUR")).isEqualTo(new CurrencyAccount(1_350L, 0L));

        final PaymentEvent again = partner.send("r2", "p1",
                new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", null));

        assertThat(again.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(again.getPayment().getStatus()).isEqualTo(PaymentStatus.REFUND_PENDING);
        assertThat(again.getPayment().getRefundCommandId()).isEqualTo("r2");
        assertThat(again.getPayment().getFailureReason()).isNull();
        assertThat(partner.account("p1", "EUR")).isEqualTo(new CurrencyAccount(100L, 1_250L));
        final ProviderCall secondRefund = partner.calls.readValue();
        assertThat(secondRefund.getIdempotencyKey()).isEqualTo("refund:p1:pay-1:r2");
        assertThat(secondRefund.getOperation()).isEqualTo(ProviderOperation.REFUND);
        assertThat(partner.calls.isEmpty()).isTrue();
        // An answer to the first refund, arriving late, is not an answer to the second.
        assertThat(answer(firstRefund, ProviderCallOutcome.SUCCEEDED, 1, null, null)).isEmpty();
        assertThat(partner.account("p1", "EUR")).isEqualTo(new CurrencyAccount(100L, 1_250L));

        assertThat(answer(secondRefund, ProviderCallOutcome.SUCCEEDED, 1, null, null)).hasSize(1);
        assertThat(partner.stored("p1", "pay-1").getStatus()).isEqualTo(PaymentStatus.REFUNDED);
        assertThat(partner.account("p1", "EUR")).isEqualTo(new CurrencyAccount(100L, 0L));
    }

    @Test
    void aRefundOfAnUnknownPaymentIsRejected() {
        partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        partner.send("c1", "p1", balancePayment("pay-1", 300));

        final PaymentEvent event = partner.send("r1", "p1",
                new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "nope", null));
        // Payments are the partner's own: another partner cannot refund them.
        final PaymentEvent elsewhere = partner.send("r2", "p2",
                new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", null));

        for (final PaymentEvent rejected : List.of(event, elsewhere)) {
            assertThat(rejected.getOutcome()).isEqualTo(Outcome.REJECTED);
            assertThat(rejected.getType()).isEqualTo(PaymentEventType.REFUND_PAYMENT);
            assertThat(rejected.getReason()).isEqualTo(RejectionReason.PAYMENT_NOT_FOUND);
        }
        assertThat(partner.stored("p1", "pay-1").getStatus()).isEqualTo(PaymentStatus.SUCCEEDED);
        assertThat(partner.account("p1", "EUR").getAvailableMinor()).isEqualTo(700);
        assertThat(partner.balances().get("p2")).isNull();
        assertThat(partner.calls.isEmpty()).isTrue();
    }

    @Test
    void onlyASucceededOrRefundFailedPaymentIsRefundable() {
        partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(10_000)));
        requestProviderPayment("q", "p1", "queued", 100);
        final ProviderCall submittedCall = requestProviderPayment("s", "p1", "submitted", 100);
        answer(submittedCall, ProviderCallOutcome.SUBMITTED, 1, null, null);
        final ProviderCall failedCall = requestProviderPayment("f", "p1", "failed", 100);
        answer(failedCall, ProviderCallOutcome.FAILED, 1, null, "declined");
        final ProviderCall deadCall = requestProviderPayment("d", "p1", "dead", 100);
        answer(deadCall, ProviderCallOutcome.DEAD_LETTERED, 8, null, "HTTP 503");
        partner.send("bf", "p1", balancePayment("balance-failed", 1_000_000));
        partner.send("br", "p1", balancePayment("balance-refunded", 100));
        partner.send("br-r", "p1", new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "balance-refunded", null));
        succeededProviderPayment("pr", "p1", "pending", 100);
        partner.send("pr-r", "p1", new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pending", null));
        partner.calls.readRecordsToList();
        final Map<String, Payment> before = all(partner.payments());
        final PartnerBalance balance = partner.balances().get("p1");

        for (final String paymentId : List.of("queued", "submitted", "failed", "dead", "balance-failed",
                "balance-refunded", "pending")) {
            final PaymentEvent event = partner.send("refund-" + paymentId, "p1",
                    new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, paymentId, null));
            assertThat(event.getOutcome()).as(paymentId).isEqualTo(Outcome.REJECTED);
            assertThat(event.getReason()).as(paymentId).isEqualTo(RejectionReason.PAYMENT_NOT_REFUNDABLE);
            assertThat(event.getAmount()).as(paymentId).isNotNull();
        }

        assertThat(all(partner.payments())).isEqualTo(before);
        assertThat(partner.balances().get("p1")).isEqualTo(balance);
        assertThat(partner.calls.isEmpty()).isTrue();
    }

    @Test
    void aProviderRefundAboveTheAvailableBalanceIsRejectedAndChangesNothing() {
        succeededProviderPayment("c1", "p1", "pay-1", 1_250);
        partner.send("c2", "p1", new Debit(DebitKind.DEBIT, eur(1_000)));
        final Payment before = partner.stored("p1", "pay-1");

        final TestRecord<String, PaymentEvent> record = partner.sendRecord("r1", "p1",
                new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", null));

        assertThat(record.value().getOutcome()).isEqualTo(Outcome.REJECTED);
        assertThat(record.value().getReason()).isEqualTo(RejectionReason.INSUFFICIENT_FUNDS);
        assertThat(record.value().getBalanceAfter().getAvailableMinor()).isEqualTo(250);
        assertThat(partner.stored("p1", "pay-1")).isEqualTo(before);
        assertThat(partner.account("p1", "EUR")).isEqualTo(new CurrencyAccount(250L, 0L));
        assertThat(partner.calls.isEmpty()).isTrue();
        // With the money back the same payment is refundable, under a new command.
        partner.send("c3", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        assertThat(partner.send("r2", "p1", new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", null))
                .getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(partner.calls.readValue().getIdempotencyKey()).isEqualTo("refund:p1:pay-1:r2");
    }

    // ---------------------------------------------------------------- conservation

    /** A call the test has read from provider-requests and not yet answered for good. */
    private static final class PendingCall {
        final ProviderCall call;
        boolean submitted;

        PendingCall(final ProviderCall call) {
            this.call = call;
        }
    }

    @Test
    void moneyIsConservedOverARandomHistoryOfCommandsAndProviderAnswers() {
        final Random random = new Random(20_261_125L);
        final int partners = 10;
        final List<String> currencies = List.of("EUR", "USD");
        final Map<String, Long> expectedTotal = new HashMap<>();
        final Map<String, Integer> firstResults = new HashMap<>();
        final List<PaymentCommand> sentCommands = new ArrayList<>();
        final List<String> paymentKeys = new ArrayList<>();
        final List<PendingCall> pending = new ArrayList<>();
        final List<ProviderCall> answered = new ArrayList<>();
        final Map<String, PaymentStatus> lastStatus = new HashMap<>();
        final Set<RejectionReason> reasons = EnumSet.noneOf(RejectionReason.class);
        int nextPayment = 0;
        int duplicates = 0;
        int providerEvents = 0;
        int retried = 0;

        for (int step = 0; step < 2_000; step++) {
            final String partnerId = "p" + random.nextInt(partners);
            final Money amount = money(1 + random.nextInt(1_000), currencies.get(random.nextInt(currencies.size())));
            final int op = random.nextInt(14);
            final List<TestRecord<String, PaymentEvent>> out;
            if (op >= 9 && op <= 12 && !pending.isEmpty()) {
                // The dispatcher's answers, in any order across calls; per call SUBMITTED before the final one.
                final PendingCall next = pending.get(random.nextInt(pending.size()));
                if (!next.submitted) {
                    next.submitted = true;
                    out = answer(next.call, ProviderCallOutcome.SUBMITTED, 1, null, null);
                } else {
                    pending.remove(next);
                    answered.add(next.call);
                    final int roll = random.nextInt(10);
                    final ProviderCallOutcome outcome = roll < 6 ? ProviderCallOutcome.SUCCEEDED
                            : roll < 8 ? ProviderCallOutcome.FAILED : ProviderCallOutcome.DEAD_LETTERED;
                    out = answer(next.call, outcome, 1 + random.nextInt(8),
                            outcome == ProviderCallOutcome.SUCCEEDED ? "ref-" + step : null,
                            outcome == ProviderCallOutcome.SUCCEEDED ? null : "reason-" + step);
                }
                assertThat(out).as("events for one answer").hasSizeLessThanOrEqualTo(1);
            } else if (op == 13 && !answered.isEmpty()) {
                // A repeated or late answer to a call answered for good already: nothing may change.
                final ProviderCall late = answered.get(random.nextInt(answered.size()));
                final ProviderCallOutcome outcome = ProviderCallOutcome.values()[random.nextInt(
                        ProviderCallOutcome.values().length)];
                out = answer(late, outcome, 9, "late", "late");
                assertThat(out).as("events for a late answer").isEmpty();
            } else {
                final PaymentCommand command;
                if (op == 8 && !sentCommands.isEmpty()) {
                    // A client retrying an earlier command: mostly the same payload, sometimes another one.
                    final PaymentCommand earlier = sentCommands.get(random.nextInt(sentCommands.size()));
                    command = random.nextInt(4) == 0
                            ? command(earlier.getCommandId(), earlier.getPartnerId(),
                                    new Credit(CreditKind.CREDIT, amount), START)
                            : PaymentCommand.newBuilder(earlier).build();
                } else {
                    final Object payload = switch (op) {
                        case 0, 1 -> new Credit(CreditKind.CREDIT, money(amount.getAmountMinor() * 2, amount.getCurrency()));
                        case 2 -> new Debit(DebitKind.DEBIT, amount);
                        case 3, 4 -> requestPayment(random.nextInt(20) == 0
                                ? knownPaymentId(paymentKeys, partnerId, random)
                                : "pay-" + nextPayment++, amount, PaymentMethod.BALANCE, null);
                        case 5, 6 -> requestPayment("pay-" + nextPayment++, amount, PaymentMethod.PROVIDER,
                                random.nextBoolean() ? PROVIDER : "beta");
                        // An admin retrying a payment: accepted only when it is DEAD_LETTERED.
                        default -> random.nextInt(4) == 0
                                ? new RetryPayment(RetryPaymentKind.RETRY_PAYMENT, knownPaymentId(paymentKeys, partnerId, random))
                                : new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, knownPaymentId(paymentKeys, partnerId, random), null);
                    };
                    command = command("c" + step, partnerId, payload, START);
                    sentCommands.add(command);
                }
                partner.commands.pipeInput(command.getPartnerId(), command);
                out = partner.events.readRecordsToList();
                assertThat(out).as("events for command %s", command.getCommandId()).hasSize(1);
            }
            for (final TestRecord<String, ProviderCall> call : partner.calls.readRecordsToList()) {
                assertThat(call.key()).isEqualTo(call.value().getProviderId());
                pending.add(new PendingCall(call.value()));
            }

            for (final TestRecord<String, PaymentEvent> record : out) {
                final PaymentEvent event = record.value();
                assertThat(record.key()).isEqualTo(PaymentEvents.keyOf(event));
                if (event.getReason() != null) {
                    reasons.add(event.getReason());
                }
                if (event.getDuplicate()) {
                    duplicates++;
                    continue;
                }
                if (event.getType() == PaymentEventType.RETRY_PAYMENT && event.getOutcome() == Outcome.ACCEPTED) {
                    retried++;
                }
                if (event.getType() == PaymentEventType.PAYMENT_UPDATED) {
                    providerEvents++;
                    assertThat(event.getCommandId()).startsWith(PaymentFlow.PROVIDER_COMMAND_PREFIX);
                } else {
                    firstResults.merge(event.getPartnerId() + '/' + event.getCommandId(), 1, Integer::sum);
                }
                final Payment payment = event.getPayment();
                if (payment != null) {
                    final String key = payment.getPartnerId() + '/' + payment.getPaymentId();
                    final PaymentStatus from = lastStatus.get(key);
                    assertThat(allowedNext(from, payment.getMethod())).as("%s: %s → %s", key, from, payment.getStatus())
                            .contains(payment.getStatus());
                    lastStatus.put(key, payment.getStatus());
                    if (from == null) {
                        paymentKeys.add(key);
                    }
                }
                if (event.getOutcome() == Outcome.ACCEPTED) {
                    final long effect = effectOf(event);
                    expectedTotal.merge(event.getPartnerId() + '/' + event.getAmount().getCurrency(), effect, Long::sum);
                    // The event's snapshot is the balance as it now stands.
                    final PartnerBalance balance = partner.balances().get(event.getPartnerId());
                    final CurrencyAccount stored = balance == null ? null
                            : balance.getAccounts().get(event.getAmount().getCurrency());
                    final long available = stored == null ? 0 : stored.getAvailableMinor();
                    final long held = stored == null ? 0 : stored.getHeldMinor();
                    assertThat(event.getBalanceAfter().getAvailableMinor()).isEqualTo(available);
                    assertThat(event.getBalanceAfter().getHeldMinor()).isEqualTo(held);
                }
                checkBalances(event.getPartnerId(), currencies, expectedTotal);
            }
        }

        // Everything the dispatcher still owes, answered: nothing is left pending, and nothing held.
        for (final PendingCall open : pending) {
            if (!open.submitted) {
                answer(open.call, ProviderCallOutcome.SUBMITTED, 1, null, null);
            }
            for (final TestRecord<String, PaymentEvent> record
                    : answer(open.call, ProviderCallOutcome.SUCCEEDED, 1, "ref-end", null)) {
                final PaymentEvent event = record.value();
                expectedTotal.merge(event.getPartnerId() + '/' + event.getAmount().getCurrency(),
                        effectOf(event), Long::sum);
            }
        }
        partner.events.readRecordsToList();
        for (int p = 0; p < partners; p++) {
            checkBalances("p" + p, currencies, expectedTotal);
            for (final String currency : currencies) {
                final CurrencyAccount account = accountOrEmpty("p" + p, currency);
                assertThat(account.getHeldMinor()).as("held of p%d %s at the end", p, currency).isZero();
            }
        }
        assertThat(all(partner.payments()).values()).extracting(Payment::getStatus).doesNotContain(
                PaymentStatus.RECEIVED, PaymentStatus.QUEUED, PaymentStatus.SUBMITTED, PaymentStatus.REFUND_PENDING);

        // Exactly one first result per command: every command sent has one, none has two.
        final Set<String> sentIds = new HashSet<>();
        sentCommands.forEach(c -> sentIds.add(c.getPartnerId() + '/' + c.getCommandId()));
        assertThat(firstResults.keySet()).isEqualTo(sentIds);
        assertThat(firstResults.values()).containsOnly(1);
        // The history exercised what it should.
        assertThat(duplicates).isGreaterThan(50);
        assertThat(reasons).contains(RejectionReason.INSUFFICIENT_FUNDS, RejectionReason.IDEMPOTENCY_CONFLICT,
                RejectionReason.PAYMENT_ALREADY_EXISTS, RejectionReason.PAYMENT_NOT_FOUND,
                RejectionReason.PAYMENT_NOT_REFUNDABLE, RejectionReason.PAYMENT_NOT_RETRYABLE);
        assertThat(providerEvents).isGreaterThan(200);
        assertThat(retried).as("dead-lettered payments retried").isGreaterThan(0);
        assertThat(all(partner.payments()).values()).extracting(Payment::getStatus).contains(PaymentStatus.SUCCEEDED,
                PaymentStatus.FAILED, PaymentStatus.DEAD_LETTERED, PaymentStatus.REFUNDED, PaymentStatus.REFUND_FAILED);
    }

    /** The change of available + held an accepted event stands for. */
    private static long effectOf(final PaymentEvent event) {
        final long amount = event.getAmount().getAmountMinor();
        final Payment payment = event.getPayment();
        return switch (event.getType()) {
            case CREDIT -> amount;
            case DEBIT -> -amount;
            case REQUEST_PAYMENT -> payment.getMethod() == PaymentMethod.BALANCE ? -amount : 0;
            // A BALANCE refund gives the money back; a PROVIDER refund only moves it to held.
            case REFUND_PAYMENT -> payment.getMethod() == PaymentMethod.BALANCE ? amount : 0;
            case RETRY_PAYMENT -> 0;
            case PAYMENT_UPDATED -> switch (payment.getStatus()) {
                case SUCCEEDED -> amount;   // the charge succeeded
                case REFUNDED -> -amount;   // the provider refunded: the held money leaves
                default -> 0;               // SUBMITTED, FAILED, DEAD_LETTERED, REFUND_FAILED
            };
            default -> throw new AssertionError("unexpected event " + event);
        };
    }

    private static Set<PaymentStatus> allowedNext(final PaymentStatus from, final PaymentMethod method) {
        if (from == null) {
            return method == PaymentMethod.BALANCE ? EnumSet.of(PaymentStatus.SUCCEEDED, PaymentStatus.FAILED)
                    : EnumSet.of(PaymentStatus.QUEUED);
        }
        return switch (from) {
            case QUEUED -> EnumSet.of(PaymentStatus.SUBMITTED);
            case DEAD_LETTERED -> EnumSet.of(PaymentStatus.QUEUED);
            case SUBMITTED -> EnumSet.of(PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.DEAD_LETTERED);
            case SUCCEEDED, REFUND_FAILED -> method == PaymentMethod.BALANCE ? EnumSet.of(PaymentStatus.REFUNDED)
                    : EnumSet.of(PaymentStatus.REFUND_PENDING);
            case REFUND_PENDING -> EnumSet.of(PaymentStatus.REFUNDED, PaymentStatus.REFUND_FAILED);
            default -> EnumSet.noneOf(PaymentStatus.class);
        };
    }

    /** available + held = Σ effects, available ≥ 0, and held = Σ amounts of the partner's pending refunds. */
    private void checkBalances(final String partnerId, final List<String> currencies, final Map<String, Long> expected) {
        final Map<String, Long> pendingRefunds = new HashMap<>();
        try (KeyValueIterator<String, Payment> it =
                     partner.payments().prefixScan(partnerId + '/', new StringSerializer())) {
            while (it.hasNext()) {
                final Payment payment = it.next().value;
                if (payment.getStatus() == PaymentStatus.REFUND_PENDING) {
                    pendingRefunds.merge(payment.getAmount().getCurrency(), payment.getAmount().getAmountMinor(),
                            Long::sum);
                }
            }
        }
        for (final String currency : currencies) {
            final CurrencyAccount account = accountOrEmpty(partnerId, currency);
            assertThat(account.getAvailableMinor()).as("available of %s %s", partnerId, currency).isNotNegative();
            assertThat(account.getHeldMinor()).as("held of %s %s", partnerId, currency).isNotNegative();
            assertThat(account.getAvailableMinor() + account.getHeldMinor()).as("total of %s %s", partnerId, currency)
                    .isEqualTo(expected.getOrDefault(partnerId + '/' + currency, 0L));
            assertThat(account.getHeldMinor()).as("held of %s %s = pending refunds", partnerId, currency)
                    .isEqualTo(pendingRefunds.getOrDefault(currency, 0L));
        }
    }

    /** Mostly a paymentId of this partner; sometimes another partner's, or one never seen. */
    private static String knownPaymentId(final List<String> paymentKeys, final String partnerId, final Random random) {
        if (paymentKeys.isEmpty() || random.nextInt(10) == 0) {
            return "never-" + random.nextInt(1_000);
        }
        final List<String> own = paymentKeys.stream().filter(k -> k.startsWith(partnerId + '/')).toList();
        final List<String> from = own.isEmpty() || random.nextInt(10) == 0 ? paymentKeys : own;
        final String key = from.get(random.nextInt(from.size()));
        return key.substring(key.indexOf('/') + 1);
    }

    // ---------------------------------------------------------------- helpers

    /** Requests a PROVIDER payment, checks it is QUEUED with one call, and returns that call. */
    private ProviderCall requestProviderPayment(final String commandId, final String partnerId, final String paymentId,
                                                final long amountMinor) {
        final PaymentEvent event = partner.send(commandId, partnerId, providerPayment(paymentId, amountMinor));
        assertThat(event.getPayment().getStatus()).isEqualTo(PaymentStatus.QUEUED);
        final List<ProviderCall> sent = partner.calls.readValuesToList();
        assertThat(sent).hasSize(1);
        return sent.get(0);
    }

    /** A PROVIDER payment charged successfully, reference {@code ref-<paymentId>}. */
    private void succeededProviderPayment(final String commandId, final String partnerId, final String paymentId,
                                          final long amountMinor) {
        final ProviderCall call = requestProviderPayment(commandId, partnerId, paymentId, amountMinor);
        answer(call, ProviderCallOutcome.SUBMITTED, 1, null, null);
        answer(call, ProviderCallOutcome.SUCCEEDED, 1, "ref-" + paymentId, null);
        assertThat(partner.stored(partnerId, paymentId).getStatus()).isEqualTo(PaymentStatus.SUCCEEDED);
    }

    /** Answers {@code call} as the dispatcher would, keyed by partnerId; returns the events it caused. */
    private List<TestRecord<String, PaymentEvent>> answer(final ProviderCall call, final ProviderCallOutcome outcome,
                                                          final int attempts, final String providerReference,
                                                          final String reason) {
        partner.answers.pipeInput(call.getPartnerId(), new ProviderCallResult(call.getIdempotencyKey(),
                call.getPaymentId(), call.getPartnerId(), call.getProviderId(), outcome, attempts, providerReference,
                outcome == ProviderCallOutcome.SUCCEEDED ? 201 : 0, reason, START, call.getOperation(),
                List.of(), null, List.of(), call.getRetry()));
        assertThat(partner.calls.isEmpty()).as("an answer never makes a call").isTrue();
        return partner.events.readRecordsToList();
    }

    private static RequestPayment balancePayment(final String paymentId, final long amountMinor) {
        return requestPayment(paymentId, eur(amountMinor), PaymentMethod.BALANCE, null);
    }

    private static RequestPayment providerPayment(final String paymentId, final long amountMinor) {
        return requestPayment(paymentId, eur(amountMinor), PaymentMethod.PROVIDER, PROVIDER);
    }

    private CurrencyAccount accountOrEmpty(final String partnerId, final String currency) {
        final PartnerBalance balance = partner.balances().get(partnerId);
        final CurrencyAccount account = balance == null ? null : balance.getAccounts().get(currency);
        return account == null ? new CurrencyAccount(0L, 0L) : account;
    }

    private static <V> Map<String, V> all(final KeyValueStore<String, V> store) {
        final Map<String, V> all = new HashMap<>();
        try (KeyValueIterator<String, V> it = store.all()) {
            while (it.hasNext()) {
                final KeyValue<String, V> entry = it.next();
                all.put(entry.key, entry.value);
            }
        }
        return all;
    }
}
