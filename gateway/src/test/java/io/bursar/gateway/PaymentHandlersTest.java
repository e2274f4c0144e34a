package io.bursar.gateway;

import static io.bursar.gateway.GatewayClient.assertRetryLater;
import static io.bursar.gateway.GatewayFixture.ACME_KEY;
import static io.bursar.gateway.GatewayFixture.ADMIN_KEY;
import static io.bursar.gateway.GatewayFixture.GLOBEX_KEY;
import static io.bursar.gateway.GatewayFixture.assertReadAs;
import static io.bursar.gateway.GatewayFixture.idempotencyKey;
import static io.bursar.gateway.GatewayFixture.payment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import io.bursar.queries.PeerForwarder;
import io.bursar.queries.Read;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentMethod;
import io.bursar.schemas.payments.PaymentStatus;
import io.bursar.schemas.payments.RefundPayment;
import io.bursar.schemas.payments.RefundPaymentKind;
import io.bursar.schemas.payments.RequestPayment;
import io.bursar.schemas.payments.RequestPaymentKind;
import io.bursar.schemas.payments.RetryPayment;
import io.bursar.schemas.payments.RetryPaymentKind;
import io.javalin.testtools.Response;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The payment command routes: what reaches the publisher, the validation matrix, partner scope, refunds. */
class PaymentHandlersTest {

    private static final String BALANCE = "{\"partnerId\":\"acme\",\"amountMinor\":1500,\"currency\":\"EUR\","
            + "\"method\":\"BALANCE\"}";

    private final GatewayFixture fixture = new GatewayFixture();

    @Test
    void aBalancePaymentIsPublishedAsRequestPaymentOfItsPartner() {
        fixture.run(client -> {
            final JsonNode body = client.body(client.post(ACME_KEY, "/v1/payments", "{\"paymentId\":\"pay-1\","
                    + "\"partnerId\":\"acme\",\"amountMinor\":1500,\"currency\":\"EUR\",\"method\":\"BALANCE\","
                    + "\"orderId\":\"order-9\"}", idempotencyKey("key-1")), 202);

            assertThat(body.get("commandId").asText()).isEqualTo("key-1");
            assertThat(body.get("paymentId").asText()).isEqualTo("pay-1");
            assertThat(body.get("links").get("status").asText()).isEqualTo("/v1/commands/key-1");
            assertThat(body.get("links").get("payment").asText()).isEqualTo("/v1/payments/pay-1");
            assertThat(body.get("links").get("refund").asText()).isEqualTo("/v1/partners/acme/payments/pay-1/refund");
            assertThat(fixture.published).singleElement().satisfies(command -> {
                assertThat(command.getCommandId()).isEqualTo("key-1");
                assertThat(command.getPartnerId()).isEqualTo("acme");
                assertThat(command.getIssuedAt()).isNotNull();
                final RequestPayment request = (RequestPayment) command.getPayload();
                assertThat(request.getPaymentId()).isEqualTo("pay-1");
                assertThat(request.getAmount().getAmountMinor()).isEqualTo(1_500);
                assertThat(request.getAmount().getCurrency()).isEqualTo("EUR");
                assertThat(request.getMethod()).isEqualTo(PaymentMethod.BALANCE);
                assertThat(request.getProviderId()).isNull();
                assertThat(request.getOrderId()).isEqualTo("order-9");
            });
        });
    }

