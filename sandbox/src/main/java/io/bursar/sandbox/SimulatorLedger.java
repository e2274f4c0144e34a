// The simulator's memory: call windows, charges and refunds per key and totals, all bounded and behind one lock.
package io.bursar.sandbox;

import io.bursar.connectors.ProviderOperation;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * Counts calls, charges and refunds for {@link ProviderSimulator}; every method is synchronized.
 *
 * <p>One lock is enough: a simulator serves at most a few thousand calls per second, and one lock
 * makes every snapshot consistent (a charge and its partner total never disagree).
 */
final class SimulatorLedger {

    /** Partners beyond this many are summed under {@link #OTHER_PARTNERS}, keeping each totals map bounded. */
    static final int PARTNERS_MAX = 10_000;

    /** The bucket for partners beyond {@link #PARTNERS_MAX}. */
    static final String OTHER_PARTNERS = "(other)";

    private final int windowSecondsRetained;
    private final TreeMap<Long, Integer> callsPerSecond = new TreeMap<>();
    private final Book charges;
    private final Book refunds;
    /** Payments charged here, so that a refund can tell whether it gives back money this provider took. */
    private final Set<String> chargedPaymentIds;
    private int maxCallsInOneSecond;
    private long calls;
    private long rateLimitViolations;
    private long refundsWithoutCharge;
    /** Bulk fulfilment lines by idempotency key, with the first answer each got. */
    private final Map<String, LineAnswer> lines;
    private long bulkCalls;
    private long linesMade;
    private long linesRefused;
    private long lineReplays;
    private long lineDuplicates;

    /** Keeps this many one-second windows, and this many keys per operation and charged payment ids. */
    SimulatorLedger(final int windowSecondsRetained, final int keysRetained) {
        this.windowSecondsRetained = windowSecondsRetained;
        this.charges = new Book(ProviderOperation.CHARGE, "sim-ch-", keysRetained);
        this.refunds = new Book(ProviderOperation.REFUND, "sim-re-", keysRetained);
        this.chargedPaymentIds = Collections.newSetFromMap(forgettingOldestBeyond(keysRetained));
        this.lines = forgettingOldestBeyond(keysRetained);
    }

    /** What the simulator did with one line of a bulk call. */
    record LineAnswer(String reference, String refusedReason, boolean replayed, int timesMade) {
        boolean refused() {
            return refusedReason != null;
        }
    }

    /** Counts one bulk call that reached the lines (rate limit passed, body valid). */
    synchronized void recordBulkCall() {
        bulkCalls++;
    }

