package io.bursar.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.queries.Read;
import io.bursar.schemas.payments.CaptureHold;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.CurrencyAccount;
import io.bursar.schemas.payments.HoldFunds;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.ReleaseHold;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The gateway's routes over real HTTP, with a recording publisher and an in-memory balance lookup. */
class GatewayTest {

    private final List<PaymentCommand> published = new CopyOnWriteArrayList<>();
    private final Map<String, Read<PartnerBalance>> reads = new HashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper();
    private volatile boolean kafkaDown;
    private Gateway gateway;

    @BeforeEach
    void start() {
        final CommandPublisher publisher = new CommandPublisher() {
            @Override
            public CompletableFuture<Void> publish(final PaymentCommand command) {
                if (kafkaDown) {
                    return CompletableFuture.failedFuture(new IllegalStateException("broker unreachable"));
                }
                published.add(command);
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public void close() {
            }
        };
        gateway = new Gateway(new Gateway.Settings("127.0.0.1", 0, Duration.ofSeconds(1), 60_000L, 1_024L),
                publisher, partnerId -> reads.getOrDefault(partnerId, new Read.Missing<>())).start();
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void creditIsPublishedWithTheIdempotencyKeyAsCommandId() throws Exception {
        final HttpResponse<String> response = post("/v1/partners/acme/credits",
                "{\"amountMinor\":1500,\"currency\":\"EUR\"}", "key-1");

        assertThat(response.statusCode()).isEqualTo(202);
        final JsonNode body = json.readTree(response.body());
        assertThat(body.get("commandId").asText()).isEqualTo("key-1");
        assertThat(published).singleElement().satisfies(command -> {
            assertThat(command.getCommandId()).isEqualTo("key-1");
            assertThat(command.getPartnerId()).isEqualTo("acme");
            assertThat(((Credit) command.getPayload()).getAmount().getAmountMinor()).isEqualTo(1500);
        });
    }

    @Test
    void withoutIdempotencyKeyEachRequestGetsItsOwnCommandId() throws Exception {
        post("/v1/partners/acme/debits", "{\"amountMinor\":1,\"currency\":\"EUR\"}", null);
        post("/v1/partners/acme/debits", "{\"amountMinor\":1,\"currency\":\"EUR\"}", null);

        assertThat(published).hasSize(2);
        assertThat(published.get(0).getCommandId()).isNotEqualTo(published.get(1).getCommandId());
    }

    @Test
    void holdCaptureAndReleaseArePublished() throws Exception {
        assertThat(post("/v1/partners/acme/holds",
                "{\"holdId\":\"h-1\",\"amountMinor\":10,\"currency\":\"USD\",\"ttlMs\":1000}", null).statusCode()).isEqualTo(202);
        assertThat(post("/v1/partners/acme/holds/h-1/capture", "{\"amountMinor\":5,\"currency\":\"USD\"}", null).statusCode())
                .isEqualTo(202);
        assertThat(post("/v1/partners/acme/holds/h-1/release", "", null).statusCode()).isEqualTo(202);

        assertThat(published).<Object>extracting(c -> c.getPayload().getClass())
                .containsExactly(HoldFunds.class, CaptureHold.class, ReleaseHold.class);
    }

    @Test
    void everyBadFieldIsReportedAndNothingIsPublished() throws Exception {
        final HttpResponse<String> response = post("/v1/partners/acme/holds",
                "{\"amountMinor\":-5,\"currency\":\"EURO\",\"ttlMs\":99999999,\"colour\":\"red\"}", null);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(fields(response)).containsOnlyKeys("holdId", "amountMinor", "currency", "ttlMs", "colour");
        assertThat(fields(response).get("holdId")).isEqualTo("required");
        assertThat(fields(response).get("colour")).isEqualTo("unknown field");
        assertThat(published).isEmpty();
    }

    @Test
    void amountsThatAreNotPositive64BitIntegersAreRejected() throws Exception {
        for (final String amount : List.of("0", "-1", "1.5", "\"10\"", "92233720368547758070", "1e3")) {
            final HttpResponse<String> response = post("/v1/partners/acme/credits",
                    "{\"amountMinor\":" + amount + ",\"currency\":\"EUR\"}", null);
            assertThat(response.statusCode()).as(amount).isEqualTo(400);
            assertThat(fields(response)).as(amount).containsOnlyKeys("amountMinor");
        }
        assertThat(published).isEmpty();
    }

    @Test
    void unknownCurrencyIsRejected() throws Exception {
        for (final String currency : List.of("\"eur\"", "\"ABC\"", "\"\"", "12")) {
            final HttpResponse<String> response = post("/v1/partners/acme/credits",
                    "{\"amountMinor\":1,\"currency\":" + currency + "}", null);
            assertThat(fields(response)).as(currency).containsOnlyKeys("currency");
        }
        assertThat(published).isEmpty();
    }

    @Test
    void malformedJsonAndBadIdsAreRejected() throws Exception {
        assertThat(post("/v1/partners/acme/credits", "{\"amountMinor\":", null).statusCode()).isEqualTo(400);
        assertThat(post("/v1/partners/acme/credits", "[1,2]", null).statusCode()).isEqualTo(400);
        assertThat(post("/v1/partners/ac%20me/credits", "{\"amountMinor\":1,\"currency\":\"EUR\"}", null).statusCode())
                .isEqualTo(400);
        assertThat(post("/v1/partners/acme/credits", "{\"amountMinor\":1,\"currency\":\"EUR\"}", "bad key!").statusCode())
                .isEqualTo(400);
        assertThat(published).isEmpty();
    }

    @Test
    void oversizedBodyIsRefused() throws Exception {
        final String big = "{\"amountMinor\":1,\"currency\":\"EUR\",\"pad\":\"" + "x".repeat(2_000) + "\"}";
        assertThat(post("/v1/partners/acme/credits", big, null).statusCode()).isEqualTo(413);
        assertThat(published).isEmpty();
    }

    @Test
    void kafkaNotAcknowledgingIsA503WithRetryAfter() throws Exception {
        kafkaDown = true;

        final HttpResponse<String> response = post("/v1/partners/acme/credits", "{\"amountMinor\":1,\"currency\":\"EUR\"}", null);

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).isPresent();
    }

    @Test
    void balanceIsReadThroughTheQueryLayer() throws Exception {
        reads.put("acme", new Read.Found<>(new PartnerBalance("acme",
                Map.of("EUR", new CurrencyAccount(700L, 300L)), java.time.Instant.EPOCH)));

        final HttpResponse<String> response = get("/v1/partners/acme/balance");

        assertThat(response.statusCode()).isEqualTo(200);
        final JsonNode account = json.readTree(response.body()).get("accounts").get(0);
        assertThat(account.get("currency").asText()).isEqualTo("EUR");
        assertThat(account.get("availableMinor").asLong()).isEqualTo(700);
        assertThat(account.get("heldMinor").asLong()).isEqualTo(300);
        assertThat(account.get("balanceMinor").asLong()).isEqualTo(1_000);
    }

    @Test
    void unknownPartnerIs404AndUnavailableStoreIs503() throws Exception {
        assertThat(get("/v1/partners/nobody/balance").statusCode()).isEqualTo(404);

        reads.put("acme", new Read.Unavailable<>("rebalancing"));
        final HttpResponse<String> response = get("/v1/partners/acme/balance");
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).contains("1");
    }

    private Map<String, String> fields(final HttpResponse<String> response) throws Exception {
        final Map<String, String> fields = new HashMap<>();
        json.readTree(response.body()).get("fields").forEach(f -> fields.put(f.get("field").asText(), f.get("message").asText()));
        return fields;
    }

    private HttpResponse<String> post(final String path, final String body, final String idempotencyKey) throws Exception {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway.url() + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (idempotencyKey != null) {
            request.header(PartnerBalanceHandlers.IDEMPOTENCY_KEY, idempotencyKey);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(final String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(gateway.url() + path)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
