package io.bursar.app;

import java.io.PrintStream;

/** One line of progress redrawn in place ({@code \r}): a bar, the percentage, done of total, and a note. */
public final class ProgressBar {

    private static final int WIDTH = 30;

    private ProgressBar() {
    }

    public static void print(final PrintStream out, final String label, final long done, final long total,
                             final String note) {
        final double share = total <= 0 ? 1.0 : Math.min(1.0, done / (double) total);
        final int filled = (int) (WIDTH * share);
        out.printf("\r%-9s [%s%s] %3d%%  %,d/%,d  %s   ", label, "#".repeat(filled), ".".repeat(WIDTH - filled),
                (int) (100 * share), done, total, note);
        out.flush();
    }
}