    @Test
    void aProviderPaymentCarriesItsProvider() {
        fixture.run(client -> {
            final Response response = client.post(ADMIN_KEY, "/v1/payments", "{\"paymentId\":\"pay-2\","
                    + "\"partnerId\":\"globex\",\"amountMinor\":9223372036854775807,\"currency\":\"JPY\","
                    + "\"method\":\"PROVIDER\",\"providerId\":\"stripe_eu-1\"}", idempotencyKey("key-2"));

            assertThat(response.code()).isEqualTo(202);
            assertThat(fixture.published).singleElement().satisfies(command -> {
                assertThat(command.getCommandId()).isEqualTo("key-2");
                assertThat(command.getPartnerId()).isEqualTo("globex");
                final RequestPayment request = (RequestPayment) command.getPayload();
                assertThat(request.getPaymentId()).isEqualTo("pay-2");
                assertThat(request.getAmount().getAmountMinor()).isEqualTo(Long.MAX_VALUE);
                assertThat(request.getAmount().getCurrency()).isEqualTo("JPY");
                assertThat(request.getMethod()).isEqualTo(PaymentMethod.PROVIDER);
                assertThat(request.getProviderId()).isEqualTo("stripe_eu-1");
                assertThat(request.getOrderId()).isNull();
            });
        });
    }

    @Test
    void withoutAPaymentIdTheCommandIdNamesThePaymentSoARetryAsksForTheSamePayment() {
        fixture.run(client -> {
            final Response first = client.post(ACME_KEY, "/v1/payments", BALANCE, idempotencyKey("key-3"));
            final Response retry = client.post(ACME_KEY, "/v1/payments", BALANCE, idempotencyKey("key-3"));
            final Response keyless = client.post(ACME_KEY, "/v1/payments", BALANCE);

            assertThat(client.body(first).get("paymentId").asText()).isEqualTo("key-3");
            assertThat(client.body(retry).get("paymentId").asText()).isEqualTo("key-3");
            final JsonNode fresh = client.body(keyless);
            assertThat(fresh.get("paymentId").asText()).isEqualTo(fresh.get("commandId").asText())
                    .isNotEqualTo("key-3");
            assertThat(fixture.published).hasSize(3);
            // The processor, not the gateway, recognises the retry by its commandId.
            assertThat(fixture.published.subList(0, 2)).extracting(PaymentCommand::getCommandId,
                    PaymentCommand::getPartnerId, PaymentCommand::getPayload).containsOnly(
                    tuple("key-3", "acme", new RequestPayment(RequestPaymentKind.REQUEST_PAYMENT, "key-3", new Money(1_500L, "EUR"), PaymentMethod.BALANCE,
                            null, null, null)));
            assertThat(((RequestPayment) fixture.published.get(2).getPayload()).getPaymentId())
                    .isEqualTo(fixture.published.get(2).getCommandId());
        });
    }

    @Test
    void everyMissingOrUnknownFieldIsReportedAndNothingIsPublished() {
        fixture.run(client -> {
            final Response empty = client.post(ADMIN_KEY, "/v1/payments", "{}");
            assertThat(empty.code()).isEqualTo(400);
            assertThat(client.fields(empty)).containsOnlyKeys("partnerId", "amountMinor", "currency", "method")
                    .allSatisfy((field, message) -> assertThat(message).isEqualTo("required"));

            final Response none = client.post(ADMIN_KEY, "/v1/payments", "");
            assertThat(client.fields(none)).containsOnlyKeys("partnerId", "amountMinor", "currency", "method");

            final Response unknown = client.post(ADMIN_KEY, "/v1/payments",
                    BALANCE.replace("}", ",\"colour\":\"red\"}"));
            assertThat(client.fields(unknown)).containsExactly(Map.entry("colour", "unknown field"));
            assertThat(fixture.published).isEmpty();
        });
    }

    @Test
    void theMethodMustBeBalanceOrProviderWithAProviderExactlyForProvider() {
        fixture.run(client -> {
            for (final String method : List.of("\"CARD\"", "\"balance\"", "\"UNKNOWN\"", "\"\"", "1", "null")) {
                final Response response = client.post(ADMIN_KEY, "/v1/payments",
                        BALANCE.replace("\"BALANCE\"", method));
                assertThat(response.code()).as(method).isEqualTo(400);
                assertThat(client.fields(response)).as(method).containsOnlyKeys("method");
            }
            assertThat(client.fields(client.post(ADMIN_KEY, "/v1/payments",
                    BALANCE.replace("\"BALANCE\"", "\"PROVIDER\""))))
                    .containsExactly(Map.entry("providerId", "required with method PROVIDER"));
            assertThat(client.fields(client.post(ADMIN_KEY, "/v1/payments",
                    BALANCE.replace("}", ",\"providerId\":\"stripe\"}"))))
                    .containsExactly(Map.entry("providerId", "not allowed with method BALANCE"));
            assertThat(fixture.published).isEmpty();
        });
    }

