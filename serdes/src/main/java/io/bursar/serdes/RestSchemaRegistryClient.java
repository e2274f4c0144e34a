// A client of the Confluent schema-registry REST API (Confluent's server, or Apicurio's ccompat API).
package io.bursar.serdes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/**
 * Talks to a registry at a base URL that may include a path (Apicurio: {@code http://host:port/apis/ccompat/v7}).
 *
 * <p>Ids and registrations are cached (bounded) because they never change once assigned: after the
 * first record of each schema, serializing and deserializing make no network calls. Failures are not
 * cached, so a registry that comes back is used again. Every request is bounded by a timeout.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {

    /** How long to wait for a TCP connection to the registry. */
    public static final Duration CONNECT_TIMEOUT_DEFAULT = Duration.ofSeconds(5);
    /** How long to wait for a whole answer; a stream thread waits this long at most per uncached schema. */
    public static final Duration REQUEST_TIMEOUT_DEFAULT = Duration.ofSeconds(10);
    /** Entries per cache; far more schemas than a deployment uses, small enough to never matter for memory. */
    public static final int CACHE_ENTRIES_MAX_DEFAULT = 1_000;
    /** The media type of the Confluent API. */
    public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    /** A larger answer is not a schema we would want to parse. */
    private static final int RESPONSE_BYTES_MAX = 8 * 1024 * 1024;
    /** How much of an unexpected body to quote in an error message. */
    private static final int ERROR_BODY_CHARS_MAX = 500;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final Duration requestTimeout;
    private final HttpClient http;
    private final Cache<Integer, Schema> schemasById;
    private final Cache<SubjectSchemaKey, Integer> idsBySubjectSchema;

    /** A client of the registry at {@code baseUrl} with the default timeouts and cache sizes. */
    public RestSchemaRegistryClient(final String baseUrl) {
        this(baseUrl, CONNECT_TIMEOUT_DEFAULT, REQUEST_TIMEOUT_DEFAULT, CACHE_ENTRIES_MAX_DEFAULT);
    }

    /** A client of the registry at {@code baseUrl} (http or https) with explicit limits. */
    public RestSchemaRegistryClient(final String baseUrl, final Duration connectTimeout, final Duration requestTimeout,
                                    final int cacheEntriesMax) {
        this.baseUrl = normalizedBaseUrl(baseUrl);
        this.requestTimeout = requirePositive(requestTimeout, "requestTimeout");
        if (cacheEntriesMax < 1) {
            throw new IllegalArgumentException("cacheEntriesMax must be >= 1: " + cacheEntriesMax);
        }
        this.http = HttpClient.newBuilder()
                .connectTimeout(requirePositive(connectTimeout, "connectTimeout"))
                // Plain HTTP/1.1: registries do not need HTTP/2, and the upgrade attempt costs a round trip.
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.schemasById = Caffeine.newBuilder().maximumSize(cacheEntriesMax).build();
        this.idsBySubjectSchema = Caffeine.newBuilder().maximumSize(cacheEntriesMax).build();
    }

    /** The base URL requests are sent to, without a trailing slash. */
    public String baseUrl() {
        return baseUrl;
    }

    @Override
    public int register(final String subject, final Schema schema) {
        // getIfPresent + put instead of get(key, loader): a loader would hold a cache lock during I/O.
        final SubjectSchemaKey key = new SubjectSchemaKey(subject, schema);
        final Integer cached = idsBySubjectSchema.getIfPresent(key);
        if (cached != null) {
            return cached;
        }
        final JsonNode answer = send("POST", "/subjects/" + pathSegment(subject) + "/versions", schemaBody(schema));
        final int id = intField(answer, "id");
        idsBySubjectSchema.put(key, id);
        schemasById.put(id, schema);
        return id;
    }

    @Override
    public int lookup(final String subject, final Schema schema) {
        final SubjectSchemaKey key = new SubjectSchemaKey(subject, schema);
        final Integer cached = idsBySubjectSchema.getIfPresent(key);
        if (cached != null) {
            return cached;
        }
        final JsonNode answer = send("POST", "/subjects/" + pathSegment(subject), schemaBody(schema));
        final int id = intField(answer, "id");
        idsBySubjectSchema.put(key, id);
        schemasById.put(id, schema);
        return id;
    }

    @Override
    public Schema schemaById(final int id) {
        final Schema cached = schemasById.getIfPresent(id);
        if (cached != null) {
            return cached;
        }
        final JsonNode answer = send("GET", "/schemas/ids/" + id, null);
        final Schema schema = parseSchema(textField(answer, "schema"), "id " + id);
        schemasById.put(id, schema);
        return schema;
    }

    @Override
    public RegisteredSchema latestVersion(final String subject) {
        // Not cached: "latest" changes whenever someone registers a new version.
        final JsonNode answer = send("GET", "/subjects/" + pathSegment(subject) + "/versions/latest", null);
        final Schema schema = parseSchema(textField(answer, "schema"), "subject " + subject);
        return new RegisteredSchema(subject, intField(answer, "version"), intField(answer, "id"), schema);
    }

    private JsonNode send(final String method, final String path, final String body) {
        final URI uri = URI.create(baseUrl + path);
        final HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(requestTimeout)
                .header("Accept", CONTENT_TYPE + ", application/json");
        if (body == null) {
            request.GET();
        } else {
            request.header("Content-Type", CONTENT_TYPE)
                    .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        }
        final HttpResponse<InputStream> response;
        final String text;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            text = readBounded(response.body(), method, uri);
        } catch (final HttpTimeoutException e) {
            throw new SchemaRegistryException("Schema registry " + method + " " + uri + " timed out (connect "
                    + http.connectTimeout().orElseThrow().toMillis() + " ms, request " + requestTimeout.toMillis()
                    + " ms)", e);
        } catch (final IOException e) {
            throw new SchemaRegistryException("Schema registry " + method + " " + uri + " failed: " + e, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException("Interrupted during schema registry " + method + " " + uri, e);
        }
        if (response.statusCode() / 100 != 2) {
            throw refusal(method, uri, response.statusCode(), text);
        }
        try {
            return JSON.readTree(text);
        } catch (final JsonProcessingException e) {
            throw new SchemaRegistryException("Schema registry " + method + " " + uri + " answered "
                    + response.statusCode() + " with a body that is not JSON: " + excerpt(text), e);
        }
    }

    private static String readBounded(final InputStream body, final String method, final URI uri) throws IOException {
        try (InputStream in = body) {
            final byte[] bytes = in.readNBytes(RESPONSE_BYTES_MAX + 1);
            if (bytes.length > RESPONSE_BYTES_MAX) {
                throw new IOException("answer to " + method + " " + uri + " exceeds " + RESPONSE_BYTES_MAX + " bytes");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private static SchemaRegistryException refusal(final String method, final URI uri, final int status,
                                                   final String text) {
        int errorCode = SchemaRegistryException.NO_ERROR_CODE;
        String message = excerpt(text);
        try {
            final JsonNode error = JSON.readTree(text);
            if (error != null && error.isObject()) {
                errorCode = error.path("error_code").asInt(SchemaRegistryException.NO_ERROR_CODE);
                message = error.path("message").asText(message);
            }
        } catch (final JsonProcessingException notJson) {
            // Proxies answer errors in HTML; the excerpt of the body is the best message then.
        }
        return new SchemaRegistryException("Schema registry " + method + " " + uri + " answered " + status
                + " (error_code " + errorCode + "): " + message, status, errorCode);
    }

    private static String schemaBody(final Schema schema) {
        try {
            return JSON.writeValueAsString(Map.of("schema", schema.toString()));
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException("Cannot encode a string map as JSON", e);
        }
    }

    private static Schema parseSchema(final String text, final String what) {
        try {
            // A fresh parser each time: a parser remembers named types and refuses to define one twice.
            return new Schema.Parser().parse(text);
        } catch (final SchemaParseException e) {
            throw new SchemaRegistryException("Schema registry returned a schema for " + what
                    + " that is not valid Avro: " + e.getMessage(), e);
        }
    }

    private static int intField(final JsonNode answer, final String field) {
        final JsonNode value = answer.get(field);
        if (value == null || !value.canConvertToInt()) {
            throw new SchemaRegistryException("Schema registry answer lacks integer field '" + field + "': "
                    + excerpt(answer.toString()), SchemaRegistryException.NO_HTTP_STATUS,
                    SchemaRegistryException.NO_ERROR_CODE);
        }
        return value.intValue();
    }

    private static String textField(final JsonNode answer, final String field) {
        final JsonNode value = answer.get(field);
        if (value == null || !value.isTextual()) {
            throw new SchemaRegistryException("Schema registry answer lacks text field '" + field + "': "
                    + excerpt(answer.toString()), SchemaRegistryException.NO_HTTP_STATUS,
                    SchemaRegistryException.NO_ERROR_CODE);
        }
        return value.textValue();
    }

    private static String pathSegment(final String subject) {
        Objects.requireNonNull(subject, "subject");
        // URLEncoder encodes for forms; a path segment wants %20, not '+'.
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String excerpt(final String text) {
        return text.length() <= ERROR_BODY_CHARS_MAX ? text : text.substring(0, ERROR_BODY_CHARS_MAX) + "...";
    }

    private static String normalizedBaseUrl(final String url) {
        Objects.requireNonNull(url, "baseUrl");
        String trimmed = url.trim();
        while (trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        final URI uri;
        try {
            uri = URI.create(trimmed);
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("Not a schema registry URL: " + url, e);
        }
        final String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new IllegalArgumentException("Schema registry URL must be http(s)://host[:port][/path]: " + url);
        }
        if (uri.getQuery() != null || uri.getFragment() != null) {
            throw new IllegalArgumentException("Schema registry URL must not have a query or fragment: " + url);
        }
        return trimmed;
    }

    private static Duration requirePositive(final Duration duration, final String name) {
        Objects.requireNonNull(duration, name);
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + duration);
        }
        return duration;
    }
}
