// A TopologyTestDriver's wall clock moved by the test in fixed steps, with the time a scripted connector reads.
package io.bursar.topology.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * The wall clock of one driver, moved only through this class so that {@link #nowMs()} is the driver's
 * time. Each {@link #advance} step is one {@code advanceWallClockTime} call, so wall-clock punctuators
 * run at most once per step.
 */
public final class WallClock {

    private final TopologyTestDriver driver;
    private final long stepMs;
    private long nowMs;

    /**
     * @param driver a driver created with {@code startedAt} as its initial wall-clock time
     * @param startedAt the driver's initial wall-clock time
     * @param stepMs how far one step moves the clock, in ms; usually the punctuation interval
     */
    public WallClock(final TopologyTestDriver driver, final Instant startedAt, final long stepMs) {
        if (stepMs <= 0) {
            throw new IllegalArgumentException("stepMs must be > 0: " + stepMs);
        }
        this.driver = driver;
        this.stepMs = stepMs;
        this.nowMs = startedAt.toEpochMilli();
    }

    /** The driver's wall-clock time, in epoch ms. */
    public long nowMs() {
        return nowMs;
    }

    /** Moves the clock {@code steps} steps, one at a time. */
    public void advance(final int steps) {
        for (int i = 0; i < steps; i++) {
            jump(Duration.ofMillis(stepMs));
        }
    }

    /** Moves the clock a step at a time until {@code done} holds, and fails if it does not within {@code stepsMax}. */
    public void advanceUntil(final BooleanSupplier done, final int stepsMax) {
        for (int i = 0; i < stepsMax && !done.getAsBoolean(); i++) {
            advance(1);
        }
        assertThat(done.getAsBoolean()).as("reached within %d steps", stepsMax).isTrue();
    }

    /** Moves the clock by {@code duration} in one call: wall-clock punctuators run once, not once per interval. */
    public void jump(final Duration duration) {
        nowMs += duration.toMillis();
        driver.advanceWallClockTime(duration);
    }
}
