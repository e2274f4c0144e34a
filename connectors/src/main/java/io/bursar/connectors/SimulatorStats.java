// A consistent snapshot of the simulator's counters, served at GET /stats and by ProviderSimulator.stats().
package io.bursar.connectors;

import java.util.Map;
import java.util.SortedMap;

/**
 * What the simulator observed; tests and the demo check the design's invariants against it.
 *
 * @param callsPerSecond          epoch second → calls to /charges in it, for the retained windows only
 * @param maxCallsInOneSecond     the most calls seen in any one-second window since start (not only retained ones)
 * @param calls                   calls to /charges since start, including rejected ones
 * @param rateLimitViolations     calls answered 429 because their window was already full
 * @param duplicateCharges        idempotency keys whose charge succeeded more than once (only possible without dedupe)
 * @param idempotentReplays       calls answered with an earlier charge instead of charging again (only with dedupe)
 * @param successfulCharges       charges made, duplicates included
 * @param chargedMinorByPartner   partner id → minor units charged, duplicates included, currencies not separated
 */
public record SimulatorStats(
        SortedMap<Long, Integer> callsPerSecond,
        int maxCallsInOneSecond,
        long calls,
        long rateLimitViolations,
        long duplicateCharges,
        long idempotentReplays,
        long successfulCharges,
        Map<String, Long> chargedMinorByPartner) {
}
