// Wake-ups for reads waiting on a key of one store: told by the stream thread that changed it, nothing polled.
package io.bursar.queries;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The changes of one store's keys, for reads that wait for a key to appear or to settle (long-polls). A waiter
 * {@link #watch watches} its key <em>before</em> it reads it; the stream thread calls {@link #changed} after it
 * wrote the key. So either the read sees the change, or the watch is woken by it. Waking completes a future and
 * nothing else: whatever depends on it runs on the reader's executor, never on the stream thread.
 */
public final class KeyChanges {

    private final ConcurrentMap<String, Set<Watch>> watches = new ConcurrentHashMap<>();

    /** Starts watching {@code key}: the watch is woken by its next change. Close it when done waiting. */
    public Watch watch(final String key) {
        final Watch watch = new Watch(key);
        watches.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(watch);
        return watch;
    }

    /** {@code key} was written: wakes every watch on it. Called by the stream thread, after the write. */
    public void changed(final String key) {
        final Set<Watch> woken = watches.remove(key);
        if (woken != null) {
            woken.forEach(watch -> watch.changed.complete(null));
        }
    }

    /** How many watches wait now (for tests and metrics). */
    public int waiting() {
        return watches.values().stream().mapToInt(Set::size).sum();
    }

    /** One waiter's watch of one key. */
    public final class Watch implements AutoCloseable {

        private final String key;
        private final CompletableFuture<Void> changed = new CompletableFuture<>();

        private Watch(final String key) {
            this.key = key;
        }

        /** Completed when the key changes after the watch began. */
        public CompletableFuture<Void> changed() {
            return changed;
        }

        @Override
        public void close() {
            watches.computeIfPresent(key, (k, set) -> {
                set.remove(this);
                return set.isEmpty() ? null : set;
            });
        }
    }
}
