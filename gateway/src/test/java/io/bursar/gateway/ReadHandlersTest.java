package io.bursar.gateway;

import static io.bursar.gateway.GatewayFixture.ACME_KEY;
import static io.bursar.gateway.GatewayFixture.ADMIN_KEY;
import static io.bursar.gateway.GatewayFixture.GLOBEX_KEY;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.bursar.queries.PeerForwarder;
import io.bursar.queries.Read;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.BalanceSnapshot;
import io.bursar.schemas.payments.CurrencyAccount;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentEventType;
import io.bursar.schemas.payments.RejectionReason;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import io.javalin.testtools.Response;
import org.junit.jupiter.api.Test;

/** The read routes: command outcomes with long-poll, standby answers, and how routing headers travel. */
class ReadHandlersTest {

    private final GatewayFixture fixture = new GatewayFixture();

    @Test
    void aCommandOutcomeIsReadWithItsReasonAndBalanceAfter() {
        fixture.outcomes.put("c-1", new Read.Found<>(rejected("c-1", "acme")));
        fixture.run(client -> {
            final Response response = client.get(ACME_KEY, "/v1/commands/c-1");

            assertThat(response.code()).isEqualTo(200);
            final JsonNode body = client.body(response);
            assertThat(body.get("outcome").asText()).isEqualTo("REJECTED");
            assertThat(body.get("reason").asText()).isEqualTo("INSUFFICIENT_FUNDS");
            assertThat(body.get("type").asText()).isEqualTo("DEBIT");
            assertThat(body.get("amountMinor").asLong()).isEqualTo(900);
            assertThat(body.get("availableMinorAfter").asLong()).isEqualTo(100);
        });
    }

    @Test
    void anotherPartnersCommandAnswersLikeAnUnknownOne() {
        fixture.outcomes.put("c-1", new Read.Found<>(rejected("c-1", "acme")));
        fixture.run(client -> {
            final Response refused = client.get(GLOBEX_KEY, "/v1/commands/c-1");
            final Response unknown = client.get(GLOBEX_KEY, "/v1/commands/c-2");

            assertThat(refused.code()).isEqualTo(404).isEqualTo(unknown.code());
            assertThat(refused.body().string()).isEqualTo(unknown.body().string().replace("c-2", "c-1"));
            assertThat(client.get(ADMIN_KEY, "/v1/commands/c-1").code()).isEqualTo(200);
        });
    }

    @Test
    void waitMsIsPassedOnAndCapped() {
        fixture.run(client -> {
            assertThat(client.get(ADMIN_KEY, "/v1/commands/c-9?waitMs=1500").code()).isEqualTo(404);
            assertThat(fixture.readWaits.get(fixture.readWaits.size() - 1)).isEqualTo(Duration.ofMillis(1_500));

            for (final String bad : new String[] {"-1", "abc", "30001", "1.5"}) {
                final Response response = client.get(ADMIN_KEY, "/v1/commands/c-9?waitMs=" + bad);
                assertThat(response.code()).as(bad).isEqualTo(400);
                assertThat(client.fields(response)).as(bad).containsOnlyKeys("waitMs");
            }
        });
    }

    @Test
    void aStandbyAnswerCarriesItsLag() {
        fixture.reads.put("acme", new Read.FromStandby<>(new PartnerBalance("acme",
                Map.of("EUR", new CurrencyAccount(5L, 0L)), Instant.EPOCH), 42L));
        fixture.run(client -> {
            final Response response = client.get(ADMIN_KEY, "/v1/partners/acme/balance");

            assertThat(response.code()).isEqualTo(200);
            assertThat(response.headers().get(PeerForwarder.STANDBY_LAG_HEADER)).containsExactly("42");
        });
    }

    @Test
    void routingHeadersAndCredentialsReachTheRouter() {
        fixture.run(client -> {
            client.get(ADMIN_KEY, "/v1/partners/acme/balance", Map.of(PeerForwarder.FORWARDED_HEADER, "1"));
            var request = fixture.readRequests.get(fixture.readRequests.size() - 1);
            assertThat(request.forwarded()).isTrue();
            assertThat(request.standbyRequested()).isFalse();
            assertThat(request.pathAndQuery()).isEqualTo("/v1/partners/acme/balance");
            assertThat(request.passHeaders()).containsEntry("Authorization", "Bearer " + ADMIN_KEY);

            client.get(ADMIN_KEY, "/v1/commands/c-1?waitMs=10", Map.of(PeerForwarder.STANDBY_HEADER, "1"));
            request = fixture.readRequests.get(fixture.readRequests.size() - 1);
            assertThat(request.standbyRequested()).isTrue();
            assertThat(request.pathAndQuery()).isEqualTo("/v1/commands/c-1?waitMs=10");
        });
    }

    @Test
    void acceptedCommandsLinkToTheirStatus() {
        fixture.run(client -> {
            final Response response = client.post(ACME_KEY, "/v1/partners/acme/credits",
                    "{\"amountMinor\":1,\"currency\":\"EUR\"}", Map.of("Idempotency-Key", "k-7"));

            assertThat(response.code()).isEqualTo(202);
            assertThat(client.body(response).get("links").get("status").asText()).isEqualTo("/v1/commands/k-7");
        });
    }

    private static PaymentEvent rejected(final String commandId, final String partnerId) {
        return PaymentEvent.newBuilder().setCommandId(commandId).setPartnerId(partnerId)
                .setType(PaymentEventType.DEBIT).setOutcome(Outcome.REJECTED)
                .setReason(RejectionReason.INSUFFICIENT_FUNDS).setAmount(new Money(900L, "EUR"))
                .setBalanceAfter(new BalanceSnapshot("EUR", 100L, 0L)).setProcessedAt(Instant.EPOCH).build();
    }
}
