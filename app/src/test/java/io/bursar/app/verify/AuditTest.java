package io.bursar.app.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.app.verify.Audit.Check;
import io.bursar.app.verify.Audit.Position;
import io.bursar.schemas.common.Money;
import io.bursar.serdes.TrustedAvroPackages;
import io.bursar.schemas.dispatch.ProviderCallOutcome;
import io.bursar.schemas.dispatch.ProviderCallResult;
import io.bursar.schemas.dispatch.ProviderOperation;
import io.bursar.schemas.orders.Item;
import io.bursar.schemas.payments.CaptureHold;
import io.bursar.schemas.payments.CaptureHoldKind;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.CreditKind;
import io.bursar.schemas.payments.CurrencyAccount;
import io.bursar.schemas.payments.HoldFunds;
import io.bursar.schemas.payments.HoldFundsKind;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentEventType;
import io.bursar.schemas.payments.RejectionReason;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AuditTest {

    @BeforeAll
    static void trustTheGeneratedRecords() {
        // As every Bursar process does when it builds its topic catalog: the records' builders need it.
        TrustedAvroPackages.install();
    }

    private static final long NOW = 1_800_000_000_000L;
    private static final Audit.Settings SETTINGS = new Audit.Settings(NOW, 60_000, false, Map.of("sim", 2));

    private long offset;

    @Test
    void balancesRederivedFromCreditsHoldsAndCapturesMatchTheStoreOrAreReported() {
        final Audit audit = new Audit(SETTINGS);
        audit.paymentCommand(at("payment-commands"), command("c3", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1",
                eur(300), 600_000L)), true, false);
        audit.paymentCommand(at("payment-commands"), command("c1", new Credit(CreditKind.CREDIT, eur(1_000))), true, false);
        audit.paymentCommand(at("payment-commands"), command("c4", new CaptureHold(CaptureHoldKind.CAPTURE_HOLD, "h1",
                eur(100))), true, false);
        audit.paymentEvent(at("payment-events"), event("c1", PaymentEventType.CREDIT, eur(1_000), null));
        audit.paymentEvent(at("payment-events"), event("c3", PaymentEventType.HOLD_FUNDS, eur(300), "h1"));
        audit.paymentEvent(at("payment-events"), event("c4", PaymentEventType.CAPTURE_HOLD, eur(100), "h1"));
        // 1000 credited, 300 held, 100 of it captured and 200 back: 900 available, 0 held.
        audit.storedBalance(at("bursar-partner-balances-changelog"), "acme", balance(900, 0));

        assertThat(audit.finish(true, true).clean()).isTrue();

        final Audit broken = new Audit(SETTINGS);
        broken.paymentEvent(at("payment-events"), event("c1", PaymentEventType.CREDIT, eur(1_000), null));
        final Position stored = at("bursar-partner-balances-changelog");
        broken.storedBalance(stored, "acme", balance(1_001, 0));
        assertOneViolation(broken.finish(true, true), Check.BALANCE_MISMATCH, stored);
    }

    @Test
    void storeDifferencesSeenWhileRecordsArriveAreNoticesNotViolations() {
        final Audit audit = new Audit(SETTINGS);
        audit.paymentEvent(at("payment-events"), event("c1", PaymentEventType.CREDIT, eur(1_000), null));
        audit.storedBalance(at("bursar-partner-balances-changelog"), "acme", balance(5, 0));

        final AuditReport report = audit.finish(true, false);

        assertThat(report.clean()).isTrue();
        assertThat(report.notices()).anyMatch(notice -> notice.contains("not settled"));
    }

    @Test
    void aSecondFirstResultIsReportedWhileReplaysAndWrongPartitionRefusalsAreNot() {
        final Audit audit = new Audit(SETTINGS);
        audit.paymentEvent(at("payment-events"), rejected("c1", RejectionReason.WRONG_PARTITION));
        audit.paymentEvent(at("payment-events"), event("c1", PaymentEventType.CREDIT, eur(10), null));
        final PaymentEvent replay = event("c1", PaymentEventType.CREDIT, eur(10), null);
        replay.setDuplicate(true);
        audit.paymentEvent(at("payment-events"), replay);
        assertThat(audit.finish(false, true).clean()).isTrue();

        final Audit twice = new Audit(SETTINGS);
        twice.paymentEvent(at("payment-events"), event("c1", PaymentEventType.CREDIT, eur(10), null));
        final Position second = at("payment-events");
        twice.paymentEvent(second, event("c1", PaymentEventType.CREDIT, eur(10), null));
        assertOneViolation(twice.finish(false, true), Check.ONE_RESULT_PER_COMMAND, second);
    }

    @Test
    void consumedCommandsNeedAResultOrADeadLetterAndMisroutedOnesARefusal() {
        final Audit audit = new Audit(SETTINGS);
        final Position unanswered = at("payment-commands");
        audit.paymentCommand(unanswered, command("c1", new Credit(CreditKind.CREDIT, eur(1))), true, false);
        audit.paymentCommand(at("payment-commands"), command("pending", new Credit(CreditKind.CREDIT, eur(1))), false, false);
        final Position misrouted = at("payment-commands");
        audit.paymentCommand(misrouted, command("c2", new Credit(CreditKind.CREDIT, eur(1))), true, true);
        audit.paymentEvent(at("payment-events"), event("c2", PaymentEventType.CREDIT, eur(1), null));
        final Position unreadable = at("payment-commands");
        audit.unreadableCommand(unreadable, true);
        final Position deadLettered = at("payment-commands");
        audit.unreadableCommand(deadLettered, true);
        audit.deadLetter(at("command-dead-letters"), deadLettered);

        final AuditReport report = audit.finish(false, true);

        assertThat(report.violationsOf(Check.COMMAND_WITHOUT_RESULT)).isEqualTo(2);
        assertThat(report.violationsOf(Check.MISROUTED_COMMAND_APPLIED)).isEqualTo(1);
        assertThat(report.violations()).extracting(Audit.Violation::at).contains(unanswered, misrouted, unreadable);
    }

    @Test
    void moreCallsStartedInOneSecondThanTheProviderAllowsIsAViolation() {
        final Audit audit = new Audit(SETTINGS);
        audit.providerResult(at("provider-results"), call("k1", NOW, NOW + 1_000));
        audit.providerResult(at("provider-results"), call("k2", NOW + 500));
        assertThat(audit.finish(false, true).clean()).as("two calls in any second: at the rate").isTrue();

        final Audit tooFast = new Audit(SETTINGS);
        tooFast.providerResult(at("provider-results"), call("k1", NOW, NOW + 999));
        tooFast.providerResult(at("provider-results"), call("k2", NOW + 500));
        assertThat(tooFast.finish(false, true).violationsOf(Check.PROVIDER_RATE)).isEqualTo(1);
    }

    @Test
    void aHoldStillOpenPastItsDeadlineAndGraceIsAViolation() {
        final Audit audit = new Audit(SETTINGS);
        audit.paymentCommand(at("payment-commands"), command("c1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1",
                eur(10), 1_000L)), true, false);
        final PaymentEvent hold = event("c1", PaymentEventType.HOLD_FUNDS, eur(10), "h1");
        hold.setProcessedAt(Instant.ofEpochMilli(NOW - 120_000));
        audit.paymentEvent(at("payment-events"), hold);

        assertThat(audit.finish(false, true).violationsOf(Check.HOLD_NOT_ENDED)).isEqualTo(1);
    }

    @Test
    void stockThatDoesNotAddUpIsAViolation() {
        final Audit audit = new Audit(SETTINGS);
        audit.storedItem(at("bursar-category-items-changelog"), "books/b1",
                new Item("b1", "books", "Book", eur(100), 5L, 1L, 1L, 8L, Instant.ofEpochMilli(NOW), null));

        assertThat(audit.finish(true, true).violationsOf(Check.STOCK_IDENTITY)).isEqualTo(1);
    }

    private Position at(final String topic) {
        return new Position(topic, 0, offset++);
    }

    /** Asserts that {@code report} has one violation of {@code check} and that its first violation is at {@code at}. */
    private static void assertOneViolation(final AuditReport report, final Check check, final Position at) {
        assertThat(report.violationsOf(check)).isEqualTo(1);
        assertThat(report.violations().get(0).at()).isEqualTo(at);
    }

    private static Money eur(final long minor) {
        return new Money(minor, "EUR");
    }

    private static PaymentCommand command(final String commandId, final Object payload) {
        return PaymentCommand.newBuilder().setCommandId(commandId).setPartnerId("acme")
                .setIssuedAt(Instant.ofEpochMilli(NOW)).setPayload(payload).build();
    }

    private static PaymentEvent event(final String commandId, final PaymentEventType type, final Money amount,
                                      final String holdId) {
        return PaymentEvent.newBuilder().setCommandId(commandId).setPartnerId("acme").setType(type)
                .setOutcome(Outcome.ACCEPTED).setAmount(amount).setHoldId(holdId)
                .setProcessedAt(Instant.ofEpochMilli(NOW)).build();
    }

    private static PaymentEvent rejected(final String commandId, final RejectionReason reason) {
        return PaymentEvent.newBuilder().setCommandId(commandId).setPartnerId("acme").setType(PaymentEventType.CREDIT)
                .setOutcome(Outcome.REJECTED).setReason(reason).setProcessedAt(Instant.ofEpochMilli(NOW)).build();
    }

    private static PartnerBalance balance(final long available, final long held) {
        return new PartnerBalance("acme", Map.of("EUR", new CurrencyAccount(available, held)), Instant.ofEpochMilli(NOW));
    }

    private static ProviderCallResult call(final String key, final long... startsMs) {
        return ProviderCallResult.newBuilder().setIdempotencyKey(key).setPaymentId("p-" + key).setPartnerId("acme")
                .setProviderId("sim").setOutcome(ProviderCallOutcome.SUCCEEDED).setAttempts(startsMs.length)
                .setHttpStatus(201).setCompletedAt(Instant.ofEpochMilli(NOW)).setOperation(ProviderOperation.CHARGE)
                .setCallsStartedAt(java.util.Arrays.stream(startsMs).mapToObj(Instant::ofEpochMilli).toList())
                .build();
    }
}
