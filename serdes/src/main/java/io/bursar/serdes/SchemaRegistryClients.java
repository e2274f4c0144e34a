// Picks the registry client for a URL and shares it, so that every serde of a registry reuses one cache.
package io.bursar.serdes;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/** One {@link SchemaRegistryClient} per registry URL in this JVM. */
public final class SchemaRegistryClients {

    /** URLs with this prefix select the {@link InMemorySchemaRegistry} of the scope that follows it. */
    public static final String MOCK_URL_PREFIX = "mock://";
    /** A process talks to one or two registries; more distinct URLs means URLs are being generated. */
    public static final int REST_CLIENTS_MAX = 64;

    private static final Map<String, RestSchemaRegistryClient> REST_CLIENTS = new ConcurrentHashMap<>();

    private SchemaRegistryClients() {
    }

    /** Returns the shared client for {@code url}: in-memory for {@code mock://<scope>}, REST for http(s). */
    public static SchemaRegistryClient forUrl(final String url) {
        Objects.requireNonNull(url, "url");
        final String trimmed = url.trim();
        if (trimmed.contains(",")) {
            // Confluent accepts a list and fails over; one URL (behind a load balancer if need be) is enough here.
            throw new IllegalArgumentException("One schema registry URL expected, got a list: " + url);
        }
        if (trimmed.startsWith(MOCK_URL_PREFIX)) {
            final String scope = trimmed.substring(MOCK_URL_PREFIX.length());
            if (scope.isEmpty()) {
                throw new IllegalArgumentException("In-memory registry URL needs a scope: " + MOCK_URL_PREFIX + "<scope>");
            }
            return InMemorySchemaRegistry.forScope(scope);
        }
        final RestSchemaRegistryClient existing = REST_CLIENTS.get(trimmed);
        if (existing != null) {
            return existing;
        }
        if (REST_CLIENTS.size() >= REST_CLIENTS_MAX) {
            throw new IllegalStateException("More than " + REST_CLIENTS_MAX + " distinct schema registry URLs in use");
        }
        return REST_CLIENTS.computeIfAbsent(trimmed, RestSchemaRegistryClient::new);
    }
}
