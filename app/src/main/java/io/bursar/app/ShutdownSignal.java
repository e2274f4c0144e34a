package io.bursar.app;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Turns Ctrl-C (SIGINT/SIGTERM) into an orderly stop: the JVM's shutdown hook wakes the main thread
 * and then waits, bounded, until the main thread has closed everything it started.
 */
final class ShutdownSignal {

    private static final Duration CLOSE_WAIT_MAX = Duration.ofSeconds(60);

    private final CountDownLatch requested = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);

    static ShutdownSignal install() {
        final ShutdownSignal signal = new ShutdownSignal();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            signal.requested.countDown();
            try {
                signal.closed.await(CLOSE_WAIT_MAX.toMillis(), TimeUnit.MILLISECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bursar-shutdown"));
        return signal;
    }

    /** Blocks until a stop is requested. */
    void awaitRequest() throws InterruptedException {
        requested.await();
    }

    /** Flushes what the command printed, blocks until a stop is requested, then says that it is stopping. */
    void awaitStop() throws InterruptedException {
        System.out.flush();
        awaitRequest();
        System.out.println("Stopping...");
    }

    /** Tells the hook that everything is closed, so the JVM may exit. */
    void closed() {
        closed.countDown();
    }
}
