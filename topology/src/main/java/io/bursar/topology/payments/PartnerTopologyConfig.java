package io.bursar.topology.payments;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/** Settings of the partner-balance topology: each key declared once with its type, default, unit and range. */
public final class PartnerTopologyConfig extends AbstractConfig {

    public static final String IDEMPOTENCY_RETENTION_MS = "payments.idempotency.retention.ms";
    public static final String PUNCTUATION_INTERVAL_MS = "payments.punctuation.interval.ms";
    public static final String PUNCTUATION_WORK_MAX = "payments.punctuation.work.max";
    public static final String HOLD_TTL_MS_MAX = "payments.hold.ttl.ms.max";
    public static final String BATCH_OPERATIONS_MAX = "payments.batch.operations.max";

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(IDEMPOTENCY_RETENTION_MS, Type.LONG, Duration.ofDays(7).toMillis(), Range.atLeast(1_000L),
                    Importance.HIGH,
                    "How long a processed commandId is remembered, in ms. A command repeated within this time "
                            + "yields its original outcome; after it, the id may be processed again.")
            .define(PUNCTUATION_INTERVAL_MS, Type.LONG, 1_000L, Range.between(10L, 60_000L), Importance.MEDIUM,
                    "Wall-clock interval, in ms, at which each partner task looks for holds past their deadline and, "
                            + "finding one, sends a tick through its command partition that ends them. A hold ends "
                            + "about this long after its TTL, or later when the partition lags.")
            .define(PUNCTUATION_WORK_MAX, Type.INT, 1_000, Range.between(1, 100_000), Importance.LOW,
                    "At most this many expired holds per tick, so a backlog never stalls the stream thread; the "
                            + "rest wait for the next tick.")
            .define(HOLD_TTL_MS_MAX, Type.LONG, Duration.ofDays(30).toMillis(), Range.atLeast(1L), Importance.MEDIUM,
                    "Longest TTL, in ms, a HoldFunds command may ask for; longer ones are rejected INVALID_HOLD_TTL.")
            .define(BATCH_OPERATIONS_MAX, Type.INT, 1_000, Range.between(1, 10_000), Importance.MEDIUM,
                    "Most operations in one ApplyBatch command; a longer batch is rejected BATCH_TOO_LARGE. Bounds "
                            + "the work of one record and the size of its result event.");

    public PartnerTopologyConfig(final Map<?, ?> originals) {
        super(DEFINITION, originals, false);
    }

    public Duration idempotencyRetention() {
        return Duration.ofMillis(getLong(IDEMPOTENCY_RETENTION_MS));
    }

    public Duration punctuationInterval() {
        return Duration.ofMillis(getLong(PUNCTUATION_INTERVAL_MS));
    }

    public int punctuationWorkMax() {
        return getInt(PUNCTUATION_WORK_MAX);
    }

    public long holdTtlMsMax() {
        return getLong(HOLD_TTL_MS_MAX);
    }

    public int batchOperationsMax() {
        return getInt(BATCH_OPERATIONS_MAX);
    }
}
