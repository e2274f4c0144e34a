package io.bursar.app.live;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per-second rates of named counters over the last {@code seconds} seconds: each tick is given every counter's
 * total, and keeps how much it grew since the tick before (a counter that went down, as after a restart of its
 * source, grew by 0). Used by one thread, the sampler's.
 */
final class RateHistory {

    private final int seconds;
    private final Map<String, long[]> rates = new TreeMap<>();
    private final Map<String, Long> lastTotals = new HashMap<>();
    private int ticks;

    RateHistory(final int seconds) {
        this.seconds = seconds;
    }

    /** One second passed; {@code totals} are the counters now. A counter not given grew by 0. */
    void tick(final Map<String, Long> totals) {
        final int slot = ticks % seconds;
        ticks++;
        for (final long[] series : rates.values()) {
            series[slot] = 0;
        }
        totals.forEach((name, total) -> {
            final Long before = lastTotals.put(name, total);
            // A counter seen for the first time has no rate yet: its total is what came before the window.
            final long grew = before == null ? 0 : Math.max(0, total - before);
            rates.computeIfAbsent(name, n -> new long[seconds])[slot] = grew;
        });
    }

    /** Every series, oldest second first; as long as the ticks so far, at most {@code seconds}. */
    Map<String, long[]> series() {
        final int length = Math.min(ticks, seconds);
        final Map<String, long[]> ordered = new LinkedHashMap<>();
        rates.forEach((name, ring) -> {
            final long[] values = new long[length];
            for (int i = 0; i < length; i++) {
                values[i] = ring[(ticks - length + i) % seconds];
            }
            ordered.put(name, values);
        });
        return ordered;
    }

    /** The mean rate of {@code name} over the last {@code window} seconds, 0 when unknown. */
    double mean(final String name, final int window) {
        final long[] values = series().getOrDefault(name, new long[0]);
        final int n = Math.min(window, values.length);
        long sum = 0;
        for (int i = values.length - n; i < values.length; i++) {
            sum += values[i];
        }
        return n == 0 ? 0 : (double) sum / n;
    }
}
