// The registry: one connector per provider id, built from the providers.<id>.* configuration block.
package io.bursar.connectors;

import io.bursar.schemas.ProviderIds;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Holds the connector and the typed configuration of every configured provider.
 *
 * <p>Adding a provider protocol is one adapter class plus one line in {@link #BUILT_IN_TYPES}; adding a
 * provider is one configuration block. Keys outside {@code providers.} are ignored, because the same
 * properties carry the whole application's settings. Lifecycle: built once at startup (failing fast on
 * any bad key), closed at shutdown.
 */
public final class ProviderConnectors implements AutoCloseable {

    /** Adapter type name → factory; the one place a new provider protocol is registered. */
    public static final Map<String, ConnectorFactory> BUILT_IN_TYPES = Map.of(
            HttpJsonConnector.TYPE, HttpJsonConnector::fromConfig);

    /** Providers are a handful of partners' payment services; more than this is a configuration mistake. */
    public static final int PROVIDERS_MAX = 64;

    /** Ids become key segments and partition names, so they stay short and plain. */

    private final Map<String, ProviderConfig> configs;
    private final Map<String, ProviderConnector> connectors;

    private ProviderConnectors(final Map<String, ProviderConfig> configs, final Map<String, ProviderConnector> connectors) {
        this.configs = Collections.unmodifiableMap(configs);
        this.connectors = Collections.unmodifiableMap(connectors);
    }

    /** Builds the built-in adapters for every configured provider; throws IllegalArgumentException on any bad key. */
    public static ProviderConnectors fromProperties(final Map<String, String> properties) {
        return fromProperties(properties, BUILT_IN_TYPES);
    }

    /** Same as {@link #fromProperties(Map)} for a java.util.Properties. */
    public static ProviderConnectors fromProperties(final Properties properties) {
        final Map<String, String> copy = new TreeMap<>();
        for (final String name : properties.stringPropertyNames()) {
            copy.put(name, properties.getProperty(name));
        }
        return fromProperties(copy);
    }

    /** Builds connectors with the given adapter types (tests add fakes here); throws IllegalArgumentException on any bad key. */
    public static ProviderConnectors fromProperties(
            final Map<String, String> properties, final Map<String, ConnectorFactory> types) {
        Objects.requireNonNull(types, "types");
        final Map<String, ProviderConfig> configs = parse(properties, types.keySet());
        final Map<String, ProviderConnector> connectors = new LinkedHashMap<>();
        try {
            for (final ProviderConfig config : configs.values()) {
                final ProviderConnector connector = types.get(config.type()).create(config);
                connectors.put(config.providerId(),
                        Objects.requireNonNull(connector, "factory of type " + config.type() + " returned null"));
            }
        } catch (final RuntimeException e) {
            // Do not leak the threads of the connectors built before the failing one.
            connectors.values().forEach(ProviderConnector::close);
            throw e;
        }
        return new ProviderConnectors(configs, connectors);
    }

    /** Parses and validates every {@code providers.<id>.*} key into typed configs, ordered by id; throws IllegalArgumentException. */
    public static Map<String, ProviderConfig> parse(final Map<String, String> properties, final Set<String> knownTypes) {
        Objects.requireNonNull(properties, "properties");
        final Map<String, Map<ProviderSetting, String>> raw = new TreeMap<>();
        for (final Map.Entry<String, String> entry : properties.entrySet()) {
            final String key = entry.getKey();
            if (!key.startsWith(ProviderSetting.PREFIX)) {
                continue;
            }
            final String rest = key.substring(ProviderSetting.PREFIX.length());
            final int dot = rest.indexOf('.');
            if (dot <= 0 || dot == rest.length() - 1) {
                throw new IllegalArgumentException("malformed provider key '" + key + "': expected providers.<id>.<setting>");
            }
            final String providerId = rest.substring(0, dot);
            if (!ProviderIds.isValid(providerId)) {
                throw new IllegalArgumentException("bad provider id '" + providerId + "' in key '" + key
                        + "': expected " + ProviderIds.PATTERN.pattern());
            }
            final Optional<ProviderSetting> setting = ProviderSetting.bySuffix(rest.substring(dot + 1));
            if (setting.isEmpty()) {
                // A typo such as rate.per.sec would otherwise silently fall back to the default.
                throw new IllegalArgumentException("unknown provider key '" + key + "'");
            }
            final String value = Objects.requireNonNull(entry.getValue(), key).trim();
            raw.computeIfAbsent(providerId, id -> new EnumMap<>(ProviderSetting.class)).put(setting.get(), value);
        }
        if (raw.size() > PROVIDERS_MAX) {
            throw new IllegalArgumentException("at most " + PROVIDERS_MAX + " providers, found " + raw.size());
        }
        final Map<String, ProviderConfig> configs = new LinkedHashMap<>();
        for (final Map.Entry<String, Map<ProviderSetting, String>> provider : raw.entrySet()) {
            configs.put(provider.getKey(), toConfig(provider.getKey(), provider.getValue(), knownTypes));
        }
        return configs;
    }