    /**
     * Applies one line of a bulk call. A key seen before keeps its first answer: with dedupe it is answered again
     * (a replay); without, a line made before is made again and counted as a duplicate effect. {@code refuse} is
     * drawn only for a key seen for the first time.
     */
    synchronized LineAnswer line(final String idempotencyKey, final BooleanSupplier refuse,
                                 final boolean dedupe) {
        final LineAnswer earlier = lines.get(idempotencyKey);
        if (earlier != null && (dedupe || earlier.refused())) {
            lineReplays++;
            return new LineAnswer(earlier.reference(), earlier.refusedReason(), true, earlier.timesMade());
        }
        if (earlier != null) {
            final LineAnswer again = new LineAnswer(earlier.reference(), null, false, earlier.timesMade() + 1);
            if (again.timesMade() == 2) {
                lineDuplicates++;
            }
            linesMade++;
            lines.put(idempotencyKey, again);
            return again;
        }
        final LineAnswer answer;
        if (refuse.getAsBoolean()) {
            linesRefused++;
            answer = new LineAnswer(null, "line refused by the provider", false, 0);
        } else {
            linesMade++;
            answer = new LineAnswer("sim-ln-" + (linesMade + linesRefused), null, false, 1);
        }
        lines.put(idempotencyKey, answer);
        return answer;
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
    synchronized EntryAttempt charge(
            final String idempotencyKey, final String paymentId, final String partnerId,
            final long amountMinor, final String currency, final boolean dedupe) {
        final EntryAttempt attempt = charges.make(idempotencyKey, paymentId, partnerId, amountMinor, currency, dedupe);
        chargedPaymentIds.add(paymentId);
        return attempt;
    }

    /** Refunds the key, or with dedupe returns its earlier refund; a refund need not match a charge made here. */
    synchronized EntryAttempt refund(
            final String idempotencyKey, final String paymentId, final String partnerId,
            final long amountMinor, final String currency, final boolean dedupe) {
        final EntryAttempt attempt = refunds.make(idempotencyKey, paymentId, partnerId, amountMinor, currency, dedupe);
        if (!attempt.replayed() && !chargedPaymentIds.contains(paymentId)) {
            refundsWithoutCharge++;
        }
        return attempt;
    }

    /** The charge recorded for a key, if it is still remembered; refunds are not looked up. */
    synchronized Optional<SimulatedEntry> findCharge(final String idempotencyKey) {
        return Optional.ofNullable(charges.byKey.get(idempotencyKey));
    }

    /** A consistent copy of every counter. */
    synchronized SimulatorStats snapshot() {
        return new SimulatorStats(
                Collections.unmodifiableSortedMap(new TreeMap<>(callsPerSecond)),
                maxCallsInOneSecond,
                calls,
                rateLimitViolations,
                charges.duplicates,
                charges.replays,
                charges.made,
                Collections.unmodifiableMap(new TreeMap<>(charges.minorByPartner)),
                refunds.made,
                refunds.duplicates,
                refunds.replays,
                refundsWithoutCharge,
                Collections.unmodifiableMap(new TreeMap<>(refunds.minorByPartner)),
                bulkCalls,
                linesMade,
                linesRefused,
                lineReplays,
                lineDuplicates);
    }

    /** A map that forgets its oldest insertion once it holds more than {@code sizeMax} keys. */
    private static <V> Map<String, V> forgettingOldestBeyond(final int sizeMax) {
        // Insertion order, so the keys forgotten first are the oldest ones.
        return new LinkedHashMap<>(16, 0.75f, false) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(final Map.Entry<String, V> eldest) {
                return size() > sizeMax;
            }
        };
    }

    private static long saturatingAdd(final long a, final long b) {
        final long sum = a + b;
        // Overflow only if both have the same sign and the sum's sign differs; a counter then sticks at the bound.
        if (((a ^ sum) & (b ^ sum)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return sum;
    }

    /** The entries, partner totals and counters of one operation; guarded by the ledger's lock. */
    private static final class Book {

        private final ProviderOperation operation;
        private final String referencePrefix;
        private final Map<String, SimulatedEntry> byKey;
        private final Map<String, Long> minorByPartner = new HashMap<>();
        private long made;
        private long duplicates;
        private long replays;

        Book(final ProviderOperation operation, final String referencePrefix, final int keysRetained) {
            this.operation = operation;
            this.referencePrefix = referencePrefix;
            this.byKey = forgettingOldestBeyond(keysRetained);
        }

        EntryAttempt make(
                final String idempotencyKey, final String paymentId, final String partnerId,
                final long amountMinor, final String currency, final boolean dedupe) {
            final SimulatedEntry earlier = byKey.get(idempotencyKey);
            if (earlier != null && dedupe) {
                replays++;
                return new EntryAttempt(earlier, true);
            }
            made++;
            final int timesMade = earlier == null ? 1 : earlier.timesMade() + 1;
            if (timesMade == 2) {
                // Counted once per key, at the moment it first becomes a duplicate.
                duplicates++;
            }
            final SimulatedEntry entry = new SimulatedEntry(operation, idempotencyKey, referencePrefix + made,
                    paymentId, partnerId, amountMinor, currency, timesMade);
            byKey.put(idempotencyKey, entry);
            final String bucket = minorByPartner.containsKey(partnerId) || minorByPartner.size() < PARTNERS_MAX
                    ? partnerId
                    : OTHER_PARTNERS;
            minorByPartner.merge(bucket, amountMinor, SimulatorLedger::saturatingAdd);
            return new EntryAttempt(entry, false);
        }
    }
}
