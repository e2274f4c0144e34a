package io.bursar.gateway;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.bursar.queries.RoutedRead;
import io.bursar.queries.StoreUnavailableException;
import io.bursar.schemas.orders.CatalogEntry;
import io.bursar.schemas.orders.InvestorPositions;
import io.bursar.schemas.orders.Item;
import io.bursar.schemas.orders.OrderView;
import io.bursar.schemas.orders.ParentOrderView;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentEvent;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.event.HandlerMetaInfo;
import io.javalin.http.HttpStatus;
import io.javalin.http.Context;
import io.javalin.http.UnsupportedMediaTypeResponse;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP gateway: JSON in, commands to Kafka, reads through interactive queries. Every route is
 * declared in {@link #routes}, every error mapped in {@link #errors}; handlers hold no business rule.
 * Every route needs an API key unless declared {@link RouteAccess#OPEN}.
 */
public final class Gateway implements AutoCloseable {

    /** Connections the server's socket holds while they wait to be accepted (the kernel may cap it lower). */
    static final int ACCEPT_QUEUE_SIZE = 1_024;

    /** Gateway settings, converted to typed values at the boundary; built by {@link GatewayConfig#settings}. */
    public record Settings(String host, int port, Duration publishTimeout, long holdTtlMsMax, long maxRequestBytes,
                           ApiKeys apiKeys, int ratePerSecond, int rateBurst, Duration longPollMax,
                           int threadsMax, int orderBatchSize, long orderHoldTtlMsMax) {
        public Settings {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(apiKeys, "apiKeys");
            if (orderBatchSize < 1 || orderHoldTtlMsMax < 1) {
                throw new IllegalArgumentException("orderBatchSize " + orderBatchSize + " and orderHoldTtlMsMax "
                        + orderHoldTtlMsMax + " must be positive");
            }
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            if (publishTimeout.isNegative() || publishTimeout.isZero()) {
                throw new IllegalArgumentException("publishTimeout must be positive");
            }
            if (holdTtlMsMax < 1 || maxRequestBytes < 1) {
                throw new IllegalArgumentException("holdTtlMsMax and maxRequestBytes must be positive");
            }
            if (ratePerSecond < 1 || ratePerSecond > TokenBucket.RATE_MAX
                    || rateBurst < 1 || rateBurst > TokenBucket.BURST_MAX) {
                throw new IllegalArgumentException("rate " + ratePerSecond + "/s and burst " + rateBurst
                        + " must be 1.." + TokenBucket.RATE_MAX + " and 1.." + TokenBucket.BURST_MAX);
            }
        }
    }

    /**
     * What the gateway reads, each answered wherever its key lives. Long-polls wait for what the routes promise,
     * so {@code payments} must be {@code router.reads(reader, payment -> PaymentStatuses.isTerminal(...))} and
     * {@code orders} {@code router.reads(reader, OrderProgress::isFinal)}; the others may be plain
     * {@code router.reads(reader)}.
     *
     * @param balances        partnerId → balance (the payments application's store)
     * @param commandOutcomes commandId → the payment command's result event (views)
     * @param payments        paymentId → payment (views)
     * @param orders          orderId → the order with its batches (views)
     * @param parentOrders    parentOrderId → its sub-orders (views)
     * @param items           {@code categoryId + "/" + itemId} → item (the orders' store, partitioned by category)
     * @param catalog         which category sells each item, read locally (a global table)
     * @param positions       customerId → the units it invested in items of categories with a fulfilment provider
     *                        (views)
     */
    public record Reads(RoutedRead<PartnerBalance> balances, RoutedRead<PaymentEvent> commandOutcomes,
                        RoutedRead<Payment> payments, RoutedRead<OrderView> orders,
                        RoutedRead<ParentOrderView> parentOrders, RoutedRead<Item> items,
                        ItemCatalog catalog, RoutedRead<InvestorPositions> positions) {
        public Reads {
            Objects.requireNonNull(balances, "balances");
            Objects.requireNonNull(commandOutcomes, "commandOutcomes");
            Objects.requireNonNull(payments, "payments");
            Objects.requireNonNull(orders, "orders");
            Objects.requireNonNull(parentOrders, "parentOrders");
            Objects.requireNonNull(items, "items");
            Objects.requireNonNull(catalog, "catalog");
            Objects.requireNonNull(positions, "positions");
        }
    }

    static final int RETRY_AFTER_SECONDS = 1;
    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

    private final Javalin app;
    private final Settings settings;
    private final LiveHandlers live;
    private final List<String> endpoints = Collections.synchronizedList(new ArrayList<>());

    /**
     * A gateway not yet listening; {@code reads} answers every read route (see {@link Reads} for how long-polls
     * must be routed), {@code live} the live page's figures, {@code ready} /health/ready; {@code metrics} gets
     * timers and is /metrics.
     */
    public Gateway(final Settings settings, final CommandPublisher publisher, final Reads reads,
                   final DeadLetterDesk deadLetters, final LiveFigures live, final BooleanSupplier ready,
                   final PrometheusMeterRegistry metrics) {
        this(settings, publisher, reads, deadLetters, live, ready, metrics, System::nanoTime);
    }

    /** As the public constructor, with the clock of the rate limits given, for tests. */
    Gateway(final Settings settings, final CommandPublisher publisher, final Reads reads,
            final DeadLetterDesk deadLetters, final LiveFigures live, final BooleanSupplier ready,
            final PrometheusMeterRegistry metrics, final LongSupplier nanoClock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(reads, "reads");
        // A field given twice is refused, not read as its last value (RequestBody answers 400 naming it).
        final ObjectMapper mapper = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
        final CommandSubmitter commands = new CommandSubmitter(publisher, settings.publishTimeout(), Clock.systemUTC());
        final PartnerBalanceHandlers partners = new PartnerBalanceHandlers(mapper, commands, settings.holdTtlMsMax());
        final PaymentHandlers paymentCommands = new PaymentHandlers(mapper, commands, reads.payments());
        final OrderHandlers orders = new OrderHandlers(mapper, commands, reads.orders(), reads.catalog()::find,
                settings.orderHoldTtlMsMax(), settings.orderBatchSize());
        final ItemHandlers items = new ItemHandlers(mapper, commands);
        final ReadHandlers readHandlers = new ReadHandlers(mapper, reads, settings.longPollMax());
        final OperationsHandlers operations = new OperationsHandlers(mapper, ready, metrics);
        final DeadLetterHandlers letters = new DeadLetterHandlers(mapper, Objects.requireNonNull(deadLetters,
                "deadLetters"));
        this.live = new LiveHandlers(mapper, Objects.requireNonNull(live, "live"));
        final AccessControl access = new AccessControl(settings.apiKeys(), new RateLimiter(settings.ratePerSecond(),
                settings.rateBurst(), Math.max(1, settings.apiKeys().size()), nanoClock));
        final HttpMetrics http = new HttpMetrics(metrics);
        if (settings.apiKeys().size() == 0) {
            LOG.warn("No API keys configured ({}): every request to /v1 answers 401", GatewayConfig.AUTH_API_KEYS);
        }
        this.app = Javalin.create(config -> {
            config.jsonMapper(new JavalinJackson(mapper, false));
            config.http.maxRequestSize = settings.maxRequestBytes();
            config.http.defaultContentType = "application/json";
            // One connector, with room for a burst of new connections: a full accept queue drops their SYNs, and
            // each waits a second for the retry.
            config.jetty.addConnector((server, httpConfiguration) -> {
                final ServerConnector connector = new ServerConnector(server,
                        new HttpConnectionFactory(httpConfiguration));
                connector.setHost(settings.host());
                connector.setPort(settings.port());
                connector.setAcceptQueueSize(ACCEPT_QUEUE_SIZE);
                return connector;
            });
            config.jetty.threadPool = new QueuedThreadPool(settings.threadsMax(), Math.min(8, settings.threadsMax()));
            config.startup.showJavalinBanner = false;
            config.requestLogger.http(http::record);
            config.events.handlerAdded(this::remember);
            routes(config, access, new Handlers(partners, paymentCommands, orders, items, readHandlers, letters,
                    operations, this.live, new UiHandlers()));
            errors(config);
        });
    }

    /** Every handler, by the resource it serves. */
    private record Handlers(PartnerBalanceHandlers partners, PaymentHandlers payments, OrderHandlers orders,
                            ItemHandlers items, ReadHandlers reads, DeadLetterHandlers deadLetters,
                            OperationsHandlers operations, LiveHandlers live, UiHandlers ui) {
    }

    private static void routes(final JavalinConfig config, final AccessControl access, final Handlers handlers) {
        final PartnerBalanceHandlers partners = handlers.partners();
        final ReadHandlers reads = handlers.reads();
        // Before every matched route, ahead of any body parsing: key, rate, partner scope.
        config.routes.beforeMatched(access::check);
        // After the key is checked, before any handler reads the body: a body that is not JSON is refused as such.
        config.routes.beforeMatched(Gateway::requireJsonBody);

        config.routes.post("/v1/partners/{partnerId}/credits", partners::credit);
        config.routes.post("/v1/partners/{partnerId}/debits", partners::debit);
        config.routes.post("/v1/partners/{partnerId}/holds", partners::hold);
        config.routes.post("/v1/partners/{partnerId}/holds/{holdId}/capture", partners::capture);
        config.routes.post("/v1/partners/{partnerId}/holds/{holdId}/release", partners::release);
        config.routes.post("/v1/partners/{partnerId}/batches", partners::batch);
        config.routes.get("/v1/partners/{partnerId}/balance", reads::balance);
        config.routes.get("/v1/commands/{commandId}", reads::command);
        // Payments are keyed by paymentId, not by partner: handlers check the partner once they know it.
        config.routes.post("/v1/payments", handlers.payments()::request);
        config.routes.get("/v1/payments/{paymentId}", reads::payment);
        config.routes.post("/v1/payments/{paymentId}/refund", handlers.payments()::refund);
        config.routes.post("/v1/payments/{paymentId}/retry", handlers.payments()::retry);
        // The same in one hop: the partition key is in the path.
        config.routes.post("/v1/partners/{partnerId}/payments/{paymentId}/refund", handlers.payments()::refundOfPartner);
        config.routes.post("/v1/partners/{partnerId}/payments/{paymentId}/retry", handlers.payments()::retryOfPartner);
        // Orders are keyed by orderId and travel keyed by category: handlers check the partner once they know it.
        config.routes.post("/v1/orders", handlers.orders()::create);
        config.routes.get("/v1/orders", reads::parentOrder);
        config.routes.get("/v1/orders/{orderId}", reads::order);
        config.routes.post("/v1/orders/{orderId}/cancel", handlers.orders()::cancel);
        config.routes.post("/v1/orders/{orderId}/place", handlers.orders()::place);
        config.routes.post("/v1/categories/{categoryId}/orders/{orderId}/cancel", handlers.orders()::cancelInCategory);
        config.routes.post("/v1/categories/{categoryId}/orders/{orderId}/place", handlers.orders()::placeInCategory);
        // Items are everyone's to read and the admin's to change.
        config.routes.put("/v1/items/{itemId}", handlers.items()::upsert);
        config.routes.get("/v1/categories/{categoryId}/items", reads::items);
        config.routes.get("/v1/categories/{categoryId}/items/{itemId}", reads::item);
        config.routes.get("/v1/investors/{customerId}/positions", reads::positions);
        // What could not be processed, for the admin to review and send again.
        config.routes.get("/v1/admin/dead-letters", handlers.deadLetters()::list);
        config.routes.post("/v1/admin/dead-letters/redrive", handlers.deadLetters()::redrive);

        // The live operations page: its files are open (they hold no figure), its figures need an admin or viewer key.
        config.routes.get("/v1/live", handlers.live()::latest, RouteAccess.FIGURES);
        config.routes.get("/v1/live/stream", handlers.live()::stream, RouteAccess.FIGURES);
        config.routes.get("/ui", handlers.ui()::page, RouteAccess.OPEN);
        config.routes.get("/ui/{file}", handlers.ui()::file, RouteAccess.OPEN);

        final OperationsHandlers operations = handlers.operations();
        config.routes.get("/health/live", operations::live, RouteAccess.OPEN);
        config.routes.get("/health/ready", operations::ready, RouteAccess.OPEN);
        config.routes.get("/metrics", operations::metrics, RouteAccess.OPEN);
        config.routes.get("/openapi.json", operations::openApi, RouteAccess.OPEN);
    }

    private static void errors(final JavalinConfig config) {
        config.routes.exception(InvalidRequestException.class, (e, ctx) ->
                ctx.status(HttpStatus.BAD_REQUEST).json(Map.of("error", "invalid request", "fields", e.errors())));
        config.routes.exception(UnauthorizedException.class, (e, ctx) -> {
            ctx.header("WWW-Authenticate", "Bearer");
            ctx.status(HttpStatus.UNAUTHORIZED).json(Map.of("error", e.getMessage()));
        });
        config.routes.exception(TooManyRequestsException.class, (e, ctx) -> {
            ctx.header("Retry-After", Long.toString(e.retryAfterSeconds()));
            ctx.status(HttpStatus.TOO_MANY_REQUESTS).json(Map.of("error", "rate limit exceeded"));
        });
        config.routes.exception(ForbiddenException.class, (e, ctx) ->
                ctx.status(HttpStatus.FORBIDDEN).json(Map.of("error", e.getMessage())));
        config.routes.exception(NotFoundException.class, (e, ctx) ->
                ctx.status(HttpStatus.NOT_FOUND).json(Map.of("error", e.getMessage())));
        config.routes.exception(UnavailableException.class, (e, ctx) -> {
            ctx.header("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
            ctx.status(HttpStatus.SERVICE_UNAVAILABLE).json(Map.of("error", e.getMessage()));
        });
        config.routes.exception(StoreUnavailableException.class, (e, ctx) -> {
            ctx.header("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
            ctx.status(HttpStatus.SERVICE_UNAVAILABLE).json(Map.of("error", e.getMessage()));
        });
        // Javalin's own answers (413 for a body over http.max.request.bytes, 415 above) in the gateway's format.
        config.routes.exception(HttpResponseException.class, (e, ctx) ->
                ctx.status(e.getStatus()).json(Map.of("error", e.getMessage())));
        config.routes.exception(Exception.class, (e, ctx) -> {
            LOG.error("Unhandled error on {} {}", ctx.method(), ctx.path(), e);
            ctx.status(HttpStatus.INTERNAL_SERVER_ERROR).json(Map.of("error", "internal error"));
        });
        config.routes.error(HttpStatus.NOT_FOUND.getCode(), "*", ctx -> {
            // Javalin answers an unmatched route in plain text; our clients read JSON.
            if (ctx.endpoints().matchedHttpEndpoint() == null) {
                ctx.json(Map.of("error", "no such route"));
            }
        });
    }

    /**
     * A request that carries a body must say it is JSON ({@code Content-Type: application/json}, any parameters):
     * 415 otherwise. Requests without a body (the optional {@code {}} of cancel, place and refund) pass.
     */
    static void requireJsonBody(final Context ctx) {
        final String method = ctx.method().name();
        if (!"POST".equals(method) && !"PUT".equals(method) || ctx.contentLength() == 0) {
            return;
        }
        final String type = ctx.contentType();
        final String base = type == null ? "" : type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (!"application/json".equals(base) && (ctx.contentLength() > 0 || type != null)) {
            throw new UnsupportedMediaTypeResponse("the body must be application/json"
                    + (type == null ? " (no Content-Type was sent)" : ", not " + type));
        }
    }

    /** Keeps each declared HTTP endpoint as {@code "METHOD /path/{template}"}, for the OpenAPI coverage check. */
    private void remember(final HandlerMetaInfo handler) {
        if (handler.getHttpMethod().isHttpMethod()) {
            endpoints.add(handler.getHttpMethod().name() + " " + handler.getPath());
        }
    }

    /** Every HTTP endpoint declared, as {@code "METHOD /path/{template}"}. */
    List<String> endpoints() {
        return List.copyOf(endpoints);
    }

    /** The Javalin application, for {@code JavalinTest}. */
    Javalin javalin() {
        return app;
    }

    /** Starts listening; returns this. */
    public Gateway start() {
        app.start();
        return this;
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return app.port();
    }

    /** The base URL clients use. */
    public String url() {
        return "http://" + settings.host() + ":" + port();
    }

    /** How many live streams are open now. */
    int liveStreams() {
        return live.openStreams();
    }

    @Override
    public void close() {
        live.close();
        app.stop();
    }
}
