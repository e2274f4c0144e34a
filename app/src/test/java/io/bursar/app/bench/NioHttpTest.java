package io.bursar.app.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The benchmark's selector-driven HTTP/1.1 client against a real Jetty server on loopback. */
class NioHttpTest {

    private final CountDownLatch release = new CountDownLatch(1);
    private AnswerServer server;
    private NioHttp http;

    @BeforeEach
    void start() throws Exception {
        server = new AnswerServer(config -> config.routes.get("/held", ctx -> {
            release.await(10, TimeUnit.SECONDS);
            ctx.result("released");
        }));
        http = new NioHttp(server.base(), "k3y", 2_000);
    }

    @AfterEach
    void stop() {
        release.countDown();
        http.close();
        server.close();
    }

    @Test
    void lengthAndChunkedAnswersArriveWholeAndTheConnectionIsReused() throws Exception {
        assertThat(send("GET", "/small", null)).isEqualTo(new KeepAliveHttp.Answer(200, "{\"ok\":true}"));
        final KeepAliveHttp.Answer large = send("GET", "/large", null);
        assertThat(large.status()).isEqualTo(200);
        assertThat(large.body()).hasSize(200_000).matches("x+");
        assertThat(send("GET", "/missing", null).status()).isEqualTo(404);
        assertThat(send("GET", "/small", null).status()).isEqualTo(200);
        assertThat(server.clientPorts).as("one keep-alive connection for requests one after another").hasSize(1);
    }

    @Test
    void sendsTheBodyAndTheBearerKey() throws Exception {
        assertThat(send("POST", "/echo", "{\"orderId\":\"é-1\"}"))
                .isEqualTo(new KeepAliveHttp.Answer(202, "Bearer k3y|{\"orderId\":\"é-1\"}"));
    }

    @Test
    void opensANewConnectionAfterTheServerClosedOne() throws Exception {
        assertThat(send("GET", "/bye", null)).isEqualTo(new KeepAliveHttp.Answer(200, "bye"));
        assertThat(send("GET", "/small", null).status()).isEqualTo(200);
        assertThat(server.clientPorts).as("a second connection after Connection: close").hasSize(2);
    }

    @Test
    void requestsOpenAtOnceEachGetTheirOwnConnectionAndAnswer() throws Exception {
        final List<CompletableFuture<KeepAliveHttp.Answer>> answers = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            answers.add(http.send("POST", "/echo", "{\"n\":" + i + "}"));
        }
        http.flush();
        for (int i = 0; i < 50; i++) {
            assertThat(answers.get(i).get(10, TimeUnit.SECONDS).body()).isEqualTo("Bearer k3y|{\"n\":" + i + "}");
        }
        assertThat(server.clientPorts).as("50 requests open at once, 50 connections").hasSize(50);

        final List<CompletableFuture<KeepAliveHttp.Answer>> again = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            again.add(http.send("GET", "/small", null));
        }
        http.flush();
        for (final CompletableFuture<KeepAliveHttp.Answer> answer : again) {
            assertThat(answer.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
        }
        assertThat(server.clientPorts).as("the idle connections are used again").hasSize(50);
    }

    @Test
    void anAnswerLaterThanTheReadTimeoutFailsItsRequest() {
        final CompletableFuture<KeepAliveHttp.Answer> held = http.send("GET", "/held", null);
        http.flush();

        assertThat(held).failsWithin(10, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
                .withMessageContaining("no whole answer in time");
    }

    private KeepAliveHttp.Answer send(final String method, final String path, final String body) throws Exception {
        final CompletableFuture<KeepAliveHttp.Answer> answer = http.send(method, path, body);
        http.flush();
        return answer.get(10, TimeUnit.SECONDS);
    }
}
