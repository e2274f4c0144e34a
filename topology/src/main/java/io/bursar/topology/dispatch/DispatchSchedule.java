// The per-provider queue order of waiting calls, so each provider's due calls are found by one range scan.
package io.bursar.topology.dispatch;

import io.bursar.schemas.ProviderIds;
import io.bursar.topology.DeadlineIndex;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * An index of waiting calls ordered by provider, then by the time they may start: one {@link DeadlineIndex} lane
 * per provider in one store.
 *
 * <p>Keys are {@code <providerId>/<notBefore, 19 zero-padded digits>/<call key>}. RocksDB orders keys
 * by their bytes, so one provider's entries are contiguous and in notBefore order (calls due at the
 * same millisecond go in call-key order). One index ordered by deadline alone would let one provider's backlog,
 * waiting for tokens, hide every other provider's due calls behind it.
 */
final class DispatchSchedule {

    private static final char SEPARATOR = '/';
    /** The character after the separator: the upper bound of a prefix range. */
    private static final char AFTER_SEPARATOR = SEPARATOR + 1;

    private final KeyValueStore<String, String> store;
    private final Map<String, DeadlineIndex> lanes = new HashMap<>();

    DispatchSchedule(final KeyValueStore<String, String> store) {
        this.store = store;
    }

    /** Schedules {@code callKey} of {@code providerId} at {@code notBeforeMs}. */
    void add(final String providerId, final long notBeforeMs, final String callKey) {
        lane(providerId).add(notBeforeMs, callKey);
    }

    /** Removes and returns at most {@code limit} call keys of the provider due at {@code nowMs}, earliest first. */
    List<String> pollDue(final String providerId, final long nowMs, final int limit) {
        return lane(providerId).pollDue(nowMs, limit);
    }

    /** Whether the provider has a call due at {@code nowMs}, without removing it. */
    boolean hasDue(final String providerId, final long nowMs) {
        return lane(providerId).hasDue(nowMs);
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

    /** The provider's lane; provider ids hold no '/', so one provider's lane never swallows another's entries. */
    private DeadlineIndex lane(final String providerId) {
        if (!ProviderIds.isValid(providerId)) {
            throw new IllegalArgumentException("bad provider id: " + providerId);
        }
        return lanes.computeIfAbsent(providerId, id -> new DeadlineIndex(store, id + SEPARATOR));
    }
}
