package io.bursar.gateway;

import static io.bursar.gateway.GatewayClient.assertPassedOn;
import static io.bursar.gateway.GatewayFixture.ACME_KEY;
import static io.bursar.gateway.GatewayFixture.ADMIN_KEY;
import static io.bursar.gateway.GatewayFixture.GLOBEX_KEY;
import static io.bursar.gateway.GatewayFixture.idempotencyKey;
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
import io.bursar.schemas.payments.PaymentStatus;
import io.bursar.schemas.payments.RejectionReason;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import io.javalin.testtools.Response;
import org.junit.jupiter.api.Test;

/** The read routes: command outcomes and payments with long-poll, standby answers, how routing headers travel. */
class ReadHandlersTest {

    private final GatewayFixture fixture = new GatewayFixture();

    @Test
    void aCommandOutcomeIsReadWithItsReasonAndBalanceAfter() {
        fixture.outcomes.put("c-1", new Read.Found<>(rejected("c-1", "acme")));
        fixture.run(client -> {
            final JsonNode body = client.body(client.get(ACME_KEY, "/v1/commands/c-1"), 200);
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
            client.notFoundAlike(GLOBEX_KEY, "/v1/commands/", "c-1", "c-2");
            assertThat(client.get(ADMIN_KEY, "/v1/commands/c-1").code()).isEqualTo(200);
        });
    }

    @Test
    void waitMsIsPassedOnAndCapped() {
        fixture.run(client -> {
            assertThat(client.get(ADMIN_KEY, "/v1/commands/c-9?waitMs=1500").code()).isEqualTo(404);
            assertThat(fixture.lastReadWait()).isEqualTo(Duration.ofMillis(1_500));

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
            var request = fixture.lastReadRequest();
            assertThat(request.forwarded()).isTrue();
            assertThat(request.standbyRequested()).isFalse();
            assertThat(request.pathAndQuery()).isEqualTo("/v1/partners/acme/balance");
            assertThat(request.passHeaders()).containsEntry("Authorization", "Bearer " + ADMIN_KEY);

            client.get(ADMIN_KEY, "/v1/commands/c-1?waitMs=10", Map.of(PeerForwarder.STANDBY_HEADER, "1"));
            request = fixture.lastReadRequest();
            assertThat(request.standbyRequested()).isTrue();
            assertThat(request.pathAndQuery()).isEqualTo("/v1/commands/c-1?waitMs=10");
        });
    }

    @Test
    void acceptedCommandsLinkToTheirStatus() {
        fixture.run(client -> {
            final Response response = client.post(ACME_KEY, "/v1/partners/acme/credits",
                    "{\"amountMinor\":1,\"currency\":\"EUR\"}", idempotencyKey("k-7"));

            assertThat(response.code()).isEqualTo(202);
            assertThat(client.body(response).get("links").get("status").asText()).isEqualTo("/v1/commands/k-7");
        });
    }

    @Test
    void aPaymentIsReadWithEveryField() {
        fixture.payments.put("pay-1", new Read.Found<>(GatewayFixture.payment("pay-1", "acme", PaymentStatus.SUCCEEDED)));
        fixture.run(client -> {
            final JsonNode body = client.body(client.get(ACME_KEY, "/v1/payments/pay-1"), 200);
            assertThat(body.get("paymentId").asText()).isEqualTo("pay-1");
            assertThat(body.get("partnerId").asText()).isEqualTo("acme");
            assertThat(body.get("commandId").asText()).isEqualTo("cmd-pay-1");
            assertThat(body.get("method").asText()).isEqualTo("PROVIDER");
            assertThat(body.get("providerId").asText()).isEqualTo("stripe");
            assertThat(body.get("orderId").asText()).isEqualTo("order-7");
            assertThat(body.get("amountMinor").asLong()).isEqualTo(1_500);
            assertThat(body.get("currency").asText()).isEqualTo("EUR");
            assertThat(body.get("status").asText()).isEqualTo("SUCCEEDED");
            assertThat(body.get("terminal").asBoolean()).isTrue();
            assertThat(body.get("attempts").asInt()).isEqualTo(2);
            assertThat(body.get("providerReference").asText()).isEqualTo("ch_123");
            assertThat(body.get("failureReason").isNull()).isTrue();
            assertThat(body.get("refundCommandId").isNull()).isTrue();
            assertThat(body.get("refundedMinor").asLong()).isZero();
            assertThat(body.get("retries").asInt()).isZero();
            assertThat(body.get("createdAt").asText()).isEqualTo("2026-01-02T03:04:05Z");
            assertThat(body.get("updatedAt").asText()).isEqualTo("2026-01-02T03:04:06.789Z");
            assertThat(body.size()).isEqualTo(18);
        });
    }

