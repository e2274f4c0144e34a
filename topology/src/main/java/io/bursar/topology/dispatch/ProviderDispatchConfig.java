// Settings of the provider-dispatch topology, each key declared once with its type, default, unit and range.
package io.bursar.topology.dispatch;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/** Settings of the provider-dispatch topology: pacing, concurrency, retries and the work of one punctuation. */
public final class ProviderDispatchConfig extends AbstractConfig {

    public static final String PUNCTUATION_INTERVAL_MS = "dispatch.punctuation.interval.ms";
    public static final String IN_FLIGHT_MAX = "dispatch.in.flight.max";
    public static final String ATTEMPTS_MAX = "dispatch.attempts.max";
    public static final String BACKOFF_BASE_MS = "dispatch.backoff.base.ms";
    public static final String BACKOFF_CAP_MS = "dispatch.backoff.cap.ms";
    public static final String QUEUE_WORK_MAX = "dispatch.queue.work.max";

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(PUNCTUATION_INTERVAL_MS, Type.LONG, 50L, Range.between(1L, 10_000L), Importance.MEDIUM,
                    "Wall-clock interval, in ms, of the punctuator that applies finished calls, refills the token "
                            + "buckets and starts due calls. A call starts at most this long after it may.")
            .define(IN_FLIGHT_MAX, Type.INT, 64, Range.between(1, 1_024), Importance.MEDIUM,
                    "Calls awaiting an answer at once, per provider; a slow provider then holds back only its own queue.")
            .define(ATTEMPTS_MAX, Type.INT, 8, Range.between(1, 100), Importance.HIGH,
                    "Calls made for one request before a retryable failure sends it to the dead-letter topic "
                            + "as DEAD_LETTERED.")
            .define(BACKOFF_BASE_MS, Type.LONG, 200L, Range.between(1L, 3_600_000L), Importance.MEDIUM,
                    "Retry delay ceiling, in ms, after the first attempt; it doubles with every attempt up to the cap, "
                            + "and the actual delay is drawn uniformly below it (full jitter).")
            .define(BACKOFF_CAP_MS, Type.LONG, 30_000L, Range.between(1L, 86_400_000L), Importance.MEDIUM,
                    "Largest retry delay ceiling, in ms; a longer Retry-After from the provider is still honoured.")
            .define(QUEUE_WORK_MAX, Type.INT, 1_000, Range.between(1, 100_000), Importance.LOW,
                    "At most this many finished calls applied, and as many calls started, per punctuation, so a "
                            + "backlog never stalls the stream thread; the rest wait for the next punctuation.");

    /** Parses and validates the settings; throws ConfigException on a bad value. */
    public ProviderDispatchConfig(final Map<?, ?> originals) {
        super(DEFINITION, originals, false);
        if (backoffCap().compareTo(backoffBase()) < 0) {
            throw new ConfigException(BACKOFF_CAP_MS, getLong(BACKOFF_CAP_MS), "must be at least " + BACKOFF_BASE_MS);
        }
    }

    public Duration punctuationInterval() {
        return Duration.ofMillis(getLong(PUNCTUATION_INTERVAL_MS));
    }

    public int inFlightMax() {
        return getInt(IN_FLIGHT_MAX);
    }

    public int attemptsMax() {
        return getInt(ATTEMPTS_MAX);
    }

    public Duration backoffBase() {
        return Duration.ofMillis(getLong(BACKOFF_BASE_MS));
    }

    public Duration backoffCap() {
        return Duration.ofMillis(getLong(BACKOFF_CAP_MS));
    }

    public int queueWorkMax() {
        return getInt(QUEUE_WORK_MAX);
    }
}
