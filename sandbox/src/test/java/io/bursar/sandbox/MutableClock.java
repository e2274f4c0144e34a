// A clock tests move by hand, so that one-second windows are cut exactly where a test wants them.
package io.bursar.sandbox;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/** A UTC clock that stands still until advanced; thread-safe. */
final class MutableClock extends Clock {

    private final AtomicReference<Instant> now;

    MutableClock(final Instant start) {
        this.now = new AtomicReference<>(start);
    }

    /** Moves the clock forward by the given amount. */
    void advance(final Duration step) {
        now.updateAndGet(instant -> instant.plus(step));
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(final ZoneId zone) {
        throw new UnsupportedOperationException("tests only use UTC");
    }

    @Override
    public Instant instant() {
        return now.get();
    }
}
