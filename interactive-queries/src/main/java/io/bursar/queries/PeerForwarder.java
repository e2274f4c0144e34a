package io.bursar.queries;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Sends a read to the instance that owns its key (or to a standby) over HTTP and returns the peer's
 * answer. Every call is bounded by a timeout and counted on the meter registry by outcome.
 */
public final class PeerForwarder {

    /** Marks a request that was forwarded once: the receiver answers from its own state, never forwards again. */
    public static final String FORWARDED_HEADER = "X-Bursar-Forwarded";
    /** Asks the receiver to answer from its standby replica. */
    public static final String STANDBY_HEADER = "X-Bursar-Read-Standby";
    /** On an answer from a standby: how many records the replica is behind its active. */
    public static final String STANDBY_LAG_HEADER = "X-Bursar-Standby-Lag";
    /** The metric counting forwarded reads, tagged {@code target} (active, standby) and {@code outcome}. */
    public static final String METRIC = "bursar.reads.forwarded";

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);

    /** A peer's answer. */
    public record Answer(int status, String body, Map<String, String> headers) {
    }

    private final HttpClient http;
    private final Duration timeout;
    private final MeterRegistry meters;
    /** One counter per (target, outcome): a handful of series, looked up once each, not on every read. */
    private final ConcurrentMap<String, Counter> counters = new ConcurrentHashMap<>();

    public PeerForwarder(final Duration timeout, final MeterRegistry meters) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive");
        }
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();
        this.timeout = timeout;
        this.meters = meters;
    }

    /** How long a forwarded read may take, beyond its own long-poll wait. */
    public Duration timeout() {
        return timeout;
    }

    /**
     * Sends {@code GET pathAndQuery} to {@code peer}, with {@code headers} plus the forwarding marker, and waits
     * for the answer. Empty when the peer could not be reached or did not answer within the timeout plus
     * {@code extraWait} (a long-poll's own wait).
     */
    public Optional<Answer> get(final HostInfo peer, final String pathAndQuery, final Map<String, String> headers,
                                final boolean fromStandby, final Duration extraWait) {
        try {
            return getAsync(peer, pathAndQuery, headers, fromStandby, extraWait).get();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            count(fromStandby ? "standby" : "active", "interrupted");
            return Optional.empty();
        } catch (final ExecutionException e) {
            throw new IllegalStateException("forwarding failed", e.getCause());
        }
    }

    /** {@link #get}, holding no thread while the peer answers. */
    public CompletableFuture<Optional<Answer>> getAsync(final HostInfo peer, final String pathAndQuery,
                                                         final Map<String, String> headers, final boolean fromStandby,
                                                         final Duration extraWait) {
        final String target = fromStandby ? "standby" : "active";
        final HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create("http://" + peer.host() + ":" + peer.port() + pathAndQuery))
                .timeout(timeout.plus(extraWait))
                .header(FORWARDED_HEADER, "1")
                .GET();
        headers.forEach(request::header);
        if (fromStandby) {
            request.header(STANDBY_HEADER, "1");
        }
        return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString()).handle((response, failure) -> {
            if (failure != null) {
                count(target, "unreachable");
                return Optional.empty();
            }
            count(target, Integer.toString(response.statusCode()));
            final Map<String, String> kept = new HashMap<>();
            response.headers().firstValue(STANDBY_LAG_HEADER).ifPresent(v -> kept.put(STANDBY_LAG_HEADER, v));
            response.headers().firstValue("Retry-After").ifPresent(v -> kept.put("Retry-After", v));
            return Optional.of(new Answer(response.statusCode(), response.body(), kept));
        });
    }

    private void count(final String target, final String outcome) {
        counters.computeIfAbsent(target + ' ' + outcome, key -> Counter.builder(METRIC)
                .description("Reads forwarded to the instance owning the key")
                .tag("target", target).tag("outcome", outcome).register(meters)).increment();
    }
}