    @Test
    void providerIdsFollowTheConnectorsRule() {
        final String provider = BALANCE.replace("\"BALANCE\"", "\"PROVIDER\"").replace("}", ",\"providerId\":%s}");
        fixture.run(client -> {
            for (final String providerId : List.of("\"Stripe\"", "\"-stripe\"", "\"_stripe\"", "\"\"",
                    "\"strip e\"", "\"stripe.eu\"", "\"" + "a".repeat(64) + "\"", "12")) {
                final Response response = client.post(ADMIN_KEY, "/v1/payments", provider.formatted(providerId));
                assertThat(response.code()).as(providerId).isEqualTo(400);
                assertThat(client.fields(response)).as(providerId).containsOnlyKeys("providerId");
            }
            // A method that is itself wrong still gets its provider checked.
            final Response both = client.post(ADMIN_KEY, "/v1/payments",
                    provider.replace("\"PROVIDER\"", "\"CARD\"").formatted("\"Stripe\""));
            assertThat(client.fields(both)).containsOnlyKeys("method", "providerId");
            assertThat(fixture.published).isEmpty();

            assertThat(client.post(ADMIN_KEY, "/v1/payments", provider.formatted("\"" + "a".repeat(63) + "\"")).code())
                    .isEqualTo(202);
            assertThat(client.post(ADMIN_KEY, "/v1/payments", provider.formatted("\"0-pay_x\"")).code()).isEqualTo(202);
        });
    }

    @Test
    void amountsThatAreNotPositive64BitIntegersAndUnknownCurrenciesAreRejected() {
        fixture.run(client -> {
            for (final String amount : List.of("0", "-1", "1.5", "\"10\"", "92233720368547758070", "1e3", "null")) {
                final Response response = client.post(ADMIN_KEY, "/v1/payments", BALANCE.replace("1500", amount));
                assertThat(response.code()).as(amount).isEqualTo(400);
                assertThat(client.fields(response)).as(amount).containsOnlyKeys("amountMinor");
            }
            for (final String currency : List.of("\"eur\"", "\"ABC\"", "\"\"", "12")) {
                final Response response = client.post(ADMIN_KEY, "/v1/payments",
                        BALANCE.replace("\"EUR\"", currency));
                assertThat(client.fields(response)).as(currency).containsOnlyKeys("currency");
            }
            assertThat(fixture.published).isEmpty();
        });
    }

    @Test
    void badIdsAnywhereAreRejected() {
        fixture.run(client -> {
            for (final String field : List.of("paymentId", "orderId")) {
                for (final String id : List.of("\"pay 1\"", "\"\"", "\"" + "x".repeat(129) + "\"", "\"pay/1\"", "7")) {
                    final Response response = client.post(ADMIN_KEY, "/v1/payments",
                            BALANCE.replace("}", ",\"" + field + "\":" + id + "}"));
                    assertThat(response.code()).as(field + id).isEqualTo(400);
                    assertThat(client.fields(response)).as(field + id).containsOnlyKeys(field);
                }
            }
            assertThat(client.fields(client.post(ADMIN_KEY, "/v1/payments", BALANCE.replace("\"acme\"", "\"ac me\""))))
                    .containsOnlyKeys("partnerId");
            assertThat(client.fields(client.post(ADMIN_KEY, "/v1/payments", BALANCE, idempotencyKey("bad key!"))))
                    .containsOnlyKeys(CommandSubmitter.IDEMPOTENCY_KEY);
            assertThat(client.fields(client.post(ADMIN_KEY, "/v1/payments", "{\"partnerId\":")))
                    .containsOnlyKeys("$");
            assertThat(client.fields(client.post(ADMIN_KEY, "/v1/payments", "[1,2]"))).containsOnlyKeys("$");
            assertThat(client.post(ADMIN_KEY, "/v1/payments/pay%201/refund", "").code()).isEqualTo(400);
            assertThat(client.post(ADMIN_KEY, "/v1/payments/pay-1/refund", "", idempotencyKey("bad key!")).code())
                    .isEqualTo(400);
            assertThat(fixture.published).isEmpty();
        });
    }

