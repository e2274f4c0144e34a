package io.bursar.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.queries.Read;
import io.bursar.schemas.payments.PartnerBalance;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.HttpStatus;
import io.javalin.json.JavalinJackson;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP gateway: JSON in, commands to Kafka, reads through interactive queries. Every route is
 * declared in {@link #routes}, every error mapped in {@link #errors}; handlers hold no business rule.
 */
public final class Gateway implements AutoCloseable {

    /** Gateway settings, converted to typed values at the boundary. */
    public record Settings(String host, int port, Duration publishTimeout, long holdTtlMsMax, long maxRequestBytes) {
        public Settings {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            if (publishTimeout.isNegative() || publishTimeout.isZero()) {
                throw new IllegalArgumentException("publishTimeout must be positive");
            }
        }
    }

    static final int RETRY_AFTER_SECONDS = 1;
    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

    private final Javalin app;
    private final Settings settings;

    public Gateway(final Settings settings, final CommandPublisher publisher,
                   final Function<String, Read<PartnerBalance>> balances) {
        this.settings = settings;
        final ObjectMapper mapper = new ObjectMapper();
        final PartnerBalanceHandlers partners = new PartnerBalanceHandlers(mapper, publisher, balances, settings,
                Clock.systemUTC());
        this.app = Javalin.create(config -> {
            config.jsonMapper(new JavalinJackson(mapper, false));
            config.http.maxRequestSize = settings.maxRequestBytes();
            config.http.defaultContentType = "application/json";
            config.jetty.host = settings.host();
            config.jetty.port = settings.port();
            config.startup.showJavalinBanner = false;
            routes(config, partners);
            errors(config);
        });
    }

    private static void routes(final JavalinConfig config, final PartnerBalanceHandlers partners) {
        config.routes.post("/v1/partners/{partnerId}/credits", partners::credit);
        config.routes.post("/v1/partners/{partnerId}/debits", partners::debit);
        config.routes.post("/v1/partners/{partnerId}/holds", partners::hold);
        config.routes.post("/v1/partners/{partnerId}/holds/{holdId}/capture", partners::capture);
        config.routes.post("/v1/partners/{partnerId}/holds/{holdId}/release", partners::release);
        config.routes.get("/v1/partners/{partnerId}/balance", partners::balance);
    }

    private static void errors(final JavalinConfig config) {
        config.routes.exception(InvalidRequestException.class, (e, ctx) ->
                ctx.status(HttpStatus.BAD_REQUEST).json(Map.of("error", "invalid request", "fields", e.errors())));
        config.routes.exception(NotFoundException.class, (e, ctx) ->
                ctx.status(HttpStatus.NOT_FOUND).json(Map.of("error", e.getMessage())));
        config.routes.exception(UnavailableException.class, (e, ctx) -> {
            ctx.header("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
            ctx.status(HttpStatus.SERVICE_UNAVAILABLE).json(Map.of("error", e.getMessage()));
        });
        config.routes.exception(Exception.class, (e, ctx) -> {
            LOG.error("Unhandled error on {} {}", ctx.method(), ctx.path(), e);
            ctx.status(HttpStatus.INTERNAL_SERVER_ERROR).json(Map.of("error", "internal error"));
        });
        config.routes.error(HttpStatus.NOT_FOUND.getCode(), "*", ctx -> {
            if (ctx.result() == null) {
                ctx.json(Map.of("error", "no such route", "fields", List.of()));
            }
        });
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

    @Override
    public void close() {
        app.stop();
    }
}
