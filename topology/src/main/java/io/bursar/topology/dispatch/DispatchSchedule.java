// The per-provider queue order of waiting calls, so each provider's due calls are found by one range scan.
package io.bursar.topology.dispatch;

import io.bursar.schemas.ProviderIds;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * An index of waiting calls ordered by provider, then by the time they may start.
 *
 * <p>Keys are {@code <providerId>/<notBefore, 19 zero-padded digits>/<call key>}. RocksDB orders keys
 * by their bytes, so one provider's entries are contiguous and in notBefore order (calls due at the
 * same millisecond go in call-key order). The shared
 * {@code DeadlineIndex} orders by deadline alone, which would let one provider's backlog, waiting for
 * tokens, hide every other provider's due calls behind it.
 */
final class DispatchSchedule {

    private static final char SEPARATOR = '/';
    /** The character after the separator: the upper bound of a prefix range. */
    private static final char AFTER_SEPARATOR = SEPARATOR + 1;

    private final KeyValueStore<String, String> store;

    DispatchSchedule(final KeyValueStore<String, String> store) {
        this.store = store;
    }

    /** Schedules {@code callKey} of {@code providerId} at {@code notBeforeMs}. */
    void add(final String providerId, final long notBeforeMs, final String callKey) {
        store.put(entryKey(providerId, notBeforeMs, callKey), callKey);
    }

    /** Removes and returns at most {@code limit} call keys of the provider due at {@code nowMs}, earliest first. */
    List<String> pollDue(final String providerId, final long nowMs, final int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
        final String lower = providerId + SEPARATOR;
        final String upper = providerId + SEPARATOR + String.format("%019d", Math.max(0, nowMs)) + AFTER_SEPARATOR;
        final List<KeyValue<String, String>> due = new ArrayList<>(Math.min(limit, 1_024));
        try (KeyValueIterator<String, String> it = store.range(lower, upper)) {
            while (it.hasNext() && due.size() < limit) {
                due.add(it.next());
            }
        }
        final List<String> callKeys = new ArrayList<>(due.size());
        for (final KeyValue<String, String> entry : due) {
            store.delete(entry.key);
            callKeys.add(entry.value);
        }
        return callKeys;
    }

    /** Whether the provider has a call due at {@code nowMs}, without removing it. */
    boolean hasDue(final String providerId, final long nowMs) {
        final String lower = providerId + SEPARATOR;
        final String upper = providerId + SEPARATOR + String.format("%019d", Math.max(0, nowMs)) + AFTER_SEPARATOR;
        try (KeyValueIterator<String, String> it = store.range(lower, upper)) {
            return it.hasNext();
        }
    }

    /** At most {@code limit} distinct providers with waiting calls, found by skipping over each provider's range. */
    List<String> providers(final int limit) {
        final List<String> providers = new ArrayList<>();
        String from = "";
        while (providers.size() < limit) {
            final String next;
            try (KeyValueIterator<String, String> it = store.range(from, null)) {
                if (!it.hasNext()) {
                    break;
                }
                next = it.next().key;
            }
            final String providerId = next.substring(0, next.indexOf(SEPARATOR));
            providers.add(providerId);
            from = providerId + AFTER_SEPARATOR;
        }
        return providers;
    }

    static String entryKey(final String providerId, final long notBeforeMs, final String callKey) {
        // Provider ids hold no '/': one provider's prefix never swallows another provider's entries.
        if (!ProviderIds.isValid(providerId)) {
            throw new IllegalArgumentException("bad provider id: " + providerId);
        }
        if (notBeforeMs < 0) {
            throw new IllegalArgumentException("notBefore must not be negative: " + notBeforeMs);
        }
        return String.format("%s%c%019d%c%s", providerId, SEPARATOR, notBeforeMs, SEPARATOR, callKey);
    }
}
