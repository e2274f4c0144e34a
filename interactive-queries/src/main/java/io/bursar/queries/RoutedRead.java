package io.bursar.queries;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A read by key answered wherever the key lives; {@link OwnerRouter#reads} makes one from a store reader. */
public interface RoutedRead<V> {

    /**
     * Answers {@code key} for {@code request}, waiting up to {@code wait} while the key is missing or its
     * value not yet settled (see {@link OwnerRouter#reads(KeyLookup, java.util.function.Predicate)}).
     */
    OwnerRouter.Outcome<V> read(String key, OwnerRouter.Request request, Duration wait);

    /**
     * {@link #read}, answered through a future: a router's waits hold no thread (a long-poll is woken by the key's
     * change). By default the read is made at once, on the calling thread.
     */
    default CompletableFuture<OwnerRouter.Outcome<V>> readAsync(final String key, final OwnerRouter.Request request,
                                                                 final Duration wait) {
        return CompletableFuture.completedFuture(read(key, request, wait));
    }
}
