package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A batch of balance operations through the gateway, on the demo's real broker: one command, one result with
 * every operation's outcome, the balance moved by exactly the accepted operations, once, however often the
 * request is repeated.
 */
class ApplyBatchIT {

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aBatchThroughTheGatewayMovesTheBalanceOnceByItsAcceptedOperations() throws Exception {
        try (Demo demo = Demo.start(0)) {
            final long opening = Demo.SAMPLE_PARTNERS.get("globex");
            final String body = "{\"atomic\":false,\"operations\":["
                    + "{\"type\":\"CREDIT\",\"amountMinor\":1000,\"currency\":\"EUR\"},"
                    + "{\"type\":\"DEBIT\",\"amountMinor\":" + (opening + 1_000_000) + ",\"currency\":\"EUR\"},"
                    + "{\"type\":\"HOLD_FUNDS\",\"holdId\":\"b-h1\",\"amountMinor\":300,\"currency\":\"EUR\",\"ttlMs\":600000},"
                    + "{\"type\":\"CAPTURE_HOLD\",\"holdId\":\"b-h1\",\"amountMinor\":200,\"currency\":\"EUR\"},"
                    + "{\"type\":\"DEBIT\",\"amountMinor\":50,\"currency\":\"EUR\"}]}";
            final List<Integer> answers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                answers.add(post(demo, "/v1/partners/globex/batches", body, "batch-it-1").statusCode());
            }
            assertThat(answers).containsOnly(202);

            final JsonNode outcome = get(demo, "/v1/commands/batch-it-1?waitMs=20000");
            assertThat(outcome.get("type").asText()).isEqualTo("APPLY_BATCH");
            assertThat(outcome.get("outcome").asText()).isEqualTo("ACCEPTED");
            final List<String> reasons = new ArrayList<>();
            outcome.get("batch").get("operations").forEach(operation -> reasons.add(operation.get("reason").isNull()
                    ? "ACCEPTED" : operation.get("reason").asText()));
            assertThat(reasons).containsExactly("ACCEPTED", "INSUFFICIENT_FUNDS", "ACCEPTED", "ACCEPTED", "ACCEPTED");
            assertThat(outcome.get("batch").get("applied").asInt()).isEqualTo(4);

            // +1,000, −300 held of which 200 captured and 100 back, −50; the refused debit moved nothing.
            final long expected = opening + 1_000 - 200 - 50;
            assertThat(outcome.get("batch").get("balancesAfter").get(0).get("availableMinor").asLong())
                    .isEqualTo(expected);
            final JsonNode balance = get(demo, "/v1/partners/globex/balance");
            assertThat(balance.get("accounts").get(0).get("availableMinor").asLong()).isEqualTo(expected);
            assertThat(balance.get("accounts").get(0).get("heldMinor").asLong()).isZero();
        }
    }

    private HttpResponse<String> post(final Demo demo, final String path, final String body, final String key)
            throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(demo.url() + path))
                .header("Authorization", "Bearer " + demo.adminKey()).header("Content-Type", "application/json")
                .header("Idempotency-Key", key).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode get(final Demo demo, final String path) throws Exception {
        final HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(demo.url() + path))
                .header("Authorization", "Bearer " + demo.adminKey()).timeout(Duration.ofSeconds(40)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as("GET %s: %s", path, answer.body()).isEqualTo(200);
        return json.readTree(answer.body());
    }
}
