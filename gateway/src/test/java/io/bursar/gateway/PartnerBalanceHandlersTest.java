package io.bursar.gateway;

import static io.bursar.gateway.GatewayClient.assertRetryLater;
import static io.bursar.gateway.GatewayFixture.ACME_KEY;
import static io.bursar.gateway.GatewayFixture.ADMIN_KEY;
import static io.bursar.gateway.GatewayFixture.idempotencyKey;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.bursar.queries.Read;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.ApplyBatch;
import io.bursar.schemas.payments.BalanceOperation;
import io.bursar.schemas.payments.BalanceOperationType;
import io.bursar.schemas.payments.CaptureHold;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.CurrencyAccount;
import io.bursar.schemas.payments.HoldFunds;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.ReleaseHold;
import io.javalin.testtools.Response;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The partner-balance routes: what reaches the publisher, the validation matrix, and reads. */
class PartnerBalanceHandlersTest {

    private static final String MONEY = "{\"amountMinor\":1,\"currency\":\"EUR\"}";

    private final GatewayFixture fixture = new GatewayFixture();

    @Test
    void creditIsPublishedWithTheIdempotencyKeyAsCommandId() {
        fixture.run(client -> {
            final JsonNode body = client.body(client.post(ACME_KEY, "/v1/partners/acme/credits",
                    "{\"amountMinor\":1500,\"currency\":\"EUR\"}", idempotencyKey("key-1")), 202);

            assertThat(body.get("commandId").asText()).isEqualTo("key-1");
            assertThat(body.get("links").get("balance").asText()).isEqualTo("/v1/partners/acme/balance");
            assertThat(fixture.published).singleElement().satisfies(command -> {
                assertThat(command.getCommandId()).isEqualTo("key-1");
                assertThat(command.getPartnerId()).isEqualTo("acme");
                assertThat(((Credit) command.getPayload()).getAmount().getAmountMinor()).isEqualTo(1500);
            });
        });
    }

    @Test
    void withoutIdempotencyKeyEachRequestGetsItsOwnCommandId() {
        fixture.run(client -> {
            client.post(ADMIN_KEY, "/v1/partners/acme/debits", MONEY);
            client.post(ADMIN_KEY, "/v1/partners/acme/debits", MONEY);

            assertThat(fixture.published).hasSize(2);
            assertThat(fixture.published.get(0).getCommandId()).isNotEqualTo(fixture.published.get(1).getCommandId());
        });
    }

    @Test
    void holdCaptureAndReleaseArePublished() {
        fixture.run(client -> {
            assertThat(client.post(ADMIN_KEY, "/v1/partners/acme/holds",
                    "{\"holdId\":\"h-1\",\"amountMinor\":10,\"currency\":\"USD\",\"ttlMs\":1000}").code()).isEqualTo(202);
            assertThat(client.post(ADMIN_KEY, "/v1/partners/acme/holds/h-1/capture",
                    "{\"amountMinor\":5,\"currency\":\"USD\"}").code()).isEqualTo(202);
            assertThat(client.post(ADMIN_KEY, "/v1/partners/acme/holds/h-1/release", "").code()).isEqualTo(202);

            assertThat(fixture.published).<Object>extracting(c -> c.getPayload().getClass())
                    .containsExactly(HoldFunds.class, CaptureHold.class, ReleaseHold.class);
        });
    }

    @Test
    void aBatchIsPublishedAsOneApplyBatchInOrder() {
        fixture.run(client -> {
            final Response response = client.post(ACME_KEY, "/v1/partners/acme/batches", "{\"atomic\":true,"
                    + "\"operations\":[{\"type\":\"CREDIT\",\"amountMinor\":100,\"currency\":\"EUR\"},"
                    + "{\"type\":\"HOLD_FUNDS\",\"holdId\":\"h-1\",\"amountMinor\":40,\"currency\":\"EUR\",\"ttlMs\":1000},"
                    + "{\"type\":\"RELEASE_HOLD\",\"holdId\":\"h-1\"}]}", idempotencyKey("batch-1"));

            assertThat(response.code()).isEqualTo(202);
            assertThat(fixture.published).singleElement().satisfies(command -> {
                assertThat(command.getCommandId()).isEqualTo("batch-1");
                final ApplyBatch batch = (ApplyBatch) command.getPayload();
                assertThat(batch.getAtomic()).isTrue();
                assertThat(batch.getOperations()).containsExactly(
                        new BalanceOperation(BalanceOperationType.CREDIT, new Money(100L, "EUR"), null, null),
                        new BalanceOperation(BalanceOperationType.HOLD_FUNDS, new Money(40L, "EUR"), "h-1", 1000L),
                        new BalanceOperation(BalanceOperationType.RELEASE_HOLD, null, "h-1", null));
            });
        });
    }

    @Test
    void everyBadOperationOfABatchIsReportedByItsPlaceAndNothingIsPublished() {
        fixture.run(client -> {
            final Map<String, String> fields = client.refusedFields(client.post(ADMIN_KEY, "/v1/partners/acme/batches",
                    "{\"operations\":["
                    + "{\"type\":\"CREDIT\",\"currency\":\"EUR\"},"
                    + "{\"type\":\"TRANSFER\",\"amountMinor\":1,\"currency\":\"EUR\"},"
                    + "{\"type\":\"RELEASE_HOLD\",\"holdId\":\"h\",\"amountMinor\":5},"
                    + "{\"type\":\"DEBIT\",\"amountMinor\":1,\"currency\":\"EUR\",\"ttlMs\":5}]}"));

            assertThat(fields).containsOnlyKeys("operations[0].amountMinor", "operations[1].type",
                    "operations[2].amountMinor", "operations[3].ttlMs");
            assertThat(client.post(ADMIN_KEY, "/v1/partners/acme/batches", "{\"operations\":[]}").code())
                    .isEqualTo(400);
            assertThat(fixture.published).isEmpty();
        });
    }

