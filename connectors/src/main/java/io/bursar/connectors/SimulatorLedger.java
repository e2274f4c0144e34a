// The simulator's memory: call windows, charges per key and totals, all bounded and behind one lock.
package io.bursar.connectors;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Counts calls and charges for {@link ProviderSimulator}; every method is synchronized.
 *
 * <p>One lock is enough: a simulator serves at most a few thousand calls per second, and one lock
 * makes every snapshot consistent (a charge and its partner total never disagree).
 */
final class SimulatorLedger {

    /** Partners beyond this many are summed under {@link #OTHER_PARTNERS}, keeping the totals map bounded. */
    static final int PARTNERS_MAX = 10_000;

    /** The bucket for partners beyond {@link #PARTNERS_MAX}. */
    static final String OTHER_PARTNERS = "(other)";

    private final int windowSecondsRetained;
    private final TreeMap<Long, Integer> callsPerSecond = new TreeMap<>();
    private final Map<String, SimulatedCharge> chargesByKey;
    private final Map<String, Long> chargedMinorByPartner = new HashMap<>();
    private int maxCallsInOneSecond;
    private long calls;
    private long rateLimitViolations;
    private long duplicateCharges;
    private long idempotentReplays;
    private long successfulCharges;
    private long chargeSequence;

    SimulatorLedger(final int windowSecondsRetained, final int chargeKeysRetained) {
        this.windowSecondsRetained = windowSecondsRetained;
        // Insertion order, so the keys forgotten first are the oldest ones.
        this.chargesByKey = new LinkedHashMap<>(16, 0.75f, false) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(final Map.Entry<String, SimulatedCharge> eldest) {
                return size() > chargeKeysRetained;
            }
        };
    }

    /** Counts one call in its window and returns how many calls that window now holds. */
    synchronized int recordCall(final long epochSecond) {
        calls++;
        final int inWindow = callsPerSecond.merge(epochSecond, 1, Integer::sum);
        maxCallsInOneSecond = Math.max(maxCallsInOneSecond, inWindow);
        callsPerSecond.headMap(epochSecond - windowSecondsRetained, true).clear();
        // A clock stepping backwards could leave newer windows behind; the size cap holds regardless.
        while (callsPerSecond.size() > windowSecondsRetained) {
            callsPerSecond.pollFirstEntry();
        }
        return inWindow;
    }

    /** Counts a call refused for exceeding the rate limit. */
    synchronized void recordViolation() {
        rateLimitViolations++;
    }

    /** Charges the key, or with dedupe returns its earlier charge. */
    synchronized ChargeAttempt charge(
            final String idempotencyKey, final String paymentId, final String partnerId,
            final long amountMinor, final String currency, final boolean dedupe) {
        final SimulatedCharge earlier = chargesByKey.get(idempotencyKey);
        if (earlier != null && dedupe) {
            idempotentReplays++;
            return new ChargeAttempt(earlier, true);
        }
        chargeSequence++;
        final int timesCharged = earlier == null ? 1 : earlier.timesCharged() + 1;
        if (timesCharged == 2) {
            // Counted once per key, at the moment it first becomes a duplicate.
            duplicateCharges++;
        }
        final SimulatedCharge charge = new SimulatedCharge(idempotencyKey, "sim-ch-" + chargeSequence,
                paymentId, partnerId, amountMinor, currency, timesCharged);
        chargesByKey.put(idempotencyKey, charge);
        successfulCharges++;
        final String bucket = chargedMinorByPartner.containsKey(partnerId) || chargedMinorByPartner.size() < PARTNERS_MAX
                ? partnerId
                : OTHER_PARTNERS;
        chargedMinorByPartner.merge(bucket, amountMinor, SimulatorLedger::saturatingAdd);
        return new ChargeAttempt(charge, false);
    }

    /** The charge recorded for a key, if it is still remembered. */
    synchronized Optional<SimulatedCharge> find(final String idempotencyKey) {
        return Optional.ofNullable(chargesByKey.get(idempotencyKey));
    }

    /** A consistent copy of every counter. */
    synchronized SimulatorStats snapshot() {
        return new SimulatorStats(
                Collections.unmodifiableSortedMap(new TreeMap<>(callsPerSecond)),
                maxCallsInOneSecond,
                calls,
                rateLimitViolations,
                duplicateCharges,
                idempotentReplays,
                successfulCharges,
                Collections.unmodifiableMap(new TreeMap<>(chargedMinorByPartner)));
    }

    private static long saturatingAdd(final long a, final long b) {
        final long sum = a + b;
        // Overflow only if both have the same sign and the sum's sign differs; a counter then sticks at the bound.
        if (((a ^ sum) & (b ^ sum)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return sum;
    }
}
