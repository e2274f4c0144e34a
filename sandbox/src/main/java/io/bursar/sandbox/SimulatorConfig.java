// The knobs of the provider simulator: latency, injected failures, its own rate limit and memory bounds.
package io.bursar.sandbox;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link ProviderSimulator} behaves; start from {@link #defaults()} and change fields with the withers.
 *
 * <p>Charges and refunds are treated alike: every knob below applies to both.
 *
 * @param latency              fixed delay before every charge or refund is answered
 * @param latencyJitter        extra uniformly random delay in [0, latencyJitter)
 * @param serverErrorRate      fraction of charges and refunds answered 500 without being made
 * @param tooManyRequestsRate  fraction of charges and refunds answered 429 without being made (not counted as violations)
 * @param timeoutRate          fraction of charges and refunds that are made but answered only after {@code timeoutDelay}
 * @param timeoutDelay         how long a "timing out" call sleeps; longer than any client's request timeout
 * @param rateLimitPerSecond   calls (charges and refunds together) allowed per one-second window; above it the answer
 *                             is 429 and a violation; 0 = no limit
 * @param retryAfter           the wait sent in Retry-After on every 429
 * @param dedupe               true: a key charged (refunded) before returns the original charge (refund); false: it is
 *                             made again and counted as a duplicate
 * @param seed                 seed of the random draws, so that runs are repeatable
 * @param windowSecondsRetained one-second windows kept in the stats; older ones are dropped
 * @param chargeKeysRetained   idempotency keys remembered per operation, and charged payment ids; the oldest are
 *                             forgotten beyond this
 * @param clock                the clock windows are cut from; tests pass a controllable one
 * @param lineRefusalRate      fraction of the lines of a bulk call refused for good (each line drawn once: a retried
 *                             line gets its first answer again)
 */
public record SimulatorConfig(
        Duration latency,
        Duration latencyJitter,
        double serverErrorRate,
        double tooManyRequestsRate,
        double timeoutRate,
        Duration timeoutDelay,
        int rateLimitPerSecond,
        Duration retryAfter,
        boolean dedupe,
        long seed,
        int windowSecondsRetained,
        int chargeKeysRetained,
        Clock clock,
        double lineRefusalRate) {

    /** Delays beyond this are never useful in a demo or a test and would pin handler threads. */
    public static final Duration DELAY_MAX = Duration.ofMinutes(5);

    /** Stats are meant for "the last N minutes"; a day of windows is the ceiling. */
    public static final int WINDOW_SECONDS_RETAINED_MAX = 86_400;

    /** Bound on each key memory (charge keys, refund keys, charged payment ids), roughly 200 bytes per entry. */
    public static final int CHARGE_KEYS_RETAINED_MAX = 1_000_000;

    /** Validates every field; throws IllegalArgumentException or NullPointerException. */
    public SimulatorConfig {
        requireDelay(latency, "latency");
        requireDelay(latencyJitter, "latencyJitter");
        requireDelay(timeoutDelay, "timeoutDelay");
        requireDelay(retryAfter, "retryAfter");
        Objects.requireNonNull(clock, "clock");
        requireFraction(serverErrorRate, "serverErrorRate");
        requireFraction(tooManyRequestsRate, "tooManyRequestsRate");
        requireFraction(timeoutRate, "timeoutRate");
        requireFraction(lineRefusalRate, "lineRefusalRate");
        if (serverErrorRate + tooManyRequestsRate + timeoutRate > 1.0 + 1e-9) {
            throw new IllegalArgumentException("failure rates must add up to at most 1");
        }
        if (rateLimitPerSecond < 0) {
            throw new IllegalArgumentException("rateLimitPerSecond must be >= 0 (0 = no limit)");
        }
        if (windowSecondsRetained < 1 || windowSecondsRetained > WINDOW_SECONDS_RETAINED_MAX) {
            throw new IllegalArgumentException("windowSecondsRetained must be in [1, " + WINDOW_SECONDS_RETAINED_MAX + "]");
        }
        if (chargeKeysRetained < 1 || chargeKeysRetained > CHARGE_KEYS_RETAINED_MAX) {
            throw new IllegalArgumentException("chargeKeysRetained must be in [1, " + CHARGE_KEYS_RETAINED_MAX + "]");
        }
    }

    /** No latency, no failures, 2 calls per second like a slow provider, no dedupe, 10 minutes of windows. */
    public static SimulatorConfig defaults() {
        return new SimulatorConfig(Duration.ZERO, Duration.ZERO, 0, 0, 0, Duration.ofSeconds(30), 2,
                Duration.ofSeconds(1), false, 42L, 600, 100_000, Clock.systemUTC(), 0);
    }

    /** A copy with this fixed latency and jitter. */
    public SimulatorConfig withLatency(final Duration fixed, final Duration jitter) {
        return new SimulatorConfig(fixed, jitter, serverErrorRate, tooManyRequestsRate, timeoutRate, timeoutDelay,
                rateLimitPerSecond, retryAfter, dedupe, seed, windowSecondsRetained, chargeKeysRetained, clock, lineRefusalRate);
    }

    /** A copy with these failure fractions (500s, 429s, timeouts). */
    public SimulatorConfig withFailureRates(final double serverError, final double tooManyRequests, final double timeout) {
        return new SimulatorConfig(latency, latencyJitter, serverError, tooManyRequests, timeout, timeoutDelay,
                rateLimitPerSecond, retryAfter, dedupe, seed, windowSecondsRetained, chargeKeysRetained, clock, lineRefusalRate);
    }

    /** A copy whose timing-out charges sleep this long. */
    public SimulatorConfig withTimeoutDelay(final Duration delay) {
        return new SimulatorConfig(latency, latencyJitter, serverErrorRate, tooManyRequestsRate, timeoutRate, delay,
                rateLimitPerSecond, retryAfter, dedupe, seed, windowSecondsRetained, chargeKeysRetained, clock, lineRefusalRate);
    }

    /** A copy with this rate limit (0 = none). */
    public SimulatorConfig withRateLimitPerSecond(final int perSecond) {
        return new SimulatorConfig(latency, latencyJitter, serverErrorRate, tooManyRequestsRate, timeoutRate, timeoutDelay,
                perSecond, retryAfter, dedupe, seed, windowSecondsRetained, chargeKeysRetained, clock, lineRefusalRate);
    }

    /** A copy that sends this Retry-After on 429s. */
    public SimulatorConfig withRetryAfter(final Duration wait) {
        return new SimulatorConfig(latency, latencyJitter, serverErrorRate, tooManyRequestsRate, timeoutRate, timeoutDelay,
                rateLimitPerSecond, wait, dedupe, seed, windowSecondsRetained, chargeKeysRetained, clock, lineRefusalRate);
    }

    /** A copy that deduplicates (or not) repeated idempotency keys. */
    public SimulatorConfig withDedupe(final boolean enabled) {
        return new SimulatorConfig(latency, latencyJitter, serverErrorRate, tooManyRequestsRate, timeoutRate, timeoutDelay,
                rateLimitPerSecond, retryAfter, enabled, seed, windowSecondsRetained, chargeKeysRetained, clock, lineRefusalRate);
    }

    /** A copy with this random seed. */
    public SimulatorConfig withSeed(final long randomSeed) {
        return new SimulatorConfig(latency, latencyJitter, serverErrorRate, tooManyRequestsRate, timeoutRate, timeoutDelay,
                rateLimitPerSecond, retryAfter, dedupe, randomSeed, windowSecondsRetained, chargeKeysRetained, clock, lineRefusalRate);
    }

    /** A copy keeping this many one-second windows and this many idempotency keys. */
    public SimulatorConfig withRetention(final int windowSeconds, final int chargeKeys) {
        return new SimulatorConfig(latency, latencyJitter, serverErrorRate, tooManyRequestsRate, timeoutRate, timeoutDelay,
                rateLimitPerSecond, retryAfter, dedupe, seed, windowSeconds, chargeKeys, clock, lineRefusalRate);
    }

    /** A copy cutting windows from this clock. */
    public SimulatorConfig withLineRefusalRate(final double fraction) {
        return new SimulatorConfig(latency, latencyJitter, serverErrorRate, tooManyRequestsRate, timeoutRate, timeoutDelay,
                rateLimitPerSecond, retryAfter, dedupe, seed, windowSecondsRetained, chargeKeysRetained, clock, fraction);
    }

    public SimulatorConfig withClock(final Clock windowClock) {
        return new SimulatorConfig(latency, latencyJitter, serverErrorRate, tooManyRequestsRate, timeoutRate, timeoutDelay,
                rateLimitPerSecond, retryAfter, dedupe, seed, windowSecondsRetained, chargeKeysRetained, windowClock, lineRefusalRate);
    }

    private static void requireDelay(final Duration delay, final String name) {
        Objects.requireNonNull(delay, name);
        if (delay.isNegative() || delay.compareTo(DELAY_MAX) > 0) {
            throw new IllegalArgumentException(name + " must be in [0, " + DELAY_MAX + "], was " + delay);
        }
    }

    private static void requireFraction(final double fraction, final String name) {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1], was " + fraction);
        }
    }
}
