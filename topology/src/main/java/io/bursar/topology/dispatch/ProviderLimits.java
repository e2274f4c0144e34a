// The pace one provider allows: the sustained rate and the burst of its token bucket.
package io.bursar.topology.dispatch;

import io.bursar.connectors.ProviderConfig;

/**
 * Token-bucket parameters of one provider.
 *
 * @param ratePerSecond tokens added per second, at least 1
 * @param burst         most tokens the bucket holds, at least 1
 */
public record ProviderLimits(int ratePerSecond, int burst) {

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
    }

    /** The limits configured for a provider in its {@code providers.<id>.*} block. */
    public static ProviderLimits of(final ProviderConfig config) {
        return new ProviderLimits(config.ratePerSecond(), config.burst());
    }
}
