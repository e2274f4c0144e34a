package io.bursar.gateway;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * Settings of the HTTP gateway: each key declared once in {@link #DEFINITION} with type, default, unit
 * and validation, and turned into a typed {@link Gateway.Settings} here.
 */
public final class GatewayConfig extends AbstractConfig {

    public static final String HTTP_HOST = "http.host";
    public static final String HTTP_ADVERTISED_HOST = "http.advertised.host";
    public static final String HTTP_PORT = "http.port";
    public static final String HTTP_MAX_REQUEST_BYTES = "http.max.request.bytes";
    public static final String HTTP_PUBLISH_TIMEOUT_MS = "http.publish.timeout.ms";
    public static final String AUTH_API_KEYS = "auth.api.keys";
    public static final String AUTH_RATE_PER_SECOND = "auth.rate.per.second";
    public static final String AUTH_RATE_BURST = "auth.rate.burst";
    public static final String HTTP_LONG_POLL_MAX_MS = "http.long.poll.max.ms";
    public static final String HTTP_THREADS_MAX = "http.threads.max";
    public static final String ORDER_BATCH_SIZE = "order.batch.size";
    /** Most lines in one CreateOrder command: a bound on what one category task holds in one transaction. */
    public static final int ORDER_BATCH_SIZE_MAX = 10_000;

    /** Every gateway key; an application merges these into its own definition. */
    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(HTTP_HOST, Type.STRING, "127.0.0.1", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                    "Address the gateway binds; also the one it advertises to peers unless "
                            + HTTP_ADVERTISED_HOST + " is set.")
            .define(HTTP_ADVERTISED_HOST, Type.STRING, "", Importance.MEDIUM,
                    "Host name or address peers use to forward reads to this instance (Streams' "
                            + "application.server). Empty: " + HTTP_HOST + ", or this machine's host name when "
                            + HTTP_HOST + " is a wildcard (0.0.0.0, ::), which a peer could not reach.")
            .define(HTTP_PORT, Type.INT, 8080, Range.between(0, 65_535), Importance.MEDIUM,
                    "Gateway port; 0 picks a free one.")
            .define(HTTP_MAX_REQUEST_BYTES, Type.LONG, 16_384L, Range.between(256L, 16_777_216L), Importance.LOW,
                    "Largest accepted request body, in bytes; larger bodies are answered 413.")
            .define(HTTP_PUBLISH_TIMEOUT_MS, Type.LONG, 5_000L, Range.between(100L, 60_000L), Importance.LOW,
                    "How long, in ms, a command request waits for Kafka to acknowledge the command before 503.")
            .define(AUTH_API_KEYS, Type.LIST, "", ConfigDef.LambdaValidator.with(GatewayConfig::ensureValidApiKeys,
                    () -> "[<sha256-hex>:admin | <sha256-hex>:viewer | <sha256-hex>:partner:<partnerId>, ...]"),
                    Importance.HIGH,
                    "API keys, comma separated, each <sha256-hex-of-key>:<role> where role is 'admin', 'viewer' (the "
                            + "live operations page's figures, nothing else) or 'partner:<partnerId>'. Only hashes are configured; at most "
                            + ApiKeys.ENTRIES_MAX + " entries. Empty: every /v1 request answers 401.")
            .define(AUTH_RATE_PER_SECOND, Type.INT, 200, Range.between(1, 1_000_000), Importance.MEDIUM,
                    "Requests per second each API key may sustain (token bucket refill rate).")
            .define(AUTH_RATE_BURST, Type.INT, 400, Range.between(1, 1_000_000), Importance.MEDIUM,
                    "Requests each API key may make at once after being idle (token bucket capacity).")
            .define(HTTP_LONG_POLL_MAX_MS, Type.LONG, 30_000L, Range.between(0L, 120_000L), Importance.LOW,
                    "Cap, in ms, on the ?waitMs= of status reads (long-poll).")
            .define(HTTP_THREADS_MAX, Type.INT, 16, Range.between(8, 2_000), Importance.LOW,
                    "Most request threads of the HTTP server. Few threads on few cores avoid context "
                            + "switching and contention on the stores' locks; no route holds a thread while it "
                            + "waits (long-polls, forwarded reads, Kafka's acknowledgement of a command).")
            .define(ORDER_BATCH_SIZE, Type.INT, 1_000, Range.between(1, ORDER_BATCH_SIZE_MAX), Importance.MEDIUM,
                    "Most lines, per category, in one CreateOrder command: the gateway splits a larger order into "
                            + "batches of this many lines that share the order's id.");

    public GatewayConfig(final Map<?, ?> originals) {
        // Not logged: an application passes all its keys here, most of them not the gateway's.
        super(DEFINITION, originals, false);
    }

    /**
     * The host peers reach this instance at: {@value #HTTP_ADVERTISED_HOST}, else {@value #HTTP_HOST} unless that
     * is a wildcard address, else this machine's host name.
     */
    public String advertisedHost() {
        final String advertised = getString(HTTP_ADVERTISED_HOST).trim();
        if (!advertised.isEmpty()) {
            return advertised;
        }
        final String bound = getString(HTTP_HOST).trim();
        if (!bound.equals("0.0.0.0") && !bound.equals("::") && !bound.equals("[::]")) {
            return bound;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (final UnknownHostException e) {
            throw new ConfigException(HTTP_ADVERTISED_HOST, "",
                    HTTP_HOST + " is a wildcard and this machine's host name is unknown: set " + HTTP_ADVERTISED_HOST);
        }
    }

    /**
     * The typed settings; {@code holdTtlMsMax} is the topology's limit on hold TTLs, checked at the edge too, for
     * funds and for orders alike.
     */
    public Gateway.Settings settings(final long holdTtlMsMax) {
        return settings(holdTtlMsMax, holdTtlMsMax, ORDER_BATCH_SIZE_MAX);
    }

    /**
     * The typed settings, with the order processor's limits on one CreateOrder: {@code orderHoldTtlMsMax}, its
     * longest hold TTL, is checked at the edge too; {@code orderLinesMax}, its most lines, bounds
     * {@value #ORDER_BATCH_SIZE}, since a larger batch would be rejected whole.
     *
     * @throws ConfigException when {@value #ORDER_BATCH_SIZE} is above {@code orderLinesMax}
     */
    public Gateway.Settings settings(final long holdTtlMsMax, final long orderHoldTtlMsMax, final int orderLinesMax) {
        final int orderBatchSize = getInt(ORDER_BATCH_SIZE);
        if (orderBatchSize > orderLinesMax) {
            throw new ConfigException(ORDER_BATCH_SIZE, orderBatchSize,
                    "must be at most the lines one CreateOrder may hold (" + orderLinesMax + ")");
        }
        return new Gateway.Settings(getString(HTTP_HOST), getInt(HTTP_PORT),
                Duration.ofMillis(getLong(HTTP_PUBLISH_TIMEOUT_MS)), holdTtlMsMax, getLong(HTTP_MAX_REQUEST_BYTES),
                ApiKeys.parse(getList(AUTH_API_KEYS)), getInt(AUTH_RATE_PER_SECOND), getInt(AUTH_RATE_BURST),
                Duration.ofMillis(getLong(HTTP_LONG_POLL_MAX_MS)), getInt(HTTP_THREADS_MAX), orderBatchSize,
                orderHoldTtlMsMax);
    }

    /** Fails start-up on a malformed key entry: a typo must not silently lock a client out or let one in. */
    private static void ensureValidApiKeys(final String name, final Object value) {
        try {
            @SuppressWarnings("unchecked") final List<String> entries = (List<String>) value;
            ApiKeys.parse(entries);
        } catch (final IllegalArgumentException e) {
            throw new ConfigException(name, "(not shown)", e.getMessage());
        }
    }
}
