package io.bursar.topology.payments;

import io.bursar.schemas.payments.FundsHold;
import io.bursar.topology.DeadlineIndex;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The funds holds of one task's partners and the order in which they expire, as {@code Inventory} is for stock
 * holds: a hold is stored under {@code partnerId/holdId} and indexed under its deadline, so the punctuator finds
 * the expired ones with a range scan. Every change of a hold goes through here, so a hold and its deadline entry
 * never part.
 */
final class FundsHolds {

    private final KeyValueStore<String, FundsHold> holds;
    private final DeadlineIndex deadlines;

    FundsHolds(final KeyValueStore<String, FundsHold> holds, final DeadlineIndex deadlines) {
        this.holds = holds;
        this.deadlines = deadlines;
    }

    /** The hold stored under {@code key}, or null. */
    FundsHold get(final String key) {
        return holds.get(key);
    }

    /** Stores {@code hold} and schedules its expiry. */
    void put(final String key, final FundsHold hold) {
        holds.put(key, hold);
        deadlines.add(hold.getExpiresAt().toEpochMilli(), key);
    }

    /** Removes the hold stored under {@code key} and its expiry, scheduled at {@code deadlineMs}. */
    void remove(final String key, final long deadlineMs) {
        deadlines.remove(deadlineMs, key);
        holds.delete(key);
    }

    /** True when a hold's deadline has passed at {@code nowMs}. */
    boolean hasDue(final long nowMs) {
        return deadlines.hasDue(nowMs);
    }

    /**
     * At most {@code workMax} holds whose deadline has passed at {@code nowMs}, earliest first, each taken out of the
     * expiry order (still stored: ending one moves money, which is the caller's). An entry whose hold ended since,
     * or was replaced by one with a later deadline, is dropped.
     */
    List<Map.Entry<String, FundsHold>> pollExpired(final long nowMs, final int workMax) {
        final List<Map.Entry<String, FundsHold>> expired = new ArrayList<>();
        for (final String key : deadlines.pollDue(nowMs, workMax)) {
            final FundsHold hold = holds.get(key);
            if (hold != null && hold.getExpiresAt().toEpochMilli() <= nowMs) {
                expired.add(Map.entry(key, hold));
            }
        }
        return expired;
    }
}
