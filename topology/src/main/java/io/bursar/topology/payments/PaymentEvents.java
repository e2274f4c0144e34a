package io.bursar.topology.payments;

import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.BalanceSnapshot;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentEventType;
import io.bursar.schemas.payments.RejectionReason;
import java.time.Instant;

/** Builds {@link PaymentEvent}s, with copies of the records they carry so later changes never leak into sent events. */
public final class PaymentEvents {

    private PaymentEvents() {
    }

    static PaymentEvent event(final String commandId, final String partnerId, final PaymentEventType type,
                              final Outcome outcome, final RejectionReason reason, final Money amount,
                              final String holdId, final BalanceSnapshot after, final Payment payment,
                              final long nowMs) {
        return PaymentEvent.newBuilder()
                .setCommandId(commandId).setPartnerId(partnerId).setType(type).setOutcome(outcome)
                .setReason(reason).setAmount(amount == null ? null : Money.newBuilder(amount).build())
                .setHoldId(holdId).setBalanceAfter(after)
                .setPayment(payment == null ? null : Payment.newBuilder(payment).build())
                .setDuplicate(false).setProcessedAt(Instant.ofEpochMilli(nowMs))
                .build();
    }

    /** The key an event is published under: the payment it is about, else its partner. */
    public static String keyOf(final PaymentEvent event) {
        return event.getPayment() != null ? event.getPayment().getPaymentId() : event.getPartnerId();
    }
}
