// Counting timestamps in sliding windows, for the tests of a provider's rate.
package io.bursar.topology.testing;

import java.util.List;

/** Sliding-window counts over timestamps, such as the times a scripted provider was called. */
public final class Windows {

    private Windows() {
    }

    /** The most of {@code timesMs} that fall in any window {@code [t, t + windowMs)} starting at one of them. */
    public static int mostInAnyWindow(final List<Long> timesMs, final long windowMs) {
        int most = 0;
        for (final long from : timesMs) {
            final int inWindow = (int) timesMs.stream().filter(t -> t >= from && t < from + windowMs).count();
            most = Math.max(most, inWindow);
        }
        return most;
    }
}
