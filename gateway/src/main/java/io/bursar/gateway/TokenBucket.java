package io.bursar.gateway;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A token bucket of {@code burst} tokens refilled at {@code ratePerSecond}, kept as one timestamp so that
 * taking a token is a compare-and-set, not a lock: the time at which the bucket would be full again.
 * Each token taken pushes that time one refill interval later; a take that would push it more than
 * {@code burst} intervals past now finds the bucket empty.
 */
final class TokenBucket {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** Keeps {@code burst * interval} far from overflow: at most 10^6 s of credit. */
    static final int RATE_MAX = 1_000_000;
    static final int BURST_MAX = 1_000_000;

    private final long intervalNanos;
    private final long capacityNanos;
    private final LongSupplier nanoClock;
    private final AtomicLong fullAtNanos;

    TokenBucket(final int ratePerSecond, final int burst, final LongSupplier nanoClock) {
        if (ratePerSecond < 1 || ratePerSecond > RATE_MAX) {
            throw new IllegalArgumentException("ratePerSecond must be 1.." + RATE_MAX + ": " + ratePerSecond);
        }
        if (burst < 1 || burst > BURST_MAX) {
            throw new IllegalArgumentException("burst must be 1.." + BURST_MAX + ": " + burst);
        }
        this.intervalNanos = NANOS_PER_SECOND / ratePerSecond;
        this.capacityNanos = intervalNanos * burst;
        this.nanoClock = nanoClock;
        this.fullAtNanos = new AtomicLong(nanoClock.getAsLong());
    }

    /** Takes one token: returns 0 when taken, else the nanoseconds until one is available (nothing taken). */
    long tryTake() {
        // A compare-and-set fails only when another thread took a token: retries are bounded by the tokens.
        while (true) {
            final long now = nanoClock.getAsLong();
            final long fullAt = fullAtNanos.get();
            // Compared by difference: nanoTime values may be negative and wrap.
            final long start = fullAt - now > 0 ? fullAt : now;
            final long next = start + intervalNanos;
            final long spentNanos = next - now;
            if (spentNanos > capacityNanos) {
                return spentNanos - capacityNanos;
            }
            if (fullAtNanos.compareAndSet(fullAt, next)) {
                return 0;
            }
        }
    }
}
