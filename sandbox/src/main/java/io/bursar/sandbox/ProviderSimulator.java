// A fake payment provider on 127.0.0.1 for the demo and tests: slow, flaky and rate limited on demand, and it keeps score.
package io.bursar.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.bursar.connectors.HttpJsonConnector;
import io.bursar.connectors.ProviderOperation;
import io.bursar.connectors.ProviderRequest;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.function.Function;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * Serves {@code POST /charges}, {@code POST /refunds}, {@code POST /bulk}, {@code GET /charges/{idempotencyKey}} and
 * {@code GET /stats}.
 *
 * <p>A charge or refund call is, in order: counted in its one-second window, which charges and refunds
 * share (over the rate limit → 429 and a violation), validated (bad JSON, a missing key, an amount ≤ 0 or
 * a malformed currency → 400), delayed by the configured latency, then by one random draw answered 500,
 * 429, made-but-late (timeout), or made (201; with dedupe a repeated key returns its first charge or
 * refund with 200). Refunds and charges have separate key spaces; a refund need not match a charge, and
 * those whose payment id was never charged are counted. Status lookups exist for charges only; they are counted
 * and rate limited like charges but never delayed or failed. Lifecycle: {@link #start} binds a free port,
 * {@link #close} stops serving and interrupts calls still sleeping.
 *
 * <p>A bulk call ({@code {"lines": [{idempotencyKey, operation, paymentId, partnerId, itemId, quantity, amountMinor,
 * currency}, ...]}}, as a lending Finance Service takes RESERVE and INVEST updates) is one call to the rate limit and
 * to the failure draws: a whole-call 500, 429 or timeout affects every line alike. Otherwise each line is answered on
 * its own in a 200: {@code DONE}, or {@code REFUSED} with a reason, drawn at the configured line refusal rate once per
 * line key (a retried line gets its first answer again).
 */
public final class ProviderSimulator implements AutoCloseable {

    /** Request bodies are tiny JSON documents; larger ones are refused unread. */
    static final int REQUEST_BYTES_MAX = 16 * 1024;

    /** A bulk call's body: up to some thousands of lines. */
    static final int BULK_REQUEST_BYTES_MAX = 4 * 1024 * 1024;

    /** Most lines in one bulk call. */
    static final int BULK_LINES_MAX = 10_000;

    /** Threads answering calls; a timing-out call holds one for its whole delay, like a real overloaded provider. */
    private static final int HANDLER_THREADS = 32;

    /** Accepted connections waiting for a handler thread; beyond this the accepting thread answers itself, slowing intake. */
    private static final int HANDLER_QUEUE_MAX = 1_024;

    /** Pending TCP connections the OS may queue. */
    private static final int BACKLOG = 128;

    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger THREAD_SEQUENCE = new AtomicInteger();

    /** Replaced whole when the failure rates change (a provider going down or coming back); the ledger stays. */
    private volatile SimulatorConfig config;
    private final SimulatorLedger ledger;
    private final Random random;
    private final HttpServer server;
    private final ThreadPoolExecutor handlers;

    /** The JDK server's switch for TCP_NODELAY, read once when its first server starts. */
    private static final String NODELAY_PROPERTY = "sun.net.httpserver.nodelay";

    static {
        // The JDK server writes headers and body separately; with Nagle's algorithm on, each answer then waits
        // ~40 ms for a delayed ACK, which would swamp the configured latency. An explicit setting is respected.
        if (System.getProperty(NODELAY_PROPERTY) == null) {
            System.setProperty(NODELAY_PROPERTY, "true");
        }
    }

    private ProviderSimulator(final SimulatorConfig config, final InetSocketAddress bind) throws IOException {
        this.config = config;
        this.ledger = new SimulatorLedger(config.windowSecondsRetained(), config.chargeKeysRetained());
        // java.util.Random is thread-safe; with one caller at a time the draws repeat exactly for a seed.
        this.random = new Random(config.seed());
        this.handlers = new ThreadPoolExecutor(HANDLER_THREADS, HANDLER_THREADS, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(HANDLER_QUEUE_MAX), runnable -> {
                    final Thread thread = new Thread(runnable, "simulator-" + THREAD_SEQUENCE.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                }, new ThreadPoolExecutor.CallerRunsPolicy());
        this.server = HttpServer.create(bind, BACKLOG);
        server.setExecutor(handlers);
        server.createContext(HttpJsonConnector.CHARGES_PATH, exchange -> serve(exchange, this::charges));
        server.createContext(HttpJsonConnector.REFUNDS_PATH, exchange -> serve(exchange, this::refunds));
        server.createContext(HttpJsonConnector.BULK_PATH, exchange -> serve(exchange, this::bulk));
        server.createContext("/stats", exchange -> serve(exchange, this::stats));
        server.start();
    }

    /** Starts a simulator on a free port of 127.0.0.1; throws IOException when no port can be bound. */
    public static ProviderSimulator start(final SimulatorConfig config) throws IOException {
        return start(config, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    /** Starts a simulator on {@code bind} (a container's wildcard address and a fixed port, say). */
    public static ProviderSimulator start(final SimulatorConfig config, final InetSocketAddress bind) throws IOException {
        return new ProviderSimulator(Objects.requireNonNull(config, "config"), Objects.requireNonNull(bind, "bind"));
    }

    /** The base URL to configure as {@code providers.<id>.url}, e.g. {@code http://127.0.0.1:54321}. */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + port());
    }

    /** The port bound. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** The same counters GET /stats serves. */
    public SimulatorStats stats() {
        return ledger.snapshot();
    }

    /**
     * From now on, fails calls at these rates (see {@link SimulatorConfig#withFailureRates}): a provider going down,
     * or coming back with {@code 0, 0, 0}. What it charged so far, and its idempotency keys, are kept.
     */
    public void setFailureRates(final double serverError, final double tooManyRequests, final double timeout) {
        config = config.withFailureRates(serverError, tooManyRequests, timeout);
    }

    /** Stops serving at once; calls still sleeping are interrupted and get no answer. */
    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
    }

    /** A route body; IOException means the client went away. */
    @FunctionalInterface
    private interface Route {
        void handle(HttpExchange exchange) throws IOException, InterruptedException;
    }

    private static void serve(final HttpExchange exchange, final Route route) {
        try (exchange) {
            route.handle(exchange);
        } catch (final InterruptedException e) {
            // close() interrupts sleeping calls; the exchange is closed without an answer, as a dying server would.
            Thread.currentThread().interrupt();
        } catch (final IOException e) {
            // The client gave up (typically its timeout fired); nobody is left to answer.
        } catch (final RuntimeException e) {
            try {
                respond(exchange, 500, error("simulator bug: " + e), Map.of());
            } catch (final IOException | RuntimeException ignored) {
                // The answer could not be sent either; the closed exchange tells the client enough.
            }
        }
    }

    private void charges(final HttpExchange exchange) throws IOException, InterruptedException {
        final String path = exchange.getRequestURI().getRawPath();
        final String method = exchange.getRequestMethod();
        final String lookupPrefix = HttpJsonConnector.CHARGES_PATH + "/";
        final boolean collection = HttpJsonConnector.CHARGES_PATH.equals(path) || lookupPrefix.equals(path);
        if (collection && !"POST".equals(method) || !collection && !"GET".equals(method)) {
            respond(exchange, 405, error("method " + method + " not allowed on " + path), Map.of());
            return;
        }
        if (!withinRateLimit(exchange)) {
            return;
        }
        if (collection) {
            make(exchange, ProviderOperation.CHARGE);
        } else {
            lookup(exchange, URLDecoder.decode(path.substring(lookupPrefix.length()), StandardCharsets.UTF_8));
        }
    }

    private void refunds(final HttpExchange exchange) throws IOException, InterruptedException {
        final String path = exchange.getRequestURI().getRawPath();
        final String method = exchange.getRequestMethod();
        if (!HttpJsonConnector.REFUNDS_PATH.equals(path) && !(HttpJsonConnector.REFUNDS_PATH + "/").equals(path)) {
            // No refund lookup: the connector SPI looks up charges only.
            respond(exchange, 404, error("no resource at " + path), Map.of());
            return;
        }
        if (!"POST".equals(method)) {
            respond(exchange, 405, error("method " + method + " not allowed on " + path), Map.of());
            return;
        }
        if (!withinRateLimit(exchange)) {
            return;
        }
        make(exchange, ProviderOperation.REFUND);
    }

    private void bulk(final HttpExchange exchange) throws IOException, InterruptedException {
        final String path = exchange.getRequestURI().getRawPath();
        if (!HttpJsonConnector.BULK_PATH.equals(path) && !(HttpJsonConnector.BULK_PATH + "/").equals(path)) {
            respond(exchange, 404, error("no resource at " + path), Map.of());
            return;
        }
        if (!"POST".equals(exchange.getRequestMethod())) {
            respond(exchange, 405, error("method " + exchange.getRequestMethod() + " not allowed on " + path), Map.of());
            return;
        }
        if (!withinRateLimit(exchange)) {
            return;
        }
        final Optional<JsonNode> read = body(exchange, BULK_REQUEST_BYTES_MAX, ProviderSimulator::validateBulk);
        if (read.isEmpty()) {
            return;
        }
        final JsonNode json = read.get();
        ledger.recordBulkCall();
        sleep(latency());
        final double draw = draw();
        if (draw < config.timeoutRate()) {
            final ObjectNode answer = applyLines(json.get("lines"));
            sleep(config.timeoutDelay());
            respond(exchange, 200, answer, Map.of());
        } else if (draw < config.timeoutRate() + config.serverErrorRate()) {
            respond(exchange, 500, error("injected server error"), Map.of());
        } else if (draw < config.timeoutRate() + config.serverErrorRate() + config.tooManyRequestsRate()) {
            respond(exchange, 429, error("injected throttling"), retryAfterHeader());
        } else {
            respond(exchange, 200, applyLines(json.get("lines")), Map.of());
        }
    }

    private ObjectNode applyLines(final JsonNode lines) {
        final ObjectNode answer = JSON.createObjectNode();
        final ArrayNode answered = answer.putArray("lines");
        for (final JsonNode line : lines) {
            final String key = line.get("idempotencyKey").asText();
            final SimulatorLedger.LineAnswer done = ledger.line(key, () -> draw() < config.lineRefusalRate(),
                    config.dedupe());
            final ObjectNode item = answered.addObject().put("idempotencyKey", key)
                    .put("status", done.refused() ? "REFUSED" : "DONE");
            if (done.refused()) {
                item.put("reason", done.refusedReason());
            } else {
                item.put("reference", done.reference());
            }
        }
        return answer;
    }

    /**
     * The request's body as JSON that {@code validate} finds nothing wrong with; empty when the request was answered
     * already: 413 when larger than {@code bytesMax}, 400 when not JSON or invalid.
     */
    private static Optional<JsonNode> body(final HttpExchange exchange, final int bytesMax,
                                           final Function<JsonNode, Optional<String>> validate) throws IOException {
        final byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(bytesMax + 1);
        }
        if (body.length > bytesMax) {
            respond(exchange, 413, error("body larger than " + bytesMax + " bytes"), Map.of());
            return Optional.empty();
        }
        final JsonNode json;
        try {
            json = JSON.readTree(body);
        } catch (final IOException e) {
            respond(exchange, 400, error("body is not JSON"), Map.of());
            return Optional.empty();
        }
        final Optional<String> invalid = validate.apply(json);
        if (invalid.isPresent()) {
            respond(exchange, 400, error(invalid.get()), Map.of());
            return Optional.empty();
        }
        return Optional.of(json);
    }

    private static Optional<String> validateBulk(final JsonNode json) {
        final JsonNode lines = json.isObject() ? json.get("lines") : null;
        if (lines == null || !lines.isArray() || lines.isEmpty() || lines.size() > BULK_LINES_MAX) {
            return Optional.of("lines must be an array of 1.." + BULK_LINES_MAX + " lines");
        }
        for (final JsonNode line : lines) {
            final Optional<String> invalid = validate(line);
            if (invalid.isPresent()) {
                return invalid;
            }
            for (final String field : new String[] {"idempotencyKey", "itemId", "operation"}) {
                final JsonNode value = line.get(field);
                if (value == null || !value.isTextual() || value.asText().isBlank() || value.asText().length() > 255) {
                    return Optional.of("every line needs " + field + ", a non-blank string of at most 255 characters");
                }
            }
            final JsonNode quantity = line.get("quantity");
            if (quantity == null || !quantity.isIntegralNumber() || !quantity.canConvertToLong() || quantity.asLong() <= 0) {
                return Optional.of("every line needs a positive integer quantity");
            }
        }
        return Optional.empty();
    }

    /** Counts the call; answers 429 and returns false when its window is already full. */
    private boolean withinRateLimit(final HttpExchange exchange) throws IOException {
        final long epochSecond = config.clock().instant().getEpochSecond();
        final int inWindow = ledger.recordCall(epochSecond);
        if (config.rateLimitPerSecond() > 0 && inWindow > config.rateLimitPerSecond()) {
            ledger.recordViolation();
            respond(exchange, 429, error("rate limit of " + config.rateLimitPerSecond() + "/s exceeded"), retryAfterHeader());
            return false;
        }
        return true;
    }

    /** Validates, delays and answers one charge or refund call, the two alike apart from their ledger. */
    private void make(final HttpExchange exchange, final ProviderOperation operation)
            throws IOException, InterruptedException {
        final String key = exchange.getRequestHeaders().getFirst(HttpJsonConnector.IDEMPOTENCY_KEY_HEADER);
        if (key == null || key.isBlank() || key.length() > ProviderRequest.IDEMPOTENCY_KEY_LENGTH_MAX) {
            respond(exchange, 400, error("Idempotency-Key header required (1.." + ProviderRequest.IDEMPOTENCY_KEY_LENGTH_MAX
                    + " characters)"), Map.of());
            return;
        }
        final Optional<JsonNode> read = body(exchange, REQUEST_BYTES_MAX, ProviderSimulator::validate);
        if (read.isEmpty()) {
            return;
        }
        final JsonNode json = read.get();
        sleep(latency());
        final double draw = draw();
        if (draw < config.timeoutRate()) {
            // Made, but answered too late: the case that makes idempotency keys necessary.
            final EntryAttempt done = record(operation, key, json);
            sleep(config.timeoutDelay());
            respond(exchange, done.replayed() ? 200 : 201, entryJson(done.entry()), Map.of());
        } else if (draw < config.timeoutRate() + config.serverErrorRate()) {
            respond(exchange, 500, error("injected server error"), Map.of());
        } else if (draw < config.timeoutRate() + config.serverErrorRate() + config.tooManyRequestsRate()) {
            respond(exchange, 429, error("injected throttling"), retryAfterHeader());
        } else {
            final EntryAttempt done = record(operation, key, json);
            respond(exchange, done.replayed() ? 200 : 201, entryJson(done.entry()),
                    done.replayed() ? Map.of("Idempotent-Replayed", "true") : Map.of());
        }
    }

    private void lookup(final HttpExchange exchange, final String key) throws IOException {
        final Optional<SimulatedEntry> charge = ledger.findCharge(key);
        if (charge.isEmpty()) {
            respond(exchange, 404, error("no charge for this key"), Map.of());
        } else {
            respond(exchange, 200, entryJson(charge.get()), Map.of());
        }
    }

    private void stats(final HttpExchange exchange) throws IOException {
        if (!"GET".equals(exchange.getRequestMethod())) {
            respond(exchange, 405, error("only GET on /stats"), Map.of());
            return;
        }
        respond(exchange, 200, JSON.valueToTree(ledger.snapshot()), Map.of());
    }

    private EntryAttempt record(final ProviderOperation operation, final String key, final JsonNode json) {
        final String paymentId = json.get("paymentId").asText();
        final String partnerId = json.get("partnerId").asText();
        final long amountMinor = json.get("amountMinor").asLong();
        final String currency = json.get("currency").asText();
        return switch (operation) {
            case CHARGE -> ledger.charge(key, paymentId, partnerId, amountMinor, currency, config.dedupe());
            case REFUND -> ledger.refund(key, paymentId, partnerId, amountMinor, currency, config.dedupe());
            case RESERVE, INVEST, RELEASE -> throw new IllegalArgumentException(operation + " is a bulk line, sent to /bulk");
        };
    }

    private static Optional<String> validate(final JsonNode json) {
        if (!json.isObject()) {
            return Optional.of("body must be a JSON object");
        }
        for (final String field : new String[] {"paymentId", "partnerId", "currency"}) {
            final JsonNode value = json.get(field);
            if (value == null || !value.isTextual() || value.asText().isBlank() || value.asText().length() > 255) {
                return Optional.of(field + " must be a non-blank string of at most 255 characters");
            }
        }
        final JsonNode amount = json.get("amountMinor");
        if (amount == null || !amount.isIntegralNumber() || !amount.canConvertToLong() || amount.asLong() <= 0) {
            return Optional.of("amountMinor must be a positive integer");
        }
        if (!CURRENCY.matcher(json.get("currency").asText()).matches()) {
            return Optional.of("currency must be three upper-case letters");
        }
        return Optional.empty();
    }

    private Duration latency() {
        final long jitterNanos = config.latencyJitter().toNanos();
        final long extraNanos;
        synchronized (random) {
            extraNanos = jitterNanos == 0 ? 0 : (long) (random.nextDouble() * jitterNanos);
        }
        return config.latency().plusNanos(extraNanos);
    }

    private double draw() {
        synchronized (random) {
            return random.nextDouble();
        }
    }

    private Map<String, String> retryAfterHeader() {
        // Whole seconds, as the header's delta-seconds form requires; rounded up so clients never come back early.
        final long seconds = (config.retryAfter().toMillis() + 999) / 1000;
        return Map.of("Retry-After", Long.toString(seconds));
    }

    private static void sleep(final Duration delay) throws InterruptedException {
        if (!delay.isZero()) {
            Thread.sleep(delay.toMillis(), (int) (delay.toNanosPart() % 1_000_000));
        }
    }

    private static ObjectNode entryJson(final SimulatedEntry entry) {
        final String timesField = switch (entry.operation()) {
            case CHARGE -> "timesCharged";
            case REFUND -> "timesRefunded";
            case RESERVE, INVEST, RELEASE -> "timesMade";
        };
        return JSON.createObjectNode()
                .put("reference", entry.reference())
                .put("idempotencyKey", entry.idempotencyKey())
                .put("paymentId", entry.paymentId())
                .put("partnerId", entry.partnerId())
                .put("amountMinor", entry.amountMinor())
                .put("currency", entry.currency())
                .put(timesField, entry.timesMade());
    }

    private static ObjectNode error(final String message) {
        return JSON.createObjectNode().put("error", message);
    }

    private static void respond(
            final HttpExchange exchange, final int status, final JsonNode body, final Map<String, String> headers)
            throws IOException {
        final byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        headers.forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