    @Test
    void aPartnerKeyPayingForAnotherPartnerIsRefusedLikeAnyOtherPartnersResource() {
        fixture.run(client -> {
            final Response asPath = client.post(ACME_KEY, "/v1/partners/globex/credits",
                    "{\"amountMinor\":1,\"currency\":\"EUR\"}");
            final Response refused = client.post(ACME_KEY, "/v1/payments", BALANCE.replace("\"acme\"", "\"globex\""));
            // Refused before the other fields are judged: an invalid body gives no hint either.
            final Response invalid = client.post(ACME_KEY, "/v1/payments",
                    "{\"partnerId\":\"globex\",\"amountMinor\":-1,\"colour\":1}");

            assertThat(refused.code()).isEqualTo(404).isEqualTo(asPath.code()).isEqualTo(invalid.code());
            final String body = refused.body().string();
            assertThat(body).isEqualTo(asPath.body().string()).isEqualTo(invalid.body().string());
            assertThat(fixture.published).isEmpty();

            assertThat(client.post(GLOBEX_KEY, "/v1/payments", BALANCE.replace("\"acme\"", "\"globex\"")).code())
                    .isEqualTo(202);
            assertThat(client.post(ADMIN_KEY, "/v1/payments", BALANCE.replace("\"acme\"", "\"initech\"")).code())
                    .isEqualTo(202);
            assertThat(fixture.published).extracting(PaymentCommand::getPartnerId).containsExactly("globex", "initech");
        });
    }

