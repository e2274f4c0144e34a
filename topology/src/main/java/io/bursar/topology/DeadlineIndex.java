package io.bursar.topology;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A deadline-ordered index over a key-value store: finds the entries whose deadline has passed by a
 * range scan from the start of the index, so a punctuator never scans the whole state.
 *
 * <p>Index keys are {@code <lane><deadline, 19 zero-padded digits>/<entry key>}; RocksDB orders keys by
 * their serialized bytes, and for these ASCII keys byte order is deadline order within a lane. A lane (empty for
 * a single index) shares one store between several indexes: the dispatcher keeps one per provider, so one
 * provider's backlog never hides another's due entries.
 */
public final class DeadlineIndex {

    private static final String LOWEST = "0000000000000000000/";
    private static final char AFTER_SEPARATOR = '/' + 1;
    private static final String DIGITS_ZEROS = "0000000000000000000";

    private final KeyValueStore<String, String> store;
    private final String lane;

    /** The one index of {@code store}. */
    public DeadlineIndex(final KeyValueStore<String, String> store) {
        this(store, "");
    }

    /**
     * The index of {@code lane} in {@code store}, beside other lanes; {@code lane} must end with a character no
     * other lane's name holds at that place (the dispatcher's end with '/', which provider ids never hold).
     */
    public DeadlineIndex(final KeyValueStore<String, String> store, final String lane) {
        this.store = store;
        this.lane = lane;
    }

    /** Schedules {@code entryKey} at {@code deadlineMs}; a no-op if it is already there. */
    public void add(final long deadlineMs, final String entryKey) {
        store.put(laneKey(deadlineMs, entryKey), entryKey);
    }

    /** Removes the entry scheduled at exactly {@code deadlineMs}. */
    public void remove(final long deadlineMs, final String entryKey) {
        store.delete(laneKey(deadlineMs, entryKey));
    }

    /**
     * Removes and returns at most {@code limit} entries whose deadline is at or before {@code nowMs},
     * earliest first. The rest stay for the next call.
     */
    public List<String> pollDue(final long nowMs, final int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
        final List<KeyValue<String, String>> due = new ArrayList<>(Math.min(limit, 1024));
        try (KeyValueIterator<String, String> it = store.range(lane + LOWEST, upperBound(nowMs))) {
            while (it.hasNext() && due.size() < limit) {
                due.add(it.next());
            }
        }
        final List<String> entries = new ArrayList<>(due.size());
        for (final KeyValue<String, String> kv : due) {
            store.delete(kv.key);
            entries.add(kv.value);
        }
        return entries;
    }

    /** Whether an entry is due at {@code nowMs}, without removing it. */
    public boolean hasDue(final long nowMs) {
        try (KeyValueIterator<String, String> it = store.range(lane + LOWEST, upperBound(nowMs))) {
            return it.hasNext();
        }
    }

    /** Every key of a deadline up to {@code nowMs} sorts below {@code <lane><nowMs>0} ('0' follows '/'). */
    private String upperBound(final long nowMs) {
        return lane + padded(Math.max(0, nowMs)) + AFTER_SEPARATOR;
    }

    private String laneKey(final long deadlineMs, final String entryKey) {
        return lane + indexKey(deadlineMs, entryKey);
    }

    static String indexKey(final long deadlineMs, final String entryKey) {
        if (deadlineMs < 0) {
            throw new IllegalArgumentException("deadline must not be negative: " + deadlineMs);
        }
        return padded(deadlineMs) + '/' + entryKey;
    }

    /** {@code value} (not negative) in 19 digits, zero-padded: every long fits. */
    private static String padded(final long value) {
        final String digits = Long.toString(value);
        return DIGITS_ZEROS.substring(digits.length()) + digits;
    }
}