    @Test
    void everyBadFieldIsReportedAndNothingIsPublished() {
        fixture.run(client -> {
            final Map<String, String> fields = client.refusedFields(client.post(ADMIN_KEY, "/v1/partners/acme/holds",
                    "{\"amountMinor\":-5,\"currency\":\"EURO\",\"ttlMs\":99999999,\"colour\":\"red\"}"));

            assertThat(fields).containsOnlyKeys("holdId", "amountMinor", "currency", "ttlMs", "colour");
            assertThat(fields.get("holdId")).isEqualTo("required");
            assertThat(fields.get("colour")).isEqualTo("unknown field");
            assertThat(fixture.published).isEmpty();
        });
    }

    @Test
    void amountsThatAreNotPositive64BitIntegersAreRejected() {
        fixture.run(client -> {
            for (final String amount : List.of("0", "-1", "1.5", "\"10\"", "92233720368547758070", "1e3")) {
                final Map<String, String> fields = client.refusedFields(client.post(ADMIN_KEY,
                        "/v1/partners/acme/credits", "{\"amountMinor\":" + amount + ",\"currency\":\"EUR\"}"), amount);
                assertThat(fields).as(amount).containsOnlyKeys("amountMinor");
            }
            assertThat(fixture.published).isEmpty();
        });
    }

    @Test
    void unknownCurrencyIsRejected() {
        fixture.run(client -> {
            for (final String currency : List.of("\"eur\"", "\"ABC\"", "\"\"", "12")) {
                final Response response = client.post(ADMIN_KEY, "/v1/partners/acme/credits",
                        "{\"amountMinor\":1,\"currency\":" + currency + "}");
                assertThat(client.fields(response)).as(currency).containsOnlyKeys("currency");
            }
            assertThat(fixture.published).isEmpty();
        });
    }

    @Test
    void malformedJsonAndBadIdsAreRejected() {
        fixture.run(client -> {
            assertThat(client.post(ADMIN_KEY, "/v1/partners/acme/credits", "{\"amountMinor\":").code()).isEqualTo(400);
            assertThat(client.post(ADMIN_KEY, "/v1/partners/acme/credits", "[1,2]").code()).isEqualTo(400);
            assertThat(client.post(ADMIN_KEY, "/v1/partners/ac%20me/credits", MONEY).code()).isEqualTo(400);
            assertThat(client.post(ADMIN_KEY, "/v1/partners/acme/credits", MONEY, idempotencyKey("bad key!")).code())
                    .isEqualTo(400);
            assertThat(client.post(ADMIN_KEY, "/v1/partners/acme/holds/h%201/capture", MONEY).code()).isEqualTo(400);
            assertThat(fixture.published).isEmpty();
        });
    }

    @Test
    void oversizedBodyIsRefused() {
        fixture.run(client -> {
            final String big = "{\"amountMinor\":1,\"currency\":\"EUR\",\"pad\":\"" + "x".repeat(2_000) + "\"}";
            assertThat(client.post(ADMIN_KEY, "/v1/partners/acme/credits", big).code()).isEqualTo(413);
            assertThat(fixture.published).isEmpty();
        });
    }

    @Test
    void kafkaNotAcknowledgingIsA503WithRetryAfter() {
        fixture.kafkaDown = true;
        fixture.run(client -> {
            final Response response = client.post(ADMIN_KEY, "/v1/partners/acme/credits", MONEY);

            assertThat(response.code()).isEqualTo(503);
            assertThat(response.headers().get("Retry-After")).isNotEmpty();
        });
    }

    @Test
    void balanceIsReadThroughTheQueryLayer() {
        fixture.reads.put("acme", new Read.Found<>(new PartnerBalance("acme",
                Map.of("EUR", new CurrencyAccount(700L, 300L)), Instant.EPOCH)));
        fixture.run(client -> {
            final Response response = client.get(ACME_KEY, "/v1/partners/acme/balance");

            assertThat(response.code()).isEqualTo(200);
            final JsonNode account = client.body(response).get("accounts").get(0);
            assertThat(account.get("currency").asText()).isEqualTo("EUR");
            assertThat(account.get("availableMinor").asLong()).isEqualTo(700);
            assertThat(account.get("heldMinor").asLong()).isEqualTo(300);
            assertThat(account.get("balanceMinor").asLong()).isEqualTo(1_000);
        });
    }

    @Test
    void unknownPartnerIs404AndUnavailableStoreIs503() {
        fixture.run(client -> {
            assertThat(client.get(ADMIN_KEY, "/v1/partners/nobody/balance").code()).isEqualTo(404);

            fixture.reads.put("acme", new Read.Unavailable<>("rebalancing"));
            assertRetryLater(client.get(ADMIN_KEY, "/v1/partners/acme/balance"), "rebalancing");
        });
    }

    @Test
    void unknownRouteIs404() {
        fixture.run(client -> {
            final Response response = client.get(ADMIN_KEY, "/v1/nothing/here");
            assertThat(response.code()).isEqualTo(404);
            assertThat(client.body(response).get("error").asText()).isEqualTo("no such route");
        });
    }
}
