package io.bursar.gateway;

import io.bursar.schemas.PaymentStatuses;
import io.bursar.schemas.payments.Payment;

/**
 * The JSON shape of a payment as it stands: money as {@code amountMinor} plus currency, as the balance and
 * command views show it; {@code terminal} says whether the status is final (see {@link PaymentStatuses});
 * {@code refundedMinor} is what was given back so far (all of it once REFUNDED, part of it after a partial refund);
 * {@code retries} counts an admin's retries of a DEAD_LETTERED charge.
 */
record PaymentView(String paymentId, String partnerId, String commandId, String method, String providerId,
                   String orderId, long amountMinor, String currency, String status, boolean terminal, int attempts,
                   String providerReference, String failureReason, String refundCommandId, long refundedMinor,
                   int retries, String createdAt, String updatedAt) {

    static PaymentView of(final Payment payment) {
        return new PaymentView(payment.getPaymentId(), payment.getPartnerId(), payment.getCommandId(),
                payment.getMethod().name(), payment.getProviderId(), payment.getOrderId(),
                payment.getAmount().getAmountMinor(), payment.getAmount().getCurrency(), payment.getStatus().name(),
                PaymentStatuses.isTerminal(payment.getStatus()), payment.getAttempts(), payment.getProviderReference(),
                payment.getFailureReason(), payment.getRefundCommandId(), payment.getRefundedMinor(),
                payment.getRetries(), payment.getCreatedAt().toString(),
                payment.getUpdatedAt().toString());
    }
}
