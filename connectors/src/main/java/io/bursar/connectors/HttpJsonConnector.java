// The adapter for providers that take JSON charges and refunds over HTTP with an Idempotency-Key header.
package io.bursar.connectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Posts {@code {paymentId, partnerId, amountMinor, currency}} to {@code <url>/charges} for a CHARGE and to
 * {@code <url>/refunds} for a REFUND, and looks charges (only) up at {@code GET <url>/charges/{idempotencyKey}}.
 * A bulk call ({@link #submitBulk}) posts every line at once to {@code <url>/bulk}, each line with its own
 * idempotency key, and reads one answer per line ({@code DONE} or {@code REFUSED}) from the 200.
 *
 * <p>Both endpoints are children of the one configured base URL ({@link ProviderSetting#URL}), so a
 * provider stays one configuration block. Both operations get the same Idempotency-Key header, timeouts
 * and classification: 2xx success; 408, 429, 5xx, timeouts and I/O errors retryable (with Retry-After
 * when sent); every other status permanent. Thread-safe; after close() every submit answers RETRYABLE.
 */
public final class HttpJsonConnector implements ProviderConnector {

    /** The adapter type name under which the registry knows this class. */
    public static final String TYPE = "http";

    /** The header that makes a repeated call safe; sent on every attempt of a payment. */
    public static final String IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";

    /** Where charges are posted and looked up, below the base URL. */
    public static final String CHARGES_PATH = "/charges";

    /** Where refunds are posted, below the base URL. */
    public static final String REFUNDS_PATH = "/refunds";

    /** Where bulk calls are posted, below the base URL. */
    public static final String BULK_PATH = "/bulk";

    /** A bulk answer holds a short document per line. */
    static final int BULK_RESPONSE_BYTES_MAX = 4 * 1024 * 1024;

    /** Answers are small JSON documents; anything beyond this is cut, so a broken provider cannot exhaust memory. */
    static final int RESPONSE_BYTES_MAX = 64 * 1024;

    /** Callback threads only parse small answers, so a few are enough for any in-flight limit. */
    private static final int CALLBACK_THREADS = 2;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger THREAD_SEQUENCE = new AtomicInteger();

    private final String providerId;
    private final URI chargesUri;
    private final URI refundsUri;
    private final URI bulkUri;
    private final Duration requestTimeout;
    private final int inFlightMax;
    private final Semaphore inFlight;
    private final ExecutorService callbacks;
    private final HttpClient client;
    private final Clock clock;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** Builds a connector; timeouts must be positive and inFlightMax at least 1. */
    public HttpJsonConnector(
            final String providerId,
            final URI baseUrl,
            final Duration connectTimeout,
            final Duration requestTimeout,
            final int inFlightMax,
            final Clock clock) {
        this.providerId = Objects.requireNonNull(providerId, "providerId");
        Objects.requireNonNull(baseUrl, "baseUrl");
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (connectTimeout.isNegative() || connectTimeout.isZero()
                || requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
        if (inFlightMax < 1) {
            throw new IllegalArgumentException("inFlightMax must be at least 1, was " + inFlightMax);
        }
        final String url = baseUrl.toString();
        final String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        this.chargesUri = URI.create(base + CHARGES_PATH);
        this.refundsUri = URI.create(base + REFUNDS_PATH);
        this.bulkUri = URI.create(base + BULK_PATH);
        this.inFlightMax = inFlightMax;
        this.inFlight = new Semaphore(inFlightMax);
        this.callbacks = Executors.newFixedThreadPool(CALLBACK_THREADS, runnable -> {
            final Thread thread = new Thread(runnable, "connector-" + providerId + "-" + THREAD_SEQUENCE.incrementAndGet());
            // Daemon, so a forgotten close() never keeps a JVM alive.
            thread.setDaemon(true);
            return thread;
        });
        this.client = HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(callbacks)
                .build();
    }

    /** The factory registered under {@link #TYPE}. */
    public static HttpJsonConnector fromConfig(final ProviderConfig config) {
        return new HttpJsonConnector(
                config.providerId(),
                config.url(),
                config.connectTimeout(),
                config.requestTimeout(),
                config.inFlightMax(),
                Clock.systemUTC());
    }

    /** The provider this connector calls. */
    public String providerId() {
        return providerId;
    }

    @Override
    public CompletableFuture<ProviderResult> submit(final ProviderRequest request) {
        if (request.operation().isFulfilment()) {
            // Lines of items have one endpoint, the bulk one, also when there is one line.
            return submitBulk(List.of(request)).thenApply(results -> results.get(0));
        }
        final String key = request.idempotencyKey();
        if (closed.get()) {
            // Shutting down is no reason to fail a payment: a later owner of the queue retries it.
            return CompletableFuture.completedFuture(ProviderResult.retryable(
                    key, ProviderResult.NO_HTTP_STATUS, "connector closed", Optional.empty()));
        }
        if (!inFlight.tryAcquire()) {
            // Refusing locally keeps memory and sockets bounded; the dispatcher retries it like any 429.
            return CompletableFuture.completedFuture(ProviderResult.retryable(
                    key, ProviderResult.NO_HTTP_STATUS, "connector busy: " + inFlightMax + " calls in flight",
                    Optional.empty()));
        }
        final CompletableFuture<HttpResponse<String>> call;
        try {
            call = client.sendAsync(postRequest(request), boundedBody());
        } catch (final IOException | IllegalArgumentException e) {
            // Nothing left this process and the same request would be refused again (bad header value, unserialisable body).
            inFlight.release();
            return CompletableFuture.completedFuture(
                    ProviderResult.permanent(key, ProviderResult.NO_HTTP_STATUS, "request not sent: " + describe(e)));
        } catch (final RuntimeException e) {
            // Nothing left this process, so another attempt is safe (e.g. the callback pool was shut down).
            inFlight.release();
            return CompletableFuture.completedFuture(ProviderResult.retryable(
                    key, ProviderResult.NO_HTTP_STATUS, "request not sent: " + describe(e), Optional.empty()));
        }
        return call.handle((response, error) -> safely(key, () -> error == null
                        ? classifyAnswer(key, response)
                        : classifyFailure(key, error)))
                .whenComplete((result, error) -> inFlight.release());
    }

    /**
     * One POST for every line: the call counts once against the provider's rate, and the provider answers each
     * line on its own. A call that fails whole (timeout, 5xx, 429, a refused body) gives every line the same
     * classified result; a line the answer does not mention is retryable.
     */
    @Override
    public CompletableFuture<List<ProviderResult>> submitBulk(final List<ProviderRequest> requests) {
        if (requests.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        final String firstKey = requests.get(0).idempotencyKey();
        if (closed.get()) {
            return CompletableFuture.completedFuture(each(requests, ProviderResult.retryable(
                    firstKey, ProviderResult.NO_HTTP_STATUS, "connector closed", Optional.empty())));
        }
        if (!inFlight.tryAcquire()) {
            return CompletableFuture.completedFuture(each(requests, ProviderResult.retryable(
                    firstKey, ProviderResult.NO_HTTP_STATUS, "connector busy: " + inFlightMax + " calls in flight",
                    Optional.empty())));
        }
        final CompletableFuture<HttpResponse<String>> call;
        try {
            call = client.sendAsync(bulkRequest(requests), boundedBody(BULK_RESPONSE_BYTES_MAX));
        } catch (final IOException | IllegalArgumentException e) {
            inFlight.release();
            return CompletableFuture.completedFuture(each(requests, ProviderResult.permanent(
                    firstKey, ProviderResult.NO_HTTP_STATUS, "request not sent: " + describe(e))));
        } catch (final RuntimeException e) {
            inFlight.release();
            return CompletableFuture.completedFuture(each(requests, ProviderResult.retryable(
                    firstKey, ProviderResult.NO_HTTP_STATUS, "request not sent: " + describe(e), Optional.empty())));
        }
        return call.handle((response, error) -> {
            try {
                if (error != null) {
                    return each(requests, classifyFailure(firstKey, error));
                }
                if (!isSuccess(response.statusCode())) {
                    return each(requests, classifyAnswer(firstKey, response));
                }
                return perLine(requests, response);
            } catch (final RuntimeException e) {
                return each(requests, ProviderResult.retryable(firstKey, ProviderResult.NO_HTTP_STATUS,
                        "unclassifiable answer: " + describe(e), Optional.empty()));
            }
        }).whenComplete((results, error) -> inFlight.release());
    }

    private HttpRequest bulkRequest(final List<ProviderRequest> requests) throws IOException {
        final ObjectNode body = JSON.createObjectNode();
        final ArrayNode lines = body.putArray("lines");
        for (final ProviderRequest request : requests) {
            final ObjectNode line = lines.addObject()
                    .put("idempotencyKey", request.idempotencyKey())
                    .put("operation", request.operation().name())
                    .put("paymentId", request.paymentId())
                    .put("partnerId", request.partnerId())
                    .put("amountMinor", request.amountMinor())
                    .put("currency", request.currency());
            if (request.itemId() != null) {
                line.put("itemId", request.itemId()).put("quantity", request.quantity());
            }
        }
        return HttpRequest.newBuilder(bulkUri)
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
                .build();
    }

    /** The answer of each line, in request order: DONE succeeds, REFUSED is permanent, a missing line is retryable. */
    private static List<ProviderResult> perLine(final List<ProviderRequest> requests,
                                                final HttpResponse<String> response) {
        final Map<String, JsonNode> answers = new HashMap<>();
        parse(response.body()).map(node -> node.path("lines")).filter(JsonNode::isArray)
                .ifPresent(lines -> lines.forEach(line -> answers.put(line.path("idempotencyKey").asText(), line)));
        final List<ProviderResult> results = new ArrayList<>(requests.size());
        for (final ProviderRequest request : requests) {
            final String key = request.idempotencyKey();
            final JsonNode line = answers.get(key);
            final String status = line == null ? "" : line.path("status").asText();
            if ("DONE".equals(status)) {
                final JsonNode reference = line.path("reference");
                results.add(ProviderResult.success(key, response.statusCode(), reference.isTextual()
                        && !reference.asText().isBlank() ? Optional.of(reference.asText()) : Optional.empty()));
            } else if ("REFUSED".equals(status)) {
                final String reason = line.path("reason").asText("");
                results.add(ProviderResult.permanent(key, response.statusCode(),
                        reason.isBlank() ? "refused" : "refused: " + reason));
            } else {
                results.add(ProviderResult.retryable(key, response.statusCode(),
                        "no answer for this line in the bulk answer", Optional.empty()));
            }
        }
        return List.copyOf(results);
    }

    /** {@code result} for every request, each under its own key. */
    private static List<ProviderResult> each(final List<ProviderRequest> requests, final ProviderResult result) {
        final List<ProviderResult> results = new ArrayList<>(requests.size());
        for (final ProviderRequest request : requests) {
            results.add(new ProviderResult(request.idempotencyKey(), result.outcome(), Optional.empty(),
                    result.httpStatus(), result.reason(), result.retryAfter()));
        }
        return List.copyOf(results);
    }

    @Override
    public boolean supportsStatus() {
        return true;
    }

    @Override
    public CompletableFuture<Optional<ProviderResult>> status(final String idempotencyKey) {
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        final CompletableFuture<HttpResponse<String>> call;
        try {
            final String path = URLEncoder.encode(idempotencyKey, StandardCharsets.UTF_8).replace("+", "%20");
            call = client.sendAsync(
                    HttpRequest.newBuilder(URI.create(chargesUri + "/" + path))
                            .timeout(requestTimeout)
                            .header("Accept", "application/json")
                            .GET()
                            .build(),
                    boundedBody());
        } catch (final RuntimeException e) {
            return CompletableFuture.completedFuture(Optional.of(ProviderResult.retryable(
                    idempotencyKey, ProviderResult.NO_HTTP_STATUS, "status not sent: " + describe(e), Optional.empty())));
        }
        return call.handle((response, error) -> {
            if (error != null) {
                return Optional.of(classifyFailure(idempotencyKey, error));
            }
            if (response.statusCode() == 404) {
                return Optional.<ProviderResult>empty();
            }
            if (isSuccess(response.statusCode())) {
                return Optional.of(safely(idempotencyKey, () -> ProviderResult.success(
                        idempotencyKey, response.statusCode(), reference(response.body()))));
            }
            // A failed lookup says nothing about the charge, so it is "unknown, ask again", never permanent.
            return Optional.of(ProviderResult.retryable(
                    idempotencyKey, response.statusCode(), "status lookup failed: HTTP " + response.statusCode(),
                    Optional.empty()));
        });
    }

    /** Stops the callback threads; call it after the last submit, since calls still in flight may then never complete. */
    @Override
    public void close() {
        closed.set(true);
        callbacks.shutdownNow();
    }

    private HttpRequest postRequest(final ProviderRequest request) throws IOException {
        final ObjectNode body = JSON.createObjectNode()
                .put("paymentId", request.paymentId())
                .put("partnerId", request.partnerId())
                .put("amountMinor", request.amountMinor())
                .put("currency", request.currency());
        return HttpRequest.newBuilder(endpoint(request.operation()))
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .header(IDEMPOTENCY_KEY_HEADER, request.idempotencyKey())
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
                .build();
    }

    private URI endpoint(final ProviderOperation operation) {
        return switch (operation) {
            case CHARGE -> chargesUri;
            case REFUND -> refundsUri;
            case RESERVE, INVEST, RELEASE -> throw new IllegalArgumentException(operation + " lines go to " + BULK_PATH);
        };
    }

    private ProviderResult classifyAnswer(final String key, final HttpResponse<String> response) {
        final int status = response.statusCode();
        if (isSuccess(status)) {
            return ProviderResult.success(key, status, reference(response.body()));
        }
        final String reason = "HTTP " + status + errorDetail(response.body());
        if (status == 408 || status == 429 || status >= 500) {
            return ProviderResult.retryable(
                    key, status, reason,
                    RetryAfter.parse(response.headers().firstValue("Retry-After"), clock.instant()));
        }
        return ProviderResult.permanent(key, status, reason);
    }

    private static ProviderResult classifyFailure(final String key, final Throwable error) {
        final Throwable cause = error instanceof CompletionException && error.getCause() != null
                ? error.getCause()
                : error;
        if (cause instanceof HttpTimeoutException) {
            return ProviderResult.retryable(key, ProviderResult.NO_HTTP_STATUS, "timeout: " + describe(cause),
                    Optional.empty());
        }
        // Refused connections, resets and other I/O errors: the call may or may not have landed, so retry with the same key.
        return ProviderResult.retryable(key, ProviderResult.NO_HTTP_STATUS, "no answer: " + describe(cause),
                Optional.empty());
    }

    private static ProviderResult safely(final String key, final Supplier<ProviderResult> classify) {
        try {
            return classify.get();
        } catch (final RuntimeException e) {
            // submit() must never complete exceptionally; an unclassifiable answer is treated as "unknown, retry".
            return ProviderResult.retryable(key, ProviderResult.NO_HTTP_STATUS, "unclassifiable answer: " + describe(e),
                    Optional.empty());
        }
    }

    private static boolean isSuccess(final int status) {
        return status >= 200 && status <= 299;
    }

    private static Optional<String> reference(final String body) {
        final Optional<JsonNode> json = parse(body);
        return json.map(node -> node.path("reference"))
                .filter(JsonNode::isTextual)
                .map(JsonNode::asText)
                .filter(text -> !text.isBlank());
    }

    private static String errorDetail(final String body) {
        return parse(body).map(node -> node.path("error"))
                .filter(JsonNode::isTextual)
                .map(node -> ": " + node.asText())
                .orElse("");
    }

    private static Optional<JsonNode> parse(final String body) {
        if (body == null || body.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readTree(body));
        } catch (final IOException e) {
            // Providers sometimes answer HTML error pages; the status code alone then classifies the call.
            return Optional.empty();
        }
    }

    private static String describe(final Throwable error) {
        final String message = error.getMessage();
        return error.getClass().getSimpleName() + (message == null ? "" : " " + message);
    }

    /** Keeps at most {@link #RESPONSE_BYTES_MAX} bytes of an answer (or {@code bytesMax}) and drops the rest. */
    private static HttpResponse.BodyHandler<String> boundedBody() {
        return boundedBody(RESPONSE_BYTES_MAX);
    }

    private static HttpResponse.BodyHandler<String> boundedBody(final int bytesMax) {
        return responseInfo -> {
            final ByteArrayOutputStream kept = new ByteArrayOutputStream();
            return HttpResponse.BodySubscribers.mapping(
                    HttpResponse.BodySubscribers.ofByteArrayConsumer(chunk -> chunk.ifPresent(bytes -> {
                        final int room = bytesMax - kept.size();
                        if (room > 0) {
                            kept.write(bytes, 0, Math.min(room, bytes.length));
                        }
                    })),
                    ignored -> kept.toString(StandardCharsets.UTF_8));
        };
    }
}
