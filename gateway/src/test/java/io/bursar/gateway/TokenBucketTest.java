package io.bursar.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The token bucket and the per-key limiter on a hand-moved clock. */
class TokenBucketTest {

    private final AtomicLong nanos = new AtomicLong(-5_000_000_000L); // negative, as System.nanoTime may be

    @Test
    void aFullBucketGivesItsBurstThenOneTokenPerInterval() {
        final TokenBucket bucket = new TokenBucket(4, 2, nanos::get);

        assertThat(bucket.tryTake()).isZero();
        assertThat(bucket.tryTake()).isZero();
        assertThat(bucket.tryTake()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(250));
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(100));
        assertThat(bucket.tryTake()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(150));
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(150));
        assertThat(bucket.tryTake()).isZero();
        assertThat(bucket.tryTake()).isPositive();
    }

    @Test
    void refusedTakesDoNotDrainTheBucketFurther() {
        final TokenBucket bucket = new TokenBucket(1, 1, nanos::get);
        assertThat(bucket.tryTake()).isZero();
        for (int i = 0; i < 100; i++) {
            assertThat(bucket.tryTake()).isEqualTo(TimeUnit.SECONDS.toNanos(1));
        }
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertThat(bucket.tryTake()).isZero();
    }

    @Test
    void concurrentTakersGetExactlyTheBurst() throws Exception {
        final TokenBucket bucket = new TokenBucket(1, 1_000, nanos::get);
        final int threads = 8;
        final ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            final CountDownLatch start = new CountDownLatch(1);
            final List<Future<Integer>> taken = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                taken.add(pool.submit(() -> {
                    start.await();
                    int count = 0;
                    for (int i = 0; i < 1_000; i++) {
                        count += bucket.tryTake() == 0 ? 1 : 0;
                    }
                    return count;
                }));
            }
            start.countDown();
            int total = 0;
            for (final Future<Integer> future : taken) {
                total += future.get(10, TimeUnit.SECONDS);
            }
            assertThat(total).isEqualTo(1_000);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void retryAfterIsWholeSecondsRoundedUpAndAtLeastOne() {
        final RateLimiter limiter = new RateLimiter(3, 1, 10, nanos::get);
        limiter.acquire("k");
        assertThatThrownBy(() -> limiter.acquire("k")).isInstanceOfSatisfying(TooManyRequestsException.class,
                e -> assertThat(e.retryAfterSeconds()).isEqualTo(1));
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(334));
        limiter.acquire("k");
    }

    @Test
    void idleBucketsAreDroppedSoMemoryHoldsOnlyActiveKeys() {
        final RateLimiter limiter = new RateLimiter(10, 20, 100, nanos::get);
        for (int i = 0; i < 50; i++) {
            limiter.acquire("key-" + i);
        }
        assertThat(limiter.activeKeys()).isEqualTo(50);
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(3)); // 20 tokens at 10/s refill in 2 s: every bucket is full again
        assertThat(limiter.activeKeys()).isZero();
    }

    @Test
    void rateAndBurstOutOfRangeAreRefused() {
        assertThatThrownBy(() -> new TokenBucket(0, 1, nanos::get)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenBucket(1, 0, nanos::get)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenBucket(TokenBucket.RATE_MAX + 1, 1, nanos::get))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RateLimiter(1, 1, 0, nanos::get)).isInstanceOf(IllegalArgumentException.class);
    }
}
