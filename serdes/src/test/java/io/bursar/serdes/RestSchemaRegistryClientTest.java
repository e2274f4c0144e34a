// The REST client's requests, caching and error reporting, against a scripted fake registry.
package io.bursar.serdes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.schemas.payments.PaymentCommand;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RestSchemaRegistryClientTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Schema SCHEMA = PaymentCommand.getClassSchema();

    private FakeRegistryServer server;
    private RestSchemaRegistryClient client;

    @BeforeEach
    void start() throws Exception {
        server = new FakeRegistryServer();
        client = new RestSchemaRegistryClient(server.baseUrl() + "/");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void registerPostsTheSchemaUnderTheBasePathOnceThenUsesTheCache() throws Exception {
        server.script(request -> new FakeRegistryServer.Answer(200, "{\"id\":42}"));

        assertThat(client.register("payment-commands-value", SCHEMA)).isEqualTo(42);
        assertThat(client.register("payment-commands-value", SCHEMA)).isEqualTo(42);
        assertThat(client.lookup("payment-commands-value", SCHEMA)).isEqualTo(42);
        assertThat(client.schemaById(42)).isEqualTo(SCHEMA);

        assertThat(server.requests()).hasSize(1);
        final FakeRegistryServer.Request request = server.requests().get(0);
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.path()).isEqualTo(FakeRegistryServer.PATH_PREFIX + "/subjects/payment-commands-value/versions");
        assertThat(request.contentType()).isEqualTo(RestSchemaRegistryClient.CONTENT_TYPE);
        final String sentSchema = JSON.readTree(request.body()).get("schema").asText();
        assertThat(new Schema.Parser().parse(sentSchema)).isEqualTo(SCHEMA);
    }

    @Test
    void lookupPostsToTheSubject() {
        server.script(request -> new FakeRegistryServer.Answer(200,
                "{\"subject\":\"s\",\"version\":3,\"id\":7,\"schema\":\"\\\"string\\\"\"}"));

        assertThat(client.lookup("a subject", SCHEMA)).isEqualTo(7);

        assertThat(server.requests().get(0).method()).isEqualTo("POST");
        assertThat(server.requests().get(0).path()).isEqualTo(FakeRegistryServer.PATH_PREFIX + "/subjects/a%20subject");
    }

    @Test
    void schemaByIdIsFetchedOnceAndParsed() {
        server.script(request -> new FakeRegistryServer.Answer(200,
                "{\"schema\":" + JSON.valueToTree(SCHEMA.toString()) + "}"));

        assertThat(client.schemaById(5)).isEqualTo(SCHEMA);
        assertThat(client.schemaById(5)).isEqualTo(SCHEMA);

        assertThat(server.requests()).hasSize(1);
        assertThat(server.requests().get(0).method()).isEqualTo("GET");
        assertThat(server.requests().get(0).path()).isEqualTo(FakeRegistryServer.PATH_PREFIX + "/schemas/ids/5");
    }

    @Test
    void latestVersionIsNeverCached() {
        server.script(request -> new FakeRegistryServer.Answer(200,
                "{\"subject\":\"s\",\"version\":3,\"id\":7,\"schema\":\"\\\"string\\\"\"}"));

        final RegisteredSchema latest = client.latestVersion("s");
        client.latestVersion("s");

        assertThat(latest).isEqualTo(new RegisteredSchema("s", 3, 7, Schema.create(Schema.Type.STRING)));
        assertThat(server.requests()).hasSize(2);
        assertThat(server.requests().get(0).path()).isEqualTo(FakeRegistryServer.PATH_PREFIX + "/subjects/s/versions/latest");
    }

    @Test
    void aRefusalNamesStatusErrorCodeAndMessageAndIsNotCached() {
        server.script(request -> new FakeRegistryServer.Answer(404,
                "{\"error_code\":40403,\"message\":\"Schema not found under subject\"}"));

        assertThatThrownBy(() -> client.lookup("s", SCHEMA))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(404);
                    assertThat(e.errorCode()).isEqualTo(40403);
                    assertThat(e.isNotFound()).isTrue();
                    assertThat(e.getMessage()).contains("404", "40403", "Schema not found under subject", "/subjects/s");
                });
        server.script(request -> new FakeRegistryServer.Answer(200, "{\"id\":8}"));
        assertThat(client.lookup("s", SCHEMA)).isEqualTo(8);
    }

    @Test
    void aRefusalWithoutJsonQuotesTheBody() {
        server.script(request -> new FakeRegistryServer.Answer(502, "<html>Bad Gateway</html>"));

        assertThatThrownBy(() -> client.schemaById(1))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(502);
                    assertThat(e.errorCode()).isEqualTo(SchemaRegistryException.NO_ERROR_CODE);
                    assertThat(e.getMessage()).contains("502", "Bad Gateway");
                });
    }

    @Test
    void aSuccessWithoutTheExpectedFieldsIsAnError() {
        server.script(request -> new FakeRegistryServer.Answer(200, "{\"unexpected\":true}"));
        assertThatThrownBy(() -> client.register("s", SCHEMA)).isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("'id'");

        server.script(request -> new FakeRegistryServer.Answer(200, "not json"));
        assertThatThrownBy(() -> client.register("s", SCHEMA)).isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("not JSON");

        server.script(request -> new FakeRegistryServer.Answer(200, "{\"schema\":\"{not avro\"}"));
        assertThatThrownBy(() -> client.schemaById(3)).isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("not valid Avro");
    }

    @Test
    void aSlowRegistryTimesOut() {
        server.script(request -> {
            sleep(Duration.ofMillis(1_500));
            return new FakeRegistryServer.Answer(200, "{\"id\":1}");
        });
        final RestSchemaRegistryClient impatient = new RestSchemaRegistryClient(server.baseUrl(),
                Duration.ofSeconds(1), Duration.ofMillis(300), 10);

        final long startNanos = System.nanoTime();
        assertThatThrownBy(() -> impatient.register("s", SCHEMA))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(SchemaRegistryException.NO_HTTP_STATUS);
                    assertThat(e.getMessage()).contains("timed out");
                });
        assertThat(Duration.ofNanos(System.nanoTime() - startNanos)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void anUnreachableRegistryIsATransportFailure() throws Exception {
        final int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        final RestSchemaRegistryClient unreachable = new RestSchemaRegistryClient("http://127.0.0.1:" + closedPort);

        assertThatThrownBy(() -> unreachable.schemaById(1))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(SchemaRegistryException.NO_HTTP_STATUS);
                    assertThat(e.isNotFound()).isFalse();
                    assertThat(e.getMessage()).contains(String.valueOf(closedPort));
                });
    }

    @Test
    void limitsAreValidated() {
        assertThatThrownBy(() -> new RestSchemaRegistryClient("http://h", Duration.ZERO, Duration.ofSeconds(1), 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RestSchemaRegistryClient("http://h", Duration.ofSeconds(1), Duration.ofSeconds(1), 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RestSchemaRegistryClient("http://h/?q=1")).isInstanceOf(IllegalArgumentException.class);
    }

    private static void sleep(final Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
