package io.bursar.queries;

import java.time.Duration;

/**
 * Proves that a key missing from a store is absent, not merely not there yet: {@link AbsenceBarrier} waits for
 * the pipeline feeding the store to have taken in everything accepted before the read.
 */
@FunctionalInterface
public interface AbsenceCheck {

    /** A store with nothing upstream that could still be on its way: missing means absent. */
    AbsenceCheck NOTHING_UPSTREAM = bound -> true;

    /** True once absence is proven, waiting at most {@code bound}; false when it could not be proven in time. */
    boolean proven(Duration bound);
}
