package io.bursar.gateway;

import static io.bursar.gateway.GatewayClient.assertPassedOn;
import static io.bursar.gateway.GatewayClient.assertRetryLater;
import static io.bursar.gateway.GatewayFixture.ACME_KEY;
import static io.bursar.gateway.GatewayFixture.ADMIN_KEY;
import static io.bursar.gateway.GatewayFixture.GLOBEX_KEY;
import static io.bursar.gateway.GatewayFixture.order;
import static io.bursar.gateway.GatewayFixture.view;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import io.bursar.queries.OwnerRouter;
import io.bursar.queries.PeerForwarder;
import io.bursar.queries.Read;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderStatus;
import io.bursar.schemas.orders.OrderView;
import io.bursar.schemas.orders.ParentOrderView;
import io.bursar.schemas.payments.PaymentStatus;
import io.javalin.testtools.Response;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Order reads: one order with its batches (long-poll until final), and the sub-orders of a parent. */
class OrderReadsTest {

    private final GatewayFixture fixture = new GatewayFixture();

    @Test
    void anOrderIsReadWithItsCombinedStatusAndEveryBatch() {
        final Order first = order("o-1", 0, 2, "books", "acme", OrderStatus.PLACED);
        first.setParentOrderId("p-1");
        first.setPaymentStatus(PaymentStatus.SUCCEEDED);
        final Order second = order("o-1", 1, 2, "books", "acme", OrderStatus.PAID);
        second.setParentOrderId("p-1");
        fixture.orders.put("o-1", new Read.Found<>(view(second, first)));
        fixture.run(client -> {
            final JsonNode body = client.body(client.get(ACME_KEY, "/v1/orders/o-1"), 200);
            assertThat(body.get("orderId").asText()).isEqualTo("o-1");
            assertThat(body.get("parentOrderId").asText()).isEqualTo("p-1");
            assertThat(body.get("categoryId").asText()).isEqualTo("books");
            assertThat(body.get("partnerId").asText()).isEqualTo("acme");
            assertThat(body.get("customerId").asText()).isEqualTo("cust-1");
            assertThat(body.get("status").asText()).isEqualTo("PAID");
            assertThat(body.get("terminal").asBoolean()).isFalse();
            assertThat(body.get("batchCount").asInt()).isEqualTo(2);
            assertThat(body.get("amountMinor").asLong()).isEqualTo(1_000);
            assertThat(body.get("currency").asText()).isEqualTo("EUR");
            assertThat(body.get("paymentMethod").asText()).isEqualTo("PROVIDER");
            assertThat(body.get("providerId").asText()).isEqualTo("stripe");
            assertThat(body.get("placeOnPayment").asBoolean()).isTrue();
            assertThat(body.get("createdAt").asText()).isEqualTo("2026-01-02T03:04:05Z");
            assertThat(body.get("updatedAt").asText()).isEqualTo("2026-01-02T03:04:01Z");
            assertThat(body.get("batches")).hasSize(2);
            final JsonNode batch = body.get("batches").get(0);
            assertThat(batch.get("batch").asInt()).isZero();
            assertThat(batch.get("status").asText()).isEqualTo("PLACED");
            assertThat(batch.get("terminal").asBoolean()).isFalse();
            assertThat(batch.get("amountMinor").asLong()).isEqualTo(500);
            assertThat(batch.get("currency").asText()).isEqualTo("EUR");
            assertThat(batch.get("paymentId").asText()).isEqualTo("pay-o-1");
            assertThat(batch.get("paymentStatus").asText()).isEqualTo("SUCCEEDED");
            assertThat(batch.get("refundRequested").asBoolean()).isFalse();
            assertThat(batch.get("expiresAt").asText()).isEqualTo("2026-01-02T03:14:05Z");
            assertThat(batch.get("reason").isNull()).isTrue();
            assertThat(batch.get("lines")).singleElement().satisfies(line -> {
                assertThat(line.get("itemId").asText()).isEqualTo("i-0");
                assertThat(line.get("requested").asLong()).isEqualTo(2);
                assertThat(line.get("held").asLong()).isEqualTo(2);
                assertThat(line.get("unitPriceMinor").asLong()).isEqualTo(250);
                assertThat(line.get("currency").asText()).isEqualTo("EUR");
            });
            assertThat(body.get("batches").get(1).get("status").asText()).isEqualTo("PAID");
            assertThat(body.get("batches").get(1).get("paymentStatus").isNull()).isTrue();
        });
    }

    @Test
    void batchesInDifferentCurrenciesHaveNoSum() {
        final Order yen = order("o-1", 1, 2, "books", "acme", OrderStatus.CANCELLED);
        yen.setAmount(new Money(70L, "JPY"));
        fixture.orders.put("o-1", new Read.Found<>(view(order("o-1", 0, 2, "books", "acme", OrderStatus.COMPLETED),
                yen)));
        fixture.run(client -> {
            final JsonNode body = client.body(client.get(ADMIN_KEY, "/v1/orders/o-1"));
            assertThat(body.get("amountMinor").isNull()).isTrue();
            assertThat(body.get("currency").isNull()).isTrue();
            assertThat(body.get("status").asText()).isEqualTo(OrderProgress.MIXED);
            assertThat(body.get("terminal").asBoolean()).isTrue();
        });
    }