    /** The connector of a configured provider; throws IllegalArgumentException for an unknown id. */
    public ProviderConnector connector(final String providerId) {
        final ProviderConnector connector = connectors.get(providerId);
        if (connector == null) {
            throw new IllegalArgumentException("unknown provider '" + providerId + "'; configured: " + connectors.keySet());
        }
        return connector;
    }

    /** The typed configuration of a configured provider; throws IllegalArgumentException for an unknown id. */
    public ProviderConfig config(final String providerId) {
        final ProviderConfig config = configs.get(providerId);
        if (config == null) {
            throw new IllegalArgumentException("unknown provider '" + providerId + "'; configured: " + configs.keySet());
        }
        return config;
    }

    /** True when the provider is configured; callers validating input use this instead of catching. */
    public boolean contains(final String providerId) {
        return configs.containsKey(providerId);
    }

    /** The configured provider ids, sorted. */
    public Set<String> providerIds() {
        return configs.keySet();
    }

    /** Closes every connector. */
    @Override
    public void close() {
        connectors.values().forEach(ProviderConnector::close);
    }

    private static ProviderConfig toConfig(
            final String providerId, final Map<ProviderSetting, String> values, final Set<String> knownTypes) {
        final String type = text(providerId, values, ProviderSetting.TYPE);
        if (!knownTypes.contains(type)) {
            throw new IllegalArgumentException(ProviderSetting.TYPE.key(providerId) + ": unknown type '" + type
                    + "'; known: " + new TreeSet<>(knownTypes));
        }
        return new ProviderConfig(
                providerId,
                type,
                url(providerId, text(providerId, values, ProviderSetting.URL)),
                Duration.ofMillis(number(providerId, values, ProviderSetting.CONNECT_TIMEOUT_MS)),
                Duration.ofMillis(number(providerId, values, ProviderSetting.REQUEST_TIMEOUT_MS)),
                (int) number(providerId, values, ProviderSetting.RATE_PER_SECOND),
                (int) number(providerId, values, ProviderSetting.BURST),
                (int) number(providerId, values, ProviderSetting.IN_FLIGHT_MAX),
                Duration.ofMillis(number(providerId, values, ProviderSetting.WINDOW_MARGIN_MS)));
    }

    private static String text(final String providerId, final Map<ProviderSetting, String> values, final ProviderSetting setting) {
        final String value = Optional.ofNullable(values.get(setting)).or(setting::defaultValue).orElseThrow(
                () -> new IllegalArgumentException(setting.key(providerId) + " is required (" + setting.doc() + ")"));
        if (value.isEmpty()) {
            throw new IllegalArgumentException(setting.key(providerId) + " must not be empty (" + setting.doc() + ")");
        }
        return value;
    }

    private static long number(final String providerId, final Map<ProviderSetting, String> values, final ProviderSetting setting) {
        final String value = text(providerId, values, setting);
        final String expected = " must be an integer in [" + setting.min() + ", " + setting.max() + "] (" + setting.doc() + ")";
        final long parsed;
        try {
            parsed = Long.parseLong(value);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(setting.key(providerId) + expected + ", was '" + value + "'", e);
        }
        if (parsed < setting.min() || parsed > setting.max()) {
            throw new IllegalArgumentException(setting.key(providerId) + expected + ", was " + parsed);
        }
        return parsed;
    }

    private static URI url(final String providerId, final String value) {
        final String key = ProviderSetting.URL.key(providerId);
        final URI uri;
        try {
            uri = new URI(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
        } catch (final URISyntaxException e) {
            throw new IllegalArgumentException(key + " is not a URL: '" + value + "'", e);
        }
        final String scheme = uri.getScheme();
        if (!("http".equals(scheme) || "https".equals(scheme)) || uri.getHost() == null) {
            throw new IllegalArgumentException(key + " must be an absolute http(s) URL with a host, was '" + value + "'");
        }
        if (uri.getQuery() != null || uri.getFragment() != null) {
            throw new IllegalArgumentException(key + " must not carry a query or fragment, was '" + value + "'");
        }
        return uri;
    }
}
