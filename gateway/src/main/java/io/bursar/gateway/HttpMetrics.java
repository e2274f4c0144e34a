package io.bursar.gateway;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.router.Endpoint;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * Times every HTTP request into {@code http.server.requests}, tagged by route template (never the
 * concrete path, so partner ids do not multiply series), method and status, with histogram buckets
 * from which Prometheus computes p99.
 */
final class HttpMetrics {

    static final String TIMER = "http.server.requests";
    /** The uri tag of requests that matched no route: one series for all of them, whatever the path. */
    static final String UNMATCHED = "UNMATCHED";
    /** The method tag of requests that matched no route: clients may send any method name. */
    static final String OTHER_METHOD = "OTHER";
    private static final Duration EXPECTED_MIN = Duration.ofMillis(1);
    /** Beyond the longest publish timeout (60 s): slower answers all land in the last bucket. */
    private static final Duration EXPECTED_MAX = Duration.ofSeconds(60);
    private static final double NANOS_PER_MILLI = 1_000_000.0;

    private final MeterRegistry registry;
    /** One timer per (route, method, status): finite, since unmatched paths share one series. */
    private final ConcurrentMap<String, Timer> timers = new ConcurrentHashMap<>();

    HttpMetrics(final MeterRegistry registry) {
        this.registry = registry;
    }

    /** Javalin's request logger: called once per request, after the answer, with its duration in ms. */
    void record(final Context ctx, final Float durationMs) {
        final Endpoint endpoint = ctx.endpoints().matchedHttpEndpoint();
        final HandlerType method = endpoint == null ? null : endpoint.method;
        final String uri = endpoint == null ? UNMATCHED : endpoint.path;
        final String methodName = method == null ? OTHER_METHOD : method.name();
        final int status = ctx.statusCode();
        // Building and registering a timer costs a registry lookup with tag sorting: once per series, not per request.
        timers.computeIfAbsent(uri + ' ' + methodName + ' ' + status, key -> Timer.builder(TIMER)
                        .description("HTTP requests by route template, method and status")
                        .tag("uri", uri)
                        .tag("method", methodName)
                        .tag("status", Integer.toString(status))
                        .publishPercentileHistogram()
                        .minimumExpectedValue(EXPECTED_MIN)
                        .maximumExpectedValue(EXPECTED_MAX)
                        .register(registry))
                .record((long) (durationMs * NANOS_PER_MILLI), TimeUnit.NANOSECONDS);
    }
}
