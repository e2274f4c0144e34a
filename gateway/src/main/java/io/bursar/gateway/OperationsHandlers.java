package io.bursar.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Handlers of the open operational routes: liveness, readiness, Prometheus metrics, the OpenAPI document. */
final class OperationsHandlers {

    /** Prometheus text exposition format 0.0.4, what {@link PrometheusMeterRegistry#scrape()} writes. */
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPENAPI_RESOURCE = "openapi.json";
    /** The document is ours and small; a bound keeps a packaging mistake from loading something huge. */
    private static final int OPENAPI_BYTES_MAX = 1_048_576;

    private final BooleanSupplier ready;
    private final PrometheusMeterRegistry registry;
    private final String openApi;

    OperationsHandlers(final ObjectMapper mapper, final BooleanSupplier ready, final PrometheusMeterRegistry registry) {
        this.ready = ready;
        this.registry = registry;
        this.openApi = loadOpenApi();
        try {
            mapper.readTree(openApi); // a broken document fails start-up, not the first client that asks
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException(OPENAPI_RESOURCE + " is not valid JSON", e);
        }
    }

    void live(final Context ctx) {
        ctx.json(Map.of("status", "live"));
    }

    void ready(final Context ctx) {
        if (!ready.getAsBoolean()) {
            throw new UnavailableException("not ready: stream processing is not running");
        }
        ctx.json(Map.of("status", "ready"));
    }

    void metrics(final Context ctx) {
        ctx.contentType(PROMETHEUS_TEXT).result(registry.scrape());
    }

    void openApi(final Context ctx) {
        ctx.contentType("application/json").result(openApi);
    }

    /** The OpenAPI document shipped beside this class. */
    static String loadOpenApi() {
        try (InputStream in = OperationsHandlers.class.getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + OPENAPI_RESOURCE);
            }
            final byte[] bytes = in.readNBytes(OPENAPI_BYTES_MAX + 1);
            if (bytes.length > OPENAPI_BYTES_MAX) {
                throw new IllegalStateException(OPENAPI_RESOURCE + " is larger than " + OPENAPI_BYTES_MAX + " bytes");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
