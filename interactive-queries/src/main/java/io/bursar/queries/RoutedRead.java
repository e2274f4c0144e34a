package io.bursar.queries;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A read by key answered wherever the key lives; {@link OwnerRouter#reads} makes one from a store reader. */
public interface RoutedRead<V> {

    /**
     * Answers {@code key} for {@code request}, waiting up to {@code wait} while the key is missing or its value not
     * yet settled (see {@link OwnerRouter#reads(KeyLookup, java.util.function.Predicate)}). The answer comes through
     * a future: a router's waits hold no thread (a long-poll is woken by the key's change, a forwarded read by the
     * peer's answer). A read answered here at once is already complete.
     */
    CompletableFuture<OwnerRouter.Outcome<V>> readAsync(String key, OwnerRouter.Request request, Duration wait);

    /** {@link #readAsync}, waited for on the calling thread. */
    default OwnerRouter.Outcome<V> read(final String key, final OwnerRouter.Request request, final Duration wait) {
        return OwnerRouter.join(readAsync(key, request, wait));
    }
}
