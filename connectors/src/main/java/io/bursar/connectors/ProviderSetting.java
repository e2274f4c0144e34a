// Every per-provider configuration key, declared once with its default, unit and valid range.
package io.bursar.connectors;

import java.util.Optional;

/**
 * A setting under {@code providers.<id>.}; numeric settings are integers within [min, max].
 *
 * <p>The rate settings are not used by connectors themselves: they live here so that a provider
 * is configured in one block, and the dispatcher reads them from {@link ProviderConfig}.
 */
public enum ProviderSetting {
    /** Adapter type, a key of the registry's type map. */
    TYPE("type", "http", 0, 0, "adapter type, e.g. http"),
    /** Base URL of the provider; required. */
    URL("url", null, 0, 0, "base URL; charges are posted to <url>/charges, refunds to <url>/refunds"),
    /** Bound on establishing a TCP connection. */
    CONNECT_TIMEOUT_MS("connect.timeout.ms", "2000", 1, 60_000, "connect timeout, milliseconds"),
    /** Bound on one whole call, from sending to the last byte of the answer. */
    REQUEST_TIMEOUT_MS("request.timeout.ms", "10000", 1, 300_000, "per-request timeout, milliseconds"),
    /** Token-bucket refill rate the dispatcher enforces across all instances. */
    RATE_PER_SECOND("rate.per.second", "2", 1, 10_000, "calls per second allowed by the provider"),
    /** Token-bucket capacity the dispatcher enforces. */
    BURST("burst", "2", 1, 10_000, "calls that may start at once after an idle period"),
    /**
     * Slack added to the dispatcher's one-second window: calls reach the provider after a varying delay,
     * so {@code rate} calls spread over a little more than a second still arrive within its limit.
     */
    WINDOW_MARGIN_MS("window.margin.ms", "30", 0, 1_000,
            "milliseconds added to the one-second window in which at most rate.per.second calls start, so that "
                    + "varying network and scheduling delays never bunch more than the rate into the provider's second"),
    /** Calls one connector lets run at once; more are answered RETRYABLE without calling. */
    IN_FLIGHT_MAX("in.flight.max", "64", 1, 10_000, "concurrent calls per connector");

    /** The prefix of every provider key. */
    public static final String PREFIX = "providers.";

    private final String suffix;
    private final String defaultValue;
    private final long min;
    private final long max;
    private final String doc;

    ProviderSetting(final String suffix, final String defaultValue, final long min, final long max, final String doc) {
        this.suffix = suffix;
        this.defaultValue = defaultValue;
        this.min = min;
        this.max = max;
        this.doc = doc;
    }

    /** The key after {@code providers.<id>.}, e.g. {@code rate.per.second}. */
    public String suffix() {
        return suffix;
    }

    /** The full key for one provider, e.g. {@code providers.acme.rate.per.second}. */
    public String key(final String providerId) {
        return PREFIX + providerId + "." + suffix;
    }

    /** The default as written in a properties file; empty for required settings. */
    public Optional<String> defaultValue() {
        return Optional.ofNullable(defaultValue);
    }

    /** True for integer settings, which carry a range. */
    public boolean isNumeric() {
        return max > 0;
    }

    /** Smallest valid value of a numeric setting. */
    public long min() {
        return min;
    }

    /** Largest valid value of a numeric setting. */
    public long max() {
        return max;
    }

    /** One-line documentation, including the unit. */
    public String doc() {
        return doc;
    }

    /** The setting whose suffix is given, if any. */
    public static Optional<ProviderSetting> bySuffix(final String suffix) {
        for (final ProviderSetting setting : values()) {
            if (setting.suffix.equals(suffix)) {
                return Optional.of(setting);
            }
        }
        return Optional.empty();
    }
}
