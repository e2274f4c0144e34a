package io.bursar.queries;

import java.time.Duration;

/** A read by key answered wherever the key lives; {@link OwnerRouter#reads} makes one from a store reader. */
@FunctionalInterface
public interface RoutedRead<V> {

    /**
     * Answers {@code key} for {@code request}, waiting up to {@code wait} while the key is missing or its
     * value not yet settled (see {@link OwnerRouter#reads(KeyLookup, java.util.function.Predicate)}).
     */
    OwnerRouter.Outcome<V> read(String key, OwnerRouter.Request request, Duration wait);
}
