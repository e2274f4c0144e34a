// The pace one provider allows: the sustained rate and the burst of its token bucket.
package io.bursar.topology.dispatch;

import io.bursar.connectors.ProviderConfig;

/**
 * Token-bucket parameters of one provider.
 *
 * @param ratePerSecond  tokens added per second, at least 1; also the most calls started in one window
 * @param burst          most tokens the bucket holds, at least 1
 * @param windowMarginMs the window of at most {@code ratePerSecond} starts is 1,000 ms plus this, so
 *                       delays between a start and its arrival never bunch more than the rate into
 *                       one of the provider's seconds
 */
public record ProviderLimits(int ratePerSecond, int burst, long windowMarginMs) {

    /** Most slack a window takes: beyond a second of it, the rate would be halved. */
    public static final long WINDOW_MARGIN_MS_MAX = 1_000;

    /** Bounds that keep the millitoken arithmetic of the dispatcher far from overflow. */
    public static final int RATE_PER_SECOND_MAX = 1_000_000;
    public static final int BURST_MAX = 1_000_000;

    /** Validates the limits; throws IllegalArgumentException when either is out of range. */
    public ProviderLimits {
        if (ratePerSecond < 1 || ratePerSecond > RATE_PER_SECOND_MAX) {
            throw new IllegalArgumentException("ratePerSecond must be in [1, " + RATE_PER_SECOND_MAX + "], was " + ratePerSecond);
        }
        if (burst < 1 || burst > BURST_MAX) {
            throw new IllegalArgumentException("burst must be in [1, " + BURST_MAX + "], was " + burst);
        }
        if (windowMarginMs < 0 || windowMarginMs > WINDOW_MARGIN_MS_MAX) {
            throw new IllegalArgumentException("windowMarginMs must be in [0, " + WINDOW_MARGIN_MS_MAX + "], was "
                    + windowMarginMs);
        }
    }

    /** Limits with an exact one-second window. */
    public ProviderLimits(final int ratePerSecond, final int burst) {
        this(ratePerSecond, burst, 0);
    }

    /** The limits configured for a provider in its {@code providers.<id>.*} block. */
    public static ProviderLimits of(final ProviderConfig config) {
        return new ProviderLimits(config.ratePerSecond(), config.burst(), config.windowMargin().toMillis());
    }
}