    @Test
    void everyStatusSaysWhetherItIsFinal() {
        fixture.run(client -> {
            for (final PaymentStatus status : PaymentStatus.values()) {
                fixture.payments.put("pay-1", new Read.Found<>(GatewayFixture.payment("pay-1", "acme", status)));
                final JsonNode body = client.body(client.get(ADMIN_KEY, "/v1/payments/pay-1"));
                assertThat(body.get("status").asText()).isEqualTo(status.name());
                assertThat(body.get("terminal").asBoolean()).as(status.name()).isEqualTo(switch (status) {
                    case SUCCEEDED, FAILED, DEAD_LETTERED, REFUNDED, REFUND_FAILED -> true;
                    default -> false;
                });
            }
        });
    }

    @Test
    void anotherPartnersPaymentAnswersLikeAnUnknownOne() {
        fixture.payments.put("pay-1", new Read.Found<>(GatewayFixture.payment("pay-1", "acme", PaymentStatus.QUEUED)));
        fixture.run(client -> {
            client.notFoundAlike(GLOBEX_KEY, "/v1/payments/", "pay-1", "pay-2");
            assertThat(client.get(ADMIN_KEY, "/v1/payments/pay-1").code()).isEqualTo(200);
            assertThat(client.get(ADMIN_KEY, "/v1/payments/pay%201").code()).isEqualTo(400);
        });
    }

    @Test
    void aPaymentLongPollPassesItsWaitOnWithTheSameCapAsCommands() {
        fixture.run(client -> {
            fixture.assertWaitPassedOnAndCapped(client, "/v1/payments/pay-9");
        });
    }

    @Test
    void aPaymentOwnedElsewhereIsPassedOnAsTheOwnerAnswered() {
        fixture.relayed.put("pay-9", new PeerForwarder.Answer(200, "{\"paymentId\":\"pay-9\"}",
                Map.of(PeerForwarder.STANDBY_LAG_HEADER, "3")));
        fixture.run(client -> {
            assertPassedOn(client.get(ACME_KEY, "/v1/payments/pay-9?waitMs=100"), "{\"paymentId\":\"pay-9\"}", "3");
        });
    }

    @Test
    void aPaymentCommandsOutcomeShowsThePaymentAsTheCommandLeftIt() {
        final PaymentEvent requested = PaymentEvent.newBuilder().setCommandId("c-3").setPartnerId("acme")
                .setType(PaymentEventType.REQUEST_PAYMENT).setOutcome(Outcome.ACCEPTED)
                .setAmount(new Money(1_500L, "EUR"))
                .setPayment(GatewayFixture.payment("pay-3", "acme", PaymentStatus.QUEUED))
                .setProcessedAt(Instant.EPOCH).build();
        fixture.outcomes.put("c-3", new Read.Found<>(requested));
        fixture.outcomes.put("c-1", new Read.Found<>(rejected("c-1", "acme")));
        fixture.run(client -> {
            final JsonNode body = client.body(client.get(ACME_KEY, "/v1/commands/c-3"));
            assertThat(body.get("type").asText()).isEqualTo("REQUEST_PAYMENT");
            assertThat(body.get("payment").get("paymentId").asText()).isEqualTo("pay-3");
            assertThat(body.get("payment").get("status").asText()).isEqualTo("QUEUED");
            assertThat(body.get("payment").get("terminal").asBoolean()).isFalse();

            assertThat(client.body(client.get(ACME_KEY, "/v1/commands/c-1")).get("payment").isNull()).isTrue();
        });
    }

    private static PaymentEvent rejected(final String commandId, final String partnerId) {
        return PaymentEvent.newBuilder().setCommandId(commandId).setPartnerId(partnerId)
                .setType(PaymentEventType.DEBIT).setOutcome(Outcome.REJECTED)
                .setReason(RejectionReason.INSUFFICIENT_FUNDS).setAmount(new Money(900L, "EUR"))
                .setBalanceAfter(new BalanceSnapshot("EUR", 100L, 0L)).setProcessedAt(Instant.EPOCH).build();
    }
}
