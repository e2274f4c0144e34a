package io.bursar.app;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a test started (broker, simulator, nodes), stopped in reverse order after it: each one even when an
 * earlier one fails to stop, so no process a test started outlives it.
 */
final class Started implements AutoCloseable {

    private final Deque<AutoCloseable> resources = new ArrayDeque<>();

    /** Remembers {@code resource} for {@link #close()} and returns it. */
    <T extends AutoCloseable> T track(final T resource) {
        resources.push(resource);
        return resource;
    }

    @Override
    public void close() {
        while (!resources.isEmpty()) {
            try {
                resources.pop().close();
            } catch (final Exception e) {
                System.err.println("while stopping: " + e);
            }
        }
    }
}
