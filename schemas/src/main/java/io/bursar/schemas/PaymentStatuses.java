package io.bursar.schemas;

import io.bursar.schemas.payments.PaymentStatus;
import java.util.EnumSet;
import java.util.Set;

/**
 * Which payment states are final (settled): a payment in one of them changes again only when a refund is asked
 * for, or, DEAD_LETTERED, when an admin retries it. Long-polling reads wait for one of these, and an order acts
 * on its payment once it reaches one; tests check every payment reaches one.
 */
public final class PaymentStatuses {

    private static final Set<PaymentStatus> TERMINAL = EnumSet.of(PaymentStatus.SUCCEEDED, PaymentStatus.FAILED,
            PaymentStatus.DEAD_LETTERED, PaymentStatus.REFUNDED, PaymentStatus.REFUND_FAILED);

    private PaymentStatuses() {
    }

    /** True for SUCCEEDED, FAILED, DEAD_LETTERED, REFUNDED and REFUND_FAILED. */
    public static boolean isTerminal(final PaymentStatus status) {
        return TERMINAL.contains(status);
    }
}
