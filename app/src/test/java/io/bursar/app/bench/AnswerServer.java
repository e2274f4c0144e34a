package io.bursar.app.bench;

import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A real Jetty server on loopback for the benchmark's HTTP clients: a small answer with a length, a large one
 * sent chunked, an echo of the bearer key and body, one that closes its connection, and the client ports seen.
 */
final class AnswerServer implements AutoCloseable {

    final Set<String> clientPorts = ConcurrentHashMap.newKeySet();
    private final Javalin server;

    /** Starts the server with the common routes and whatever {@code moreRoutes} adds. */
    AnswerServer(final Consumer<JavalinConfig> moreRoutes) {
        server = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.routes.before(ctx -> clientPorts.add(String.valueOf(ctx.req().getRemotePort())));
            config.routes.get("/small", ctx -> ctx.result("{\"ok\":true}"));
            config.routes.get("/large", ctx -> ctx.result(new ByteArrayInputStream("x".repeat(200_000)
                    .getBytes(StandardCharsets.UTF_8))));
            config.routes.post("/echo", ctx -> ctx.status(202).result(ctx.header("Authorization") + "|" + ctx.body()));
            config.routes.get("/bye", ctx -> ctx.header("Connection", "close").result("bye"));
            moreRoutes.accept(config);
        }).start("127.0.0.1", 0);
    }

    String base() {
        return "http://127.0.0.1:" + server.port();
    }

    @Override
    public void close() {
        server.stop();
    }
}