    @Test
    void anotherPartnersOrderAnswersLikeAnUnknownOne() {
        fixture.orders.put("o-1", new Read.Found<>(view(order("o-1", 0, 1, "books", "acme", OrderStatus.PAID))));
        fixture.orders.put("o-empty", new Read.Found<>(new OrderView("o-empty", null, Map.of())));
        fixture.run(client -> {
            assertThat(client.notFoundAlike(GLOBEX_KEY, "/v1/orders/", "o-1", "o-2"))
                    .isEqualTo("{\"error\":\"order o-1 not found\"}");
            assertThat(client.get(ADMIN_KEY, "/v1/orders/o-1").code()).isEqualTo(200);
            assertThat(client.get(ADMIN_KEY, "/v1/orders/o-empty").code()).isEqualTo(404);
            assertThat(client.get(ADMIN_KEY, "/v1/orders/o%201").code()).isEqualTo(400);
            assertThat(client.get(null, "/v1/orders/o-1").code()).isEqualTo(401);
        });
    }

    @Test
    void anOrderLongPollPassesItsWaitOnWithTheSameCapAsOtherReads() {
        fixture.relayed.put("o-9", new PeerForwarder.Answer(200, "{\"orderId\":\"o-9\"}",
                Map.of(PeerForwarder.STANDBY_LAG_HEADER, "3")));
        fixture.run(client -> {
            fixture.assertWaitPassedOnAndCapped(client, "/v1/orders/o-8");

            assertPassedOn(client.get(ACME_KEY, "/v1/orders/o-9?waitMs=100"), "{\"orderId\":\"o-9\"}", "3");
        });
    }

    @Test
    void theSubOrdersOfAParentAreEachReadWhereTheyLive() {
        fixture.parents.put("p-1", new Read.Found<>(new ParentOrderView("p-1", List.of("p-1.books", "p-1.toys"))));
        final Order books = order("p-1.books", 0, 1, "books", "acme", OrderStatus.PAID);
        books.setParentOrderId("p-1");
        fixture.orders.put("p-1.books", new Read.Found<>(view(books)));
        fixture.relayed.put("p-1.toys", new PeerForwarder.Answer(200,
                "{\"orderId\":\"p-1.toys\",\"categoryId\":\"toys\",\"status\":\"PENDING\"}", Map.of()));
        fixture.run(client -> {
            final Response response = client.get(ACME_KEY, "/v1/orders?parentOrderId=p-1");

            assertThat(response.code()).isEqualTo(200);
            final JsonNode body = client.body(response);
            assertThat(body.get("parentOrderId").asText()).isEqualTo("p-1");
            assertThat(body.get("orders")).extracting(order -> order.get("orderId").asText(),
                    order -> order.get("status").asText())
                    .containsExactly(tuple("p-1.books", "PAID"),
                            tuple("p-1.toys", "PENDING"));
            assertThat(body.get("orders").get(0).get("batches")).hasSize(1);
            // The parent as the client asked; each sub-order as its own read, with the caller's credentials.
            assertThat(fixture.readRequests).extracting(OwnerRouter.Request::pathAndQuery).containsExactly(
                    "/v1/orders?parentOrderId=p-1", "/v1/orders/p-1.books", "/v1/orders/p-1.toys");
            assertThat(fixture.readRequests.get(2).passHeaders()).containsEntry("Authorization", "Bearer " + ACME_KEY);
        });
    }

    @Test
    void subOrdersTheCallerMayNotSeeAreLeftOutAndAParentWithNoneLeftIsUnknown() {
        fixture.parents.put("p-1", new Read.Found<>(new ParentOrderView("p-1", List.of("p-1.books", "p-1.gone",
                "p-1.toys"))));
        fixture.orders.put("p-1.books", new Read.Found<>(view(order("p-1.books", 0, 1, "books", "acme",
                OrderStatus.PAID))));
        fixture.relayed.put("p-1.toys", new PeerForwarder.Answer(404, "{\"error\":\"order p-1.toys not found\"}",
                Map.of()));
        fixture.run(client -> {
            assertThat(client.body(client.get(ACME_KEY, "/v1/orders?parentOrderId=p-1")).get("orders")).hasSize(1);

            assertThat(client.notFoundAlike(GLOBEX_KEY, "/v1/orders?parentOrderId=", "p-1", "p-2"))
                    .isEqualTo("{\"error\":\"parent order p-1 not found\"}");
        });
    }

    @Test
    void aParentReadNeedsAValidIdAndPassesOnWhatItsOwnerOrItsSubOrdersSay() {
        fixture.relayed.put("p-9", new PeerForwarder.Answer(200, "{\"parentOrderId\":\"p-9\",\"orders\":[]}", Map.of()));
        fixture.parents.put("p-1", new Read.Found<>(new ParentOrderView("p-1", List.of("p-1.books"))));
        fixture.orders.put("p-1.books", new Read.Unavailable<>("rebalancing"));
        fixture.parents.put("p-3", new Read.Found<>(new ParentOrderView("p-3", List.of("p-3.books"))));
        fixture.relayed.put("p-3.books", new PeerForwarder.Answer(500, "{\"error\":\"internal error\"}", Map.of()));
        fixture.run(client -> {
            assertThat(client.fields(client.get(ADMIN_KEY, "/v1/orders"))).containsExactly(
                    Map.entry("parentOrderId", "required"));
            assertThat(client.fields(client.get(ADMIN_KEY, "/v1/orders?parentOrderId=p%201")))
                    .containsOnlyKeys("parentOrderId");

            final Response relayed = client.get(ADMIN_KEY, "/v1/orders?parentOrderId=p-9");
            assertThat(relayed.code()).isEqualTo(200);
            assertThat(relayed.body().string()).isEqualTo("{\"parentOrderId\":\"p-9\",\"orders\":[]}");

            for (final String parent : List.of("p-1", "p-3")) {
                assertRetryLater(client.get(ADMIN_KEY, "/v1/orders?parentOrderId=" + parent), parent);
            }
            assertThat(client.get(null, "/v1/orders?parentOrderId=p-1").code()).isEqualTo(401);
        });
    }
}
