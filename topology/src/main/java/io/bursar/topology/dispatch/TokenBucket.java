// The pacing of one provider's calls: a token bucket plus a one-second sliding window of call starts.
package io.bursar.topology.dispatch;

import java.util.Arrays;

/**
 * A token bucket that holds at most {@code burst} tokens and gains {@code ratePerSecond} tokens per
 * second; every call started takes one token. A bucket alone allows {@code burst + rate · T} calls in
 * a window of T seconds (3 in one second at rate 2, burst 2), so the starts of the last second are
 * also remembered and a call starts only while fewer than {@code ratePerSecond} started in the
 * preceding window of 1,000 ms plus the provider's margin: the rate then holds in every one-second
 * window (invariant 5 of docs/reliability.md), also as the provider counts arrivals, which reach it after delays that
 * vary by up to the margin.
 *
 * <p>Lifecycle: created when its dispatcher starts, empty and with a full window, as if the previous
 * owner had made {@code ratePerSecond} calls at that instant: a new owner knows nothing of the calls its
 * predecessor made just before it stopped, so it starts no call for one window and then from an empty
 * bucket, and no one-second window ever holds more than the rate across a failover. Used only on the
 * stream thread.
 */
final class TokenBucket {

    private static final long MILLI = 1_000L;

    private final ProviderLimits limits;
    private final long capacityMilli;
    /** Time to fill an empty bucket; longer idle times add nothing, and capping them avoids overflow. */
    private final long fillMs;
    private long tokensMilli;
    private long refilledAtMs;
    /** The last {@code ratePerSecond} start times, oldest at {@code oldest}: a ring, bounded by the rate. */
    private final long[] startsMs;
    /** One second plus the provider's margin. */
    private final long windowMs;
    private int oldest;
    private int starts;

    /** An empty bucket whose refill starts at {@code startMs}, with its window full until one window later. */
    TokenBucket(final ProviderLimits limits, final long startMs) {
        this.limits = limits;
        this.capacityMilli = limits.burst() * MILLI;
        this.fillMs = (capacityMilli + limits.ratePerSecond() - 1) / limits.ratePerSecond();
        this.tokensMilli = 0;
        this.refilledAtMs = startMs;
        this.startsMs = new long[limits.ratePerSecond()];
        this.windowMs = 1_000L + limits.windowMarginMs();
        Arrays.fill(startsMs, startMs);
        this.starts = startsMs.length;
    }

    /** Adds the tokens earned since the last refill: tokens = min(burst, tokens + rate · elapsed). */
    void refill(final long nowMs) {
        // A wall clock stepping back earns nothing rather than taking tokens away.
        final long elapsedMs = Math.min(fillMs, Math.max(0, nowMs - refilledAtMs));
        tokensMilli = Math.min(capacityMilli, tokensMilli + limits.ratePerSecond() * elapsedMs);
        refilledAtMs = Math.max(refilledAtMs, nowMs);
    }

    /** Calls that may start at {@code nowMs}: whole tokens, and room in the last second's window. */
    int available(final long nowMs) {
        forgetStartsBefore(nowMs - windowMs);
        return (int) Math.min(tokensMilli / MILLI, startsMs.length - starts);
    }

    /** The earliest time, at or after {@code nowMs}, at which a call may start: a token earned and room in the window. */
    long nextStartAtMs(final long nowMs) {
        forgetStartsBefore(nowMs - windowMs);
        long atMs = nowMs;
        if (starts == startsMs.length) {
            atMs = Math.max(atMs, startsMs[oldest] + windowMs);
        }
        if (tokensMilli < MILLI) {
            final long missingMilli = MILLI - tokensMilli;
            atMs = Math.max(atMs, refilledAtMs + (missingMilli + limits.ratePerSecond() - 1) / limits.ratePerSecond());
        }
        return atMs;
    }

    /** Records a call started at {@code nowMs}; throws IllegalStateException when none may start, a dispatcher bug. */
    void take(final long nowMs) {
        if (available(nowMs) < 1) {
            throw new IllegalStateException("no call may start: " + tokensMilli + " millitokens, " + starts
                    + " starts in the last second");
        }
        tokensMilli -= MILLI;
        startsMs[(oldest + starts) % startsMs.length] = nowMs;
        starts++;
    }

    /** Drops the starts at or before {@code boundMs}: they are outside the window (boundMs, now]. */
    private void forgetStartsBefore(final long boundMs) {
        while (starts > 0 && startsMs[oldest] <= boundMs) {
            oldest = (oldest + 1) % startsMs.length;
            starts--;
        }
    }
}
