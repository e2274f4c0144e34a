package io.bursar.app.bench;

import io.bursar.sandbox.SimulatorStats;
import java.util.SortedMap;

/**
 * How much of a provider's allowed rate a run used, from the provider simulator's per-second counts:
 * the calls in the full seconds between the first and the last call (the partial first and last
 * seconds are left out) divided by what the rate allows in them, and the most calls in any one second.
 *
 * @param calls               calls in the full seconds measured
 * @param fullSeconds         the full seconds measured
 * @param ratePerSecond       the provider's allowed rate
 * @param maxInOneSecond      the most calls the provider saw in one second over the whole run
 */
public record RateUsage(long calls, long fullSeconds, int ratePerSecond, int maxInOneSecond) {

    /** Measures {@code stats} against {@code ratePerSecond}; needs calls in at least three distinct seconds. */
    public static RateUsage of(final SimulatorStats stats, final int ratePerSecond) {
        final SortedMap<Long, Integer> perSecond = stats.callsPerSecond();
        if (perSecond.size() < 2 || perSecond.lastKey() - perSecond.firstKey() < 2) {
            throw new IllegalArgumentException("too short a run to measure: " + perSecond);
        }
        final long first = perSecond.firstKey();
        final long last = perSecond.lastKey();
        long calls = 0;
        for (long second = first + 1; second < last; second++) {
            calls += perSecond.getOrDefault(second, 0);
        }
        return new RateUsage(calls, last - first - 1, ratePerSecond, stats.maxCallsInOneSecond());
    }

    /** The share of the allowed rate used, 1.0 for every full second at the rate. */
    public double utilization() {
        return (double) calls / ((double) ratePerSecond * fullSeconds);
    }

    @Override
    public String toString() {
        return String.format("%.1f %% of %d/s used over %d full seconds (%d calls); at most %d calls in one second",
                utilization() * 100, ratePerSecond, fullSeconds, calls, maxInOneSecond);
    }
}