    @Test
    void aRefundOfAVisiblePaymentIsPublishedToThePaymentsPartner() {
        fixture.payments.put("pay-1", new Read.Found<>(payment("pay-1", "acme", PaymentStatus.SUCCEEDED)));
        fixture.run(client -> {
            final Response response = client.post(ACME_KEY, "/v1/payments/pay-1/refund", "", idempotencyKey("r-1"));

            assertThat(response.code()).isEqualTo(202);
            final JsonNode body = client.body(response);
            assertThat(body.get("commandId").asText()).isEqualTo("r-1");
            assertThat(body.get("paymentId").asText()).isEqualTo("pay-1");
            assertThat(body.get("links").get("status").asText()).isEqualTo("/v1/commands/r-1");
            assertThat(body.get("links").get("payment").asText()).isEqualTo("/v1/payments/pay-1");
            assertThat(fixture.published).singleElement().satisfies(command -> {
                assertThat(command.getCommandId()).isEqualTo("r-1");
                assertThat(command.getPartnerId()).isEqualTo("acme");
                assertThat(command.getPayload()).isEqualTo(new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", null));
            });
            // The payment was looked up as its read route, without waiting, with the caller's credentials.
            assertReadAs(fixture.lastReadRequest(), "/v1/payments/pay-1", ACME_KEY);
            assertThat(fixture.lastReadWait()).isEqualTo(Duration.ZERO);

            assertThat(client.post(ADMIN_KEY, "/v1/payments/pay-1/refund", "{}").code()).isEqualTo(202);
            assertThat(fixture.published).extracting(PaymentCommand::getPartnerId).containsExactly("acme", "acme");
        });
    }

    @Test
    void aRefundOrRetryUnderItsPartnerIsPublishedAtOnceWithoutALookup() {
        fixture.run(client -> {
            // Nothing is visible yet: a refund right after the request goes straight to the partner.
            final Response refund = client.post(ACME_KEY, "/v1/partners/acme/payments/pay-1/refund", "",
                    idempotencyKey("r-1"));
            final Response retry = client.post(ADMIN_KEY, "/v1/partners/acme/payments/pay-1/retry", "{}",
                    idempotencyKey("t-1"));

            assertThat(refund.code()).isEqualTo(202);
            assertThat(retry.code()).isEqualTo(202);
            assertThat(client.body(refund).get("links").get("payment").asText()).isEqualTo("/v1/payments/pay-1");
            assertThat(fixture.published).extracting(PaymentCommand::getCommandId, PaymentCommand::getPartnerId,
                    PaymentCommand::getPayload).containsExactly(
                    tuple("r-1", "acme", new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-1", null)),
                    tuple("t-1", "acme", new RetryPayment(RetryPaymentKind.RETRY_PAYMENT, "pay-1")));
            assertThat(fixture.readRequests).as("nothing read first").isEmpty();

            assertThat(client.post(GLOBEX_KEY, "/v1/partners/acme/payments/pay-1/refund", "").code()).isEqualTo(404);
            assertThat(client.post(ACME_KEY, "/v1/partners/acme/payments/pay-1/retry", "").code()).isEqualTo(403);
            assertThat(client.post(ACME_KEY, "/v1/partners/acme/payments/pay%201/refund", "").code()).isEqualTo(400);
            assertThat(client.post(ACME_KEY, "/v1/partners/acme/payments/pay-1/refund", "{\"x\":1}").code())
                    .isEqualTo(400);
            assertThat(fixture.published).hasSize(2);
        });
    }

    @Test
    void anAdminRetryOfAPaymentIsPublishedToItsPartnerAndAPartnerMayNotRetry() {
        fixture.payments.put("pay-1", new Read.Found<>(payment("pay-1", "acme", PaymentStatus.DEAD_LETTERED)));
        fixture.run(client -> {
            final Response refused = client.post(ACME_KEY, "/v1/payments/pay-1/retry", "");
            final Response response = client.post(ADMIN_KEY, "/v1/payments/pay-1/retry", "", idempotencyKey("t-1"));

            assertThat(refused.code()).isEqualTo(403);
            assertThat(response.code()).isEqualTo(202);
            assertThat(client.body(response).get("links").get("status").asText()).isEqualTo("/v1/commands/t-1");
            assertThat(fixture.published).singleElement().satisfies(command -> {
                assertThat(command.getCommandId()).isEqualTo("t-1");
                assertThat(command.getPartnerId()).isEqualTo("acme");
                assertThat(command.getPayload()).isEqualTo(new RetryPayment(RetryPaymentKind.RETRY_PAYMENT, "pay-1"));
            });
            assertThat(client.post(ADMIN_KEY, "/v1/payments/pay-2/retry", "").code()).isEqualTo(404);
            assertThat(client.post(ADMIN_KEY, "/v1/payments/pay-1/retry", "{\"now\":true}").code()).isEqualTo(400);
            assertThat(fixture.published).hasSize(1);
        });
    }

    @Test
    void whetherAPaymentCanBeRefundedIsTheProcessorsDecision() {
        fixture.payments.put("pay-1", new Read.Found<>(payment("pay-1", "acme", PaymentStatus.QUEUED)));
        fixture.run(client -> {
            assertThat(client.post(ACME_KEY, "/v1/payments/pay-1/refund", "").code()).isEqualTo(202);
            assertThat(fixture.published).singleElement()
                    .satisfies(command -> assertThat(command.getPayload()).isInstanceOf(RefundPayment.class));
        });
    }

    @Test
    void aRefundOfAnUnknownOrAnotherPartnersPaymentIs404AndNothingIsPublished() {
        fixture.payments.put("pay-1", new Read.Found<>(payment("pay-1", "acme", PaymentStatus.SUCCEEDED)));
        fixture.run(client -> {
            final Response unknown = client.post(ADMIN_KEY, "/v1/payments/pay-2/refund", "");
            final Response refused = client.post(GLOBEX_KEY, "/v1/payments/pay-1/refund", "");

            assertThat(unknown.code()).isEqualTo(404).isEqualTo(refused.code());
            assertThat(refused.body().string()).isEqualTo(unknown.body().string().replace("pay-2", "pay-1"))
                    .isEqualTo("{\"error\":\"payment pay-1 not found\"}");
            assertThat(client.post(ACME_KEY, "/v1/payments/pay-1/refund", "{\"reason\":\"x\"}").code()).isEqualTo(400);
            assertThat(fixture.published).isEmpty();
        });
    }

    @Test
    void aRefundOfAPaymentOwnedElsewhereReadsThePartnerFromTheOwnersAnswer() {
        fixture.relayed.put("pay-9", new PeerForwarder.Answer(200,
                "{\"paymentId\":\"pay-9\",\"partnerId\":\"acme\",\"status\":\"SUCCEEDED\"}", Map.of()));
        fixture.relayed.put("pay-gone", new PeerForwarder.Answer(404, "{\"error\":\"payment pay-gone not found\"}",
                Map.of()));
        fixture.relayed.put("pay-odd", new PeerForwarder.Answer(200, "{\"paymentId\":\"pay-odd\"}", Map.of()));
        fixture.relayed.put("pay-broken", new PeerForwarder.Answer(500, "{\"error\":\"internal error\"}", Map.of()));
        fixture.run(client -> {
            assertThat(client.post(ACME_KEY, "/v1/payments/pay-9/refund", "").code()).isEqualTo(202);
            assertThat(fixture.published).singleElement().satisfies(command -> {
                assertThat(command.getPartnerId()).isEqualTo("acme");
                assertThat(command.getPayload()).isEqualTo(new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, "pay-9", null));
            });

            assertThat(client.post(GLOBEX_KEY, "/v1/payments/pay-9/refund", "").code()).isEqualTo(404);
            assertThat(client.post(ACME_KEY, "/v1/payments/pay-gone/refund", "").code()).isEqualTo(404);
            for (final String paymentId : List.of("pay-odd", "pay-broken")) {
                assertRetryLater(client.post(ADMIN_KEY, "/v1/payments/" + paymentId + "/refund", ""), paymentId);
            }
            assertThat(fixture.published).hasSize(1);
        });
    }

    @Test
    void unavailableReadsAndKafkaAre503WithRetryAfter() {
        fixture.payments.put("pay-1", new Read.Unavailable<>("rebalancing"));
        fixture.run(client -> {
            assertRetryLater(client.post(ADMIN_KEY, "/v1/payments/pay-1/refund", ""), "lookup");
            assertThat(fixture.published).isEmpty();

            fixture.kafkaDown = true;
            assertRetryLater(client.post(ADMIN_KEY, "/v1/payments", BALANCE), "publish");
        });
    }

    @Test
    void withoutAKeyPaymentRoutesAre401() {
        fixture.payments.put("pay-1", new Read.Found<>(payment("pay-1", "acme", PaymentStatus.SUCCEEDED)));
        fixture.run(client -> {
            assertThat(client.post(null, "/v1/payments", BALANCE).code()).isEqualTo(401);
            assertThat(client.post(null, "/v1/payments/pay-1/refund", "").code()).isEqualTo(401);
            assertThat(client.get(null, "/v1/payments/pay-1").code()).isEqualTo(401);
            assertThat(fixture.published).isEmpty();
        });
    }

    @Test
    void oversizedBodyIsRefused() {
        fixture.run(client -> {
            final String big = BALANCE.replace("}", ",\"orderId\":\"" + "x".repeat(2_000) + "\"}");
            assertThat(client.post(ADMIN_KEY, "/v1/payments", big).code()).isEqualTo(413);
            assertThat(fixture.published).isEmpty();
        });
    }
}
