package io.bursar.gateway;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * One {@link TokenBucket} per API key, in a bounded cache: a bucket idle long enough to be full again is
 * dropped, since a new full one behaves the same, so memory holds only recently active keys.
 */
final class RateLimiter {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final int ratePerSecond;
    private final int burst;
    private final LongSupplier nanoClock;
    private final Cache<String, TokenBucket> buckets;

    RateLimiter(final int ratePerSecond, final int burst, final int keysMax, final LongSupplier nanoClock) {
        if (ratePerSecond < 1 || ratePerSecond > TokenBucket.RATE_MAX || burst < 1 || burst > TokenBucket.BURST_MAX
                || keysMax < 1) {
            throw new IllegalArgumentException("rate " + ratePerSecond + "/s, burst " + burst + ", keysMax " + keysMax
                    + ": each must be positive, rate and burst at most " + TokenBucket.RATE_MAX + " and "
                    + TokenBucket.BURST_MAX);
        }
        this.ratePerSecond = ratePerSecond;
        this.burst = burst;
        this.nanoClock = nanoClock;
        // The time an empty bucket takes to fill, rounded up to a whole second.
        final long refillSeconds = Math.max(1, (burst + ratePerSecond - 1) / ratePerSecond);
        this.buckets = Caffeine.newBuilder()
                .maximumSize(keysMax)
                .expireAfterAccess(Duration.ofSeconds(refillSeconds))
                .ticker(nanoClock::getAsLong)
                .build();
    }

    /** Takes a token for {@code keyId}; throws {@link TooManyRequestsException} when it has none. */
    void acquire(final String keyId) {
        final long waitNanos = buckets.get(keyId, id -> new TokenBucket(ratePerSecond, burst, nanoClock)).tryTake();
        if (waitNanos > 0) {
            // Rounded up: a client that waits Retry-After seconds finds a token.
            throw new TooManyRequestsException(Math.max(1, (waitNanos + NANOS_PER_SECOND - 1) / NANOS_PER_SECOND));
        }
    }

    /** How many keys have a bucket now, after dropping idle ones. */
    long activeKeys() {
        buckets.cleanUp();
        return buckets.estimatedSize();
    }
}
