package io.bursar.topology.orders;

import io.bursar.schemas.ProviderIds;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/** Settings of the category (items and orders) topology: each key declared once with its type, default, unit and range. */
public final class OrderTopologyConfig extends AbstractConfig {

    public static final String PUNCTUATION_INTERVAL_MS = "orders.punctuation.interval.ms";
    public static final String PUNCTUATION_WORK_MAX = "orders.punctuation.work.max";
    public static final String HOLD_TTL_MS_MAX = "orders.hold.ttl.ms.max";
    public static final String IDEMPOTENCY_RETENTION_MS = "orders.idempotency.retention.ms";
    public static final String LINES_MAX = "orders.lines.max";
    public static final String FULFILMENT_PROVIDERS = "orders.fulfilment.providers";

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(PUNCTUATION_INTERVAL_MS, Type.LONG, 1_000L, Range.between(10L, 60_000L), Importance.MEDIUM,
                    "Wall-clock interval, in ms, at which each category task looks for orders past their hold TTL "
                            + "and, finding one, sends a tick through its command partition that ends them. A stock "
                            + "hold ends about this long after its TTL, or later when the partition lags.")
            .define(PUNCTUATION_WORK_MAX, Type.INT, 1_000, Range.between(1, 100_000), Importance.LOW,
                    "At most this many expired orders per tick, so a backlog never stalls the stream thread; "
                            + "the rest wait for the next tick.")
            .define(HOLD_TTL_MS_MAX, Type.LONG, Duration.ofDays(1).toMillis(), Range.atLeast(1L), Importance.MEDIUM,
                    "Longest hold TTL, in ms, a CreateOrder command may ask for; longer ones are rejected "
                            + "INVALID_HOLD_TTL.")
            .define(IDEMPOTENCY_RETENTION_MS, Type.LONG, Duration.ofDays(7).toMillis(), Range.atLeast(1_000L),
                    Importance.HIGH,
                    "How long a processed order commandId is remembered, in ms. A command repeated within this "
                            + "time yields its original outcome; after it, the id may be processed again.")
            .define(LINES_MAX, Type.INT, 1_000, Range.between(1, 10_000), Importance.LOW,
                    "Most lines one CreateOrder (one batch) may hold; more are rejected INVALID_COMMAND. Larger "
                            + "orders are split into batches that share their orderId.")
            .define(FULFILMENT_PROVIDERS, Type.LIST, List.of(),
                    ConfigDef.LambdaValidator.with(OrderTopologyConfig::parseFulfilment, () -> "[categoryId=providerId, ...]"),
                    Importance.MEDIUM,
                    "Categories whose items' record is kept by a provider, as categoryId=providerId pairs (e.g. "
                            + "loans=finance): each batch of their orders is RESERVED there, in one bulk call, before "
                            + "it is paid, and INVESTED there, in another, before it is placed; lines the provider "
                            + "refuses are removed from the order (docs/lending.md). Every instance must list the same "
                            + "pairs, and each provider must be configured under providers.<id>.*.");

    public OrderTopologyConfig(final Map<?, ?> originals) {
        super(DEFINITION, originals, false);
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

    public Duration idempotencyRetention() {
        return Duration.ofMillis(getLong(IDEMPOTENCY_RETENTION_MS));
    }

    public int linesMax() {
        return getInt(LINES_MAX);
    }

    /** categoryId → the provider that keeps the record of its items; empty when none does. */
    public Map<String, String> fulfilmentProviders() {
        return parseFulfilment(FULFILMENT_PROVIDERS, getList(FULFILMENT_PROVIDERS));
    }

    private static Map<String, String> parseFulfilment(final String name, final Object value) {
        final Map<String, String> providers = new TreeMap<>();
        for (final Object pair : (List<?>) value) {
            final String text = String.valueOf(pair).strip();
            final int equals = text.indexOf('=');
            if (equals <= 0 || equals == text.length() - 1) {
                throw new ConfigException(name, value, "expected categoryId=providerId pairs, got '" + text + "'");
            }
            final String categoryId = text.substring(0, equals).strip();
            final String providerId = text.substring(equals + 1).strip();
            if (!ProviderIds.isValid(providerId) || !OrderFlow.isId(categoryId)
                    || providers.putIfAbsent(categoryId, providerId) != null) {
                throw new ConfigException(name, value, "'" + text + "': a category named once, with a valid provider id");
            }
        }
        return Map.copyOf(providers);
    }
}
