// A consistent snapshot of the simulator's counters, served at GET /stats and by ProviderSimulator.stats().
package io.bursar.sandbox;

import java.util.Map;
import java.util.SortedMap;

/**
 * What the simulator observed; tests and the demo check Bursar's invariants (docs/reliability.md) against it.
 *
 * <p>Charges and refunds share the call counters and the rate limit but have separate totals, so the
 * net taken from a partner is {@code chargedMinorByPartner - refundedMinorByPartner}.
 *
 * @param callsPerSecond          epoch second → calls to /charges, /refunds and /bulk in it, for the retained windows only
 * @param maxCallsInOneSecond     the most calls seen in any one-second window since start (not only retained ones)
 * @param calls                   calls to /charges, /refunds and /bulk since start, including rejected ones
 * @param rateLimitViolations     calls answered 429 because their window was already full
 * @param duplicateCharges        idempotency keys whose charge succeeded more than once (only possible without dedupe)
 * @param idempotentReplays       charge calls answered with an earlier charge instead of charging again (only with dedupe)
 * @param successfulCharges       charges made, duplicates included
 * @param chargedMinorByPartner   partner id → minor units charged, duplicates included, refunds not subtracted,
 *                                currencies not separated
 * @param successfulRefunds       refunds made, duplicates included
 * @param duplicateRefunds        idempotency keys whose refund succeeded more than once (only possible without dedupe)
 * @param idempotentRefundReplays refund calls answered with an earlier refund instead of refunding again (only with dedupe)
 * @param refundsWithoutCharge    refunds made for a payment id the simulator never charged (or no longer remembers)
 * @param refundedMinorByPartner  partner id → minor units refunded, duplicates included, currencies not separated
 * @param bulkCalls               calls to /bulk that reached their lines (within the rate, valid), failed ones included
 * @param bulkLinesMade           lines of bulk calls applied, duplicates included
 * @param bulkLinesRefused        lines refused for good, each key counted once
 * @param bulkLineReplays         lines answered with their key's first answer instead of being applied again
 * @param duplicateBulkLines      line keys applied more than once (only possible without dedupe)
 */
public record SimulatorStats(
        SortedMap<Long, Integer> callsPerSecond,
        int maxCallsInOneSecond,
        long calls,
        long rateLimitViolations,
        long duplicateCharges,
        long idempotentReplays,
        long successfulCharges,
        Map<String, Long> chargedMinorByPartner,
        long successfulRefunds,
        long duplicateRefunds,
        long idempotentRefundReplays,
        long refundsWithoutCharge,
        Map<String, Long> refundedMinorByPartner,
        long bulkCalls,
        long bulkLinesMade,
        long bulkLinesRefused,
        long bulkLineReplays,
        long duplicateBulkLines) {
}
