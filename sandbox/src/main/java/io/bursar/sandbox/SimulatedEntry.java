// One charge or refund the simulator made, remembered per idempotency key for lookups and duplicate counting.
package io.bursar.sandbox;

import io.bursar.connectors.ProviderOperation;

/**
 * A charge or refund as the simulator recorded it.
 *
 * @param operation      whether it charged or refunded
 * @param idempotencyKey the key it was made under; charges and refunds have separate key spaces
 * @param reference      the simulator's id for it, {@code sim-ch-<n>} for charges and {@code sim-re-<n>} for refunds
 * @param paymentId      the payment it was for
 * @param partnerId      the partner charged or refunded
 * @param amountMinor    the amount in minor units
 * @param currency       the ISO-4217 code
 * @param timesMade      how often this key was charged (or refunded); above 1 only without dedupe
 */
record SimulatedEntry(
        ProviderOperation operation,
        String idempotencyKey,
        String reference,
        String paymentId,
        String partnerId,
        long amountMinor,
        String currency,
        int timesMade) {
}
