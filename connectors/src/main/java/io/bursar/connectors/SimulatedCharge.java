// One charge the simulator made, remembered per idempotency key for status lookups and duplicate counting.
package io.bursar.connectors;

/**
 * A charge as the simulator recorded it.
 *
 * @param idempotencyKey the key it was made under
 * @param reference      the simulator's id for it
 * @param paymentId      the payment it was for
 * @param partnerId      the partner charged
 * @param amountMinor    the amount in minor units
 * @param currency       the ISO-4217 code
 * @param timesCharged   how often this key was charged; above 1 only without dedupe
 */
record SimulatedCharge(
        String idempotencyKey,
        String reference,
        String paymentId,
        String partnerId,
        long amountMinor,
        String currency,
        int timesCharged) {
}
