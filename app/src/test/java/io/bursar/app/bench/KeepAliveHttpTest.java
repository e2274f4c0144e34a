package io.bursar.app.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The benchmark's HTTP/1.1 client against a real Jetty server on loopback. */
class KeepAliveHttpTest {

    private final Set<String> clientPorts = ConcurrentHashMap.newKeySet();
    private Javalin server;
    private KeepAliveHttp http;

    @BeforeEach
    void start() {
        server = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.routes.before(ctx -> clientPorts.add(String.valueOf(ctx.req().getRemotePort())));
            config.routes.get("/small", ctx -> ctx.result("{\"ok\":true}"));
            config.routes.get("/large", ctx -> ctx.result(new ByteArrayInputStream("x".repeat(200_000)
                    .getBytes(StandardCharsets.UTF_8))));
            config.routes.post("/echo", ctx -> ctx.status(202).result(ctx.header("Authorization") + "|" + ctx.body()));
            config.routes.get("/bye", ctx -> ctx.header("Connection", "close").result("bye"));
        }).start("127.0.0.1", 0);
        http = new KeepAliveHttp("http://127.0.0.1:" + server.port(), "k3y", 5_000);
    }

    @AfterEach
    void stop() {
        http.close();
        server.stop();
    }

    @Test
    void answersWithALengthAndChunkedAnswersArriveWholeOverOneConnection() throws Exception {
        assertThat(http.send("GET", "/small", null)).isEqualTo(new KeepAliveHttp.Answer(200, "{\"ok\":true}"));
        final KeepAliveHttp.Answer large = http.send("GET", "/large", null);
        assertThat(large.status()).isEqualTo(200);
        assertThat(large.body()).hasSize(200_000).matches("x+");
        assertThat(http.send("GET", "/missing", null).status()).isEqualTo(404);
        assertThat(http.send("GET", "/small", null).status()).isEqualTo(200);
        assertThat(clientPorts).as("one keep-alive connection").hasSize(1);
    }

    @Test
    void sendsTheBodyAndTheBearerKey() throws Exception {
        assertThat(http.send("POST", "/echo", "{\"orderId\":\"é-1\"}"))
                .isEqualTo(new KeepAliveHttp.Answer(202, "Bearer k3y|{\"orderId\":\"é-1\"}"));
    }

    @Test
    void opensANewConnectionAfterTheServerClosedOne() throws Exception {
        assertThat(http.send("GET", "/bye", null)).isEqualTo(new KeepAliveHttp.Answer(200, "bye"));
        assertThat(http.send("GET", "/small", null).status()).isEqualTo(200);
        assertThat(clientPorts).as("a second connection after Connection: close").hasSize(2);
    }
}
