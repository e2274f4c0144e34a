package io.bursar.app.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The benchmark's HTTP/1.1 client against a real Jetty server on loopback. */
class KeepAliveHttpTest {

    private AnswerServer server;
    private KeepAliveHttp http;

    @BeforeEach
    void start() {
        server = new AnswerServer(config -> { });
        http = new KeepAliveHttp(server.base(), "k3y", 5_000);
    }

    @AfterEach
    void stop() {
        http.close();
        server.close();
    }

    @Test
    void answersWithALengthAndChunkedAnswersArriveWholeOverOneConnection() throws Exception {
        assertThat(http.send("GET", "/small", null)).isEqualTo(new KeepAliveHttp.Answer(200, "{\"ok\":true}"));
        final KeepAliveHttp.Answer large = http.send("GET", "/large", null);
        assertThat(large.status()).isEqualTo(200);
        assertThat(large.body()).hasSize(200_000).matches("x+");
        assertThat(http.send("GET", "/missing", null).status()).isEqualTo(404);
        assertThat(http.send("GET", "/small", null).status()).isEqualTo(200);
        assertThat(server.clientPorts).as("one keep-alive connection").hasSize(1);
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
        assertThat(server.clientPorts).as("a second connection after Connection: close").hasSize(2);
    }
}
