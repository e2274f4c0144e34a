// Sample payment records for serde tests: one command per payload branch and events with and without options.
package io.bursar.serdes;

import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.BalanceSnapshot;
import io.bursar.schemas.payments.CaptureHold;
import io.bursar.schemas.payments.CaptureHoldKind;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.CreditKind;
import io.bursar.schemas.payments.Debit;
import io.bursar.schemas.payments.DebitKind;
import io.bursar.schemas.payments.HoldFunds;
import io.bursar.schemas.payments.HoldFundsKind;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentEventType;
import io.bursar.schemas.payments.RejectionReason;
import io.bursar.schemas.payments.ReleaseHold;
import io.bursar.schemas.payments.ReleaseHoldKind;
import java.time.Instant;
import java.util.List;

/** Builds valid sample records; timestamps are whole milliseconds because the schemas store millis. */
public final class PaymentSamples {

    public static final Instant ISSUED_AT = Instant.ofEpochMilli(1_790_000_000_123L);

    private PaymentSamples() {
    }

    /** One command for every branch of the payload union. */
    public static List<PaymentCommand> commandOfEveryPayload() {
        return List.of(
                command("c-credit", Credit.newBuilder().setCredit(CreditKind.CREDIT).setAmount(eur(10_000)).build()),
                command("c-debit", Debit.newBuilder().setDebit(DebitKind.DEBIT).setAmount(eur(2_500)).build()),
                command("c-hold", HoldFunds.newBuilder().setHoldFunds(HoldFundsKind.HOLD_FUNDS).setHoldId("h-1").setAmount(eur(1_000)).setTtlMs(60_000).build()),
                command("c-capture", CaptureHold.newBuilder().setCaptureHold(CaptureHoldKind.CAPTURE_HOLD).setHoldId("h-1").setAmount(eur(900)).build()),
                command("c-release", ReleaseHold.newBuilder().setReleaseHold(ReleaseHoldKind.RELEASE_HOLD).setHoldId("h-2").build()));
    }

    public static PaymentCommand command(final String commandId, final Object payload) {
        return PaymentCommand.newBuilder()
                .setCommandId(commandId)
                .setPartnerId("partner-7")
                .setIssuedAt(ISSUED_AT)
                .setPayload(payload)
                .build();
    }

    /** An accepted hold with every optional field set. */
    public static PaymentEvent acceptedHoldEvent() {
        return PaymentEvent.newBuilder()
                .setCommandId("c-hold")
                .setPartnerId("partner-7")
                .setType(PaymentEventType.HOLD_FUNDS)
                .setOutcome(Outcome.ACCEPTED)
                .setAmount(eur(1_000))
                .setHoldId("h-1")
                .setBalanceAfter(BalanceSnapshot.newBuilder().setCurrency("EUR").setAvailableMinor(9_000)
                        .setHeldMinor(1_000).build())
                .setProcessedAt(ISSUED_AT.plusMillis(5))
                .build();
    }

    /** A rejected debit with only the required fields and a reason. */
    public static PaymentEvent rejectedDebitEvent() {
        return PaymentEvent.newBuilder()
                .setCommandId("c-debit")
                .setPartnerId("partner-7")
                .setType(PaymentEventType.DEBIT)
                .setOutcome(Outcome.REJECTED)
                .setReason(RejectionReason.INSUFFICIENT_FUNDS)
                .setDuplicate(true)
                .setProcessedAt(ISSUED_AT.plusMillis(9))
                .build();
    }

    public static Money eur(final long amountMinor) {
        return Money.newBuilder().setAmountMinor(amountMinor).setCurrency("EUR").build();
    }
}
