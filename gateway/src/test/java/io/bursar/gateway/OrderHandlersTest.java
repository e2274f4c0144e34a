package io.bursar.gateway;

import static io.bursar.gateway.GatewayClient.assertRetryLater;
import static io.bursar.gateway.GatewayFixture.ACME_KEY;
import static io.bursar.gateway.GatewayFixture.ADMIN_KEY;
import static io.bursar.gateway.GatewayFixture.GLOBEX_KEY;
import static io.bursar.gateway.GatewayFixture.assertReadAs;
import static io.bursar.gateway.GatewayFixture.idempotencyKey;
import static io.bursar.gateway.GatewayFixture.order;
import static io.bursar.gateway.GatewayFixture.view;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import io.bursar.queries.PeerForwarder;
import io.bursar.queries.Read;
import io.bursar.schemas.orders.CancelOrder;
import io.bursar.schemas.orders.CancelOrderKind;
import io.bursar.schemas.orders.CreateOrder;
import io.bursar.schemas.orders.CreateOrderKind;
import io.bursar.schemas.orders.OrderCommand;
import io.bursar.schemas.orders.OrderLine;
import io.bursar.schemas.orders.OrderStatus;
import io.bursar.schemas.orders.PlaceOrder;
import io.bursar.schemas.orders.PlaceOrderKind;
import io.bursar.schemas.payments.PaymentMethod;
import io.javalin.testtools.Response;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The order command routes: how an order is split (by category, by batch size) into the exact commands
 * published, the validation matrix, partner scope, and the look-up that cancels and places go through.
 */
class OrderHandlersTest {

    private static final String ORDER = "{\"customerId\":\"cust-1\",\"partnerId\":\"acme\","
            + "\"items\":[{\"itemId\":\"dune\",\"quantity\":2}],\"holdTtlMs\":30000,"
            + "\"payment\":{\"method\":\"BALANCE\"}}";

    private final GatewayFixture fixture = new GatewayFixture(Map.of(GatewayConfig.ORDER_BATCH_SIZE, "2"));

    @BeforeEach
    void catalogue() {
        fixture.catalogue("books", "dune", "emma", "odyssey");
        fixture.catalogue("toys", "kite", "yoyo");
    }

    @Test
    void anOrderOfOneCategoryIsOneCreateOrderKeyedByThatCategory() {
        fixture.run(client -> {
            final JsonNode body = client.body(client.post(ACME_KEY, "/v1/orders", "{\"orderId\":\"o-1\","
                    + "\"customerId\":\"cust-1\",\"partnerId\":\"acme\",\"items\":[{\"itemId\":\"dune\",\"quantity\":2},"
                    + "{\"itemId\":\"emma\",\"quantity\":1}],\"holdTtlMs\":30000,\"allowPartial\":true,"
                    + "\"payment\":{\"method\":\"PROVIDER\",\"providerId\":\"stripe\"},\"placeOnPayment\":false}",
                    idempotencyKey("k-1")), 202);

            assertThat(body.get("commandId").asText()).isEqualTo("k-1");
            assertThat(body.get("orderId").asText()).isEqualTo("o-1");
            assertThat(body.get("parentOrderId").isNull()).isTrue();
            assertThat(body.get("orders")).hasSize(1);
            assertThat(body.get("orders").get(0).get("orderId").asText()).isEqualTo("o-1");
            assertThat(body.get("orders").get(0).get("categoryId").asText()).isEqualTo("books");
            assertThat(body.get("orders").get(0).get("batches").asInt()).isEqualTo(1);
            assertThat(body.get("links").get("order").asText()).isEqualTo("/v1/orders/o-1");
            assertThat(fixture.publishedOrders).singleElement().satisfies(command -> {
                assertThat(command.getCommandId()).isEqualTo("k-1");
                assertThat(command.getCategoryId()).isEqualTo("books");
                assertThat(command.getIssuedAt()).isNotNull();
                assertThat(command.getPayload()).isEqualTo(new CreateOrder(CreateOrderKind.CREATE_ORDER, "o-1", 0, 1, null, "cust-1", "acme",
                        List.of(new OrderLine("dune", 2L), new OrderLine("emma", 1L)), 30_000L, true,
                        PaymentMethod.PROVIDER, "stripe", false));
            });
            assertThat(fixture.published).as("nothing on payment-commands").isEmpty();
        });
    }

    @Test
    void withoutAnOrderIdTheCommandIdNamesTheOrderAndDefaultsApply() {
        fixture.run(client -> {
            final JsonNode body = client.body(client.post(ACME_KEY, "/v1/orders", ORDER, idempotencyKey("k-2")));

            assertThat(body.get("orderId").asText()).isEqualTo("k-2");
            final CreateOrder create = (CreateOrder) fixture.publishedOrders.get(0).getPayload();
            assertThat(create.getOrderId()).isEqualTo("k-2");
            assertThat(create.getAllowPartial()).isFalse();
            assertThat(create.getPlaceOnPayment()).isTrue();
            assertThat(create.getProviderId()).isNull();

            final JsonNode keyless = client.body(client.post(ACME_KEY, "/v1/orders", ORDER));
            assertThat(keyless.get("orderId").asText()).isEqualTo(keyless.get("commandId").asText())
                    .isNotEqualTo("k-2");
        });
    }

    @Test
    void anOrderSpanningCategoriesBecomesOneSubOrderPerCategoryUnderItsId() {
        fixture.run(client -> {
            final Response response = client.post(ACME_KEY, "/v1/orders", ORDER.replace(
                    "[{\"itemId\":\"dune\",\"quantity\":2}]",
                    "[{\"itemId\":\"kite\",\"quantity\":1},{\"itemId\":\"dune\",\"quantity\":2}]")
                    .replace("{\"customerId\"", "{\"orderId\":\"o-7\",\"customerId\""), idempotencyKey("k-7"));

            assertThat(response.code()).isEqualTo(202);
            final JsonNode body = client.body(response);
            assertThat(body.get("orderId").asText()).isEqualTo("o-7");
            assertThat(body.get("parentOrderId").asText()).isEqualTo("o-7");
            assertThat(body.get("orders")).extracting(part -> part.get("orderId").asText(),
                    part -> part.get("categoryId").asText(), part -> part.get("batches").asInt())
                    .containsExactly(tuple("o-7.books", "books", 1), tuple("o-7.toys", "toys", 1));
            assertThat(body.get("links").get("orders").asText()).isEqualTo("/v1/orders?parentOrderId=o-7");
            assertThat(fixture.publishedOrders).extracting(OrderCommand::getCommandId, OrderCommand::getCategoryId)
                    .containsExactly(tuple("k-7:books:0", "books"), tuple("k-7:toys:0", "toys"));
            assertThat(fixture.publishedOrders).extracting(command -> (CreateOrder) command.getPayload())
                    .extracting(CreateOrder::getOrderId, CreateOrder::getParentOrderId, CreateOrder::getBatch,
                            CreateOrder::getBatches, CreateOrder::getItems)
                    .containsExactly(tuple("o-7.books", "o-7", 0, 1, List.of(new OrderLine("dune", 2L))),
                            tuple("o-7.toys", "o-7", 0, 1, List.of(new OrderLine("kite", 1L))));
        });
    }

    @Test
    void linesBeyondTheBatchSizeAreBatchesOfOneOrderInEachCategory() {
        fixture.run(client -> {
            final Response response = client.post(ADMIN_KEY, "/v1/orders", ORDER.replace(
                    "[{\"itemId\":\"dune\",\"quantity\":2}]", "[" + lines("dune", "kite", "emma", "odyssey", "yoyo")
                            + "]").replace("{\"customerId\"", "{\"orderId\":\"o-8\",\"customerId\""),
                    idempotencyKey("k-8"));

            assertThat(response.code()).isEqualTo(202);
            assertThat(client.body(response).get("orders")).extracting(part -> part.get("orderId").asText(),
                    part -> part.get("batches").asInt()).containsExactly(tuple("o-8.books", 2), tuple("o-8.toys", 1));
            assertThat(fixture.publishedOrders).extracting(OrderCommand::getCommandId, OrderCommand::getCategoryId)
                    .containsExactly(tuple("k-8:books:0", "books"), tuple("k-8:books:1", "books"),
                            tuple("k-8:toys:0", "toys"));
            assertThat(fixture.publishedOrders).extracting(command -> (CreateOrder) command.getPayload())
                    .extracting(CreateOrder::getOrderId, CreateOrder::getBatch, CreateOrder::getBatches,
                            create -> create.getItems().stream().map(OrderLine::getItemId).toList())
                    .containsExactly(tuple("o-8.books", 0, 2, List.of("dune", "emma")),
                            tuple("o-8.books", 1, 2, List.of("odyssey")),
                            tuple("o-8.toys", 0, 1, List.of("kite", "yoyo")));
        });
    }

    @Test
    void aLargeOrderOfOneCategoryIsBatchesSharingItsIdWithoutAParent() {
        final String[] loans = IntStream.range(0, 5).mapToObj(i -> "loan-" + i).toArray(String[]::new);
        fixture.catalogue("loans", loans);
        fixture.run(client -> {
            final Response response = client.post(ACME_KEY, "/v1/orders", ORDER.replace(
                    "[{\"itemId\":\"dune\",\"quantity\":2}]", "[" + lines(loans) + "]"), idempotencyKey("k-9"));

            assertThat(response.code()).isEqualTo(202);
            final JsonNode body = client.body(response);
            assertThat(body.get("parentOrderId").isNull()).isTrue();
            assertThat(body.get("links").get("order").asText()).isEqualTo("/v1/orders/k-9");
            assertThat(fixture.publishedOrders).extracting(OrderCommand::getCommandId)
                    .containsExactly("k-9:loans:0", "k-9:loans:1", "k-9:loans:2");
            assertThat(fixture.publishedOrders).extracting(command -> (CreateOrder) command.getPayload())
                    .extracting(CreateOrder::getOrderId, CreateOrder::getParentOrderId, CreateOrder::getBatch,
                            CreateOrder::getBatches, create -> create.getItems().size())
                    .containsExactly(tuple("k-9", null, 0, 3, 2), tuple("k-9", null, 1, 3, 2),
                            tuple("k-9", null, 2, 3, 1));
        });
    }

    @Test
    void everyMissingOrUnknownFieldIsReportedAndNothingIsPublishedNorLookedUp() {
        fixture.run(client -> {
            final Response empty = client.post(ADMIN_KEY, "/v1/orders", "{}");
            assertThat(empty.code()).isEqualTo(400);
            assertThat(client.fields(empty)).containsOnlyKeys("customerId", "partnerId", "items", "holdTtlMs", "payment")
                    .allSatisfy((field, message) -> assertThat(message).isEqualTo("required"));

            assertThat(fieldsOf(client, ORDER.replace("}}", "},\"colour\":1}")))
                    .containsExactly(Map.entry("colour", "unknown field"));
            assertThat(fieldsOf(client, ORDER.replace("\"quantity\":2}", "\"quantity\":2,\"colour\":1}")))
                    .containsExactly(Map.entry("items[0].colour", "unknown field"));
            assertThat(fieldsOf(client, ORDER.replace("\"BALANCE\"}", "\"BALANCE\",\"colour\":1}")))
                    .containsExactly(Map.entry("payment.colour", "unknown field"));
            assertThat(fixture.publishedOrders).isEmpty();
            assertThat(fixture.catalogLookups).isEmpty();
        });
    }

    @Test
    void itemsMustBeANonEmptyArrayOfDistinctValidLines() {
        final String items = "[{\"itemId\":\"dune\",\"quantity\":2}]";
        fixture.run(client -> {
            final Map<String, Map<String, String>> cases = Map.of(
                    "{}", Map.of("items", "must be a JSON array"),
                    "[]", Map.of("items", "must have 1 to " + OrderSplit.LINES_MAX + " entries"),
                    "[1]", Map.of("items[0]", "must be a JSON object"),
                    "[{\"itemId\":\"dune\",\"quantity\":2},{\"itemId\":\"dune\",\"quantity\":1}]",
                    Map.of("items[1].itemId", "already in items[0]"),
                    "[{\"itemId\":\"du ne\",\"quantity\":2}]",
                    Map.of("items[0].itemId", "must be 1 to 128 characters of A-Z a-z 0-9 . _ : -"),
                    "[{\"quantity\":2}]", Map.of("items[0].itemId", "required"));
            for (final Map.Entry<String, Map<String, String>> bad : cases.entrySet()) {
                final Response response = client.post(ADMIN_KEY, "/v1/orders", ORDER.replace(items, bad.getKey()));
                assertThat(response.code()).as(bad.getKey()).isEqualTo(400);
                assertThat(client.fields(response)).as(bad.getKey()).containsExactlyInAnyOrderEntriesOf(bad.getValue());
            }
            for (final String quantity : List.of("0", "-1", "1.5", "\"2\"", "null", "92233720368547758070")) {
                final Response response = client.post(ADMIN_KEY, "/v1/orders",
                        ORDER.replace("\"quantity\":2", "\"quantity\":" + quantity));
                assertThat(client.fields(response)).as(quantity).containsOnlyKeys("items[0].quantity");
            }
            assertThat(fixture.publishedOrders).isEmpty();
        });
    }

    @Test
    void holdTtlFlagsAndPaymentAreCheckedLikeTheirPaymentRouteCounterparts() {
        fixture.run(client -> {
            for (final String ttl : List.of("0", "-5", "60001", "1.5", "\"1000\"")) {
                assertThat(fieldsOf(client, ORDER.replace("30000", ttl))).as(ttl).containsOnlyKeys("holdTtlMs");
            }
            assertThat(fieldsOf(client, ORDER.replace("}}", "},\"allowPartial\":\"yes\",\"placeOnPayment\":1}")))
                    .containsExactly(Map.entry("allowPartial", "must be true or false"),
                            Map.entry("placeOnPayment", "must be true or false"));
            assertThat(fieldsOf(client, ORDER.replace("{\"method\":\"BALANCE\"}", "\"BALANCE\"")))
                    .containsExactly(Map.entry("payment", "must be a JSON object"));
            assertThat(fieldsOf(client, ORDER.replace("\"BALANCE\"", "\"CARD\""))).containsOnlyKeys("payment.method");
            assertThat(fieldsOf(client, ORDER.replace("\"BALANCE\"", "\"PROVIDER\"")))
                    .containsExactly(Map.entry("payment.providerId", "required with method PROVIDER"));
            assertThat(fieldsOf(client, ORDER.replace("\"BALANCE\"}", "\"BALANCE\",\"providerId\":\"stripe\"}")))
                    .containsExactly(Map.entry("payment.providerId", "not allowed with method BALANCE"));
            assertThat(fieldsOf(client, ORDER.replace("\"BALANCE\"}", "\"PROVIDER\",\"providerId\":\"Stripe\"}")))
                    .containsOnlyKeys("payment.providerId");
            assertThat(fieldsOf(client, ORDER.replace("{\"customerId\"", "{\"orderId\":\"a b\",\"customerId\"")))
                    .containsOnlyKeys("orderId");
            assertThat(fieldsOf(client, ORDER.replace("\"cust-1\"", "\"a b\""))).containsOnlyKeys("customerId");
            assertThat(client.fields(client.post(ADMIN_KEY, "/v1/orders", ORDER, idempotencyKey("bad key!"))))
                    .containsOnlyKeys(CommandSubmitter.IDEMPOTENCY_KEY);
            assertThat(fixture.publishedOrders).isEmpty();
        });
    }

    @Test
    void anItemTheCatalogDoesNotKnowIsAFieldErrorAndNothingIsPublished() {
        fixture.run(client -> {
            final Response response = client.post(ADMIN_KEY, "/v1/orders", ORDER.replace(
                    "[{\"itemId\":\"dune\",\"quantity\":2}]",
                    "[{\"itemId\":\"dune\",\"quantity\":2},{\"itemId\":\"ghost\",\"quantity\":1}]"));

            assertThat(response.code()).isEqualTo(400);
            assertThat(client.fields(response)).containsExactly(Map.entry("items[1].itemId", "unknown item"));
            assertThat(fixture.catalogLookups).containsExactly("dune", "ghost");
            assertThat(fixture.publishedOrders).isEmpty();
        });
    }

    @Test
    void subOrderIdsMustBeIdsToo() {
        fixture.catalogue("c".repeat(100), "long-cat-item");
        fixture.run(client -> {
            final Response response = client.post(ADMIN_KEY, "/v1/orders", ORDER.replace(
                    "[{\"itemId\":\"dune\",\"quantity\":2}]",
                    "[{\"itemId\":\"dune\",\"quantity\":2},{\"itemId\":\"long-cat-item\",\"quantity\":1}]")
                    .replace("{\"customerId\"", "{\"orderId\":\"" + "o".repeat(30) + "\",\"customerId\""));

            assertThat(response.code()).isEqualTo(400);
            assertThat(client.fields(response)).containsOnlyKeys("orderId");
            assertThat(client.fields(response).get("orderId")).contains("with category " + "c".repeat(100));
            assertThat(fixture.publishedOrders).isEmpty();
        });
    }

    @Test
    void anOrderOfMoreBatchesThanTheProcessorTakesIsRefused() {
        final GatewayFixture small = new GatewayFixture(Map.of(GatewayConfig.ORDER_BATCH_SIZE, "1",
                GatewayConfig.HTTP_MAX_REQUEST_BYTES, "1048576"));
        final String[] loans = IntStream.range(0, OrderSplit.BATCHES_MAX + 1).mapToObj(i -> "l" + i)
                .toArray(String[]::new);
        small.catalogue("loans", loans);
        small.run(client -> {
            final Response response = client.post(ADMIN_KEY, "/v1/orders", ORDER.replace(
                    "[{\"itemId\":\"dune\",\"quantity\":2}]", "[" + lines(loans) + "]"));

            assertThat(response.code()).isEqualTo(400);
            assertThat(client.fields(response)).containsExactly(Map.entry("items",
                    "make 1001 batches in category loans; at most 1000"));
            assertThat(small.publishedOrders).isEmpty();

            assertThat(client.post(ADMIN_KEY, "/v1/orders", ORDER.replace("[{\"itemId\":\"dune\",\"quantity\":2}]",
                    "[" + lines(Arrays.copyOf(loans, OrderSplit.BATCHES_MAX)) + "]")).code()).isEqualTo(202);
            assertThat(small.publishedOrders).hasSize(OrderSplit.BATCHES_MAX);
        });
    }

    @Test
    void aPartnerKeyOrderingForAnotherPartnerIsRefusedLikeAnyOtherPartnersResource() {
        fixture.run(client -> {
            final Response asPath = client.post(ACME_KEY, "/v1/partners/globex/credits",
                    "{\"amountMinor\":1,\"currency\":\"EUR\"}");
            final Response refused = client.post(ACME_KEY, "/v1/orders", ORDER.replace("\"acme\"", "\"globex\""));
            final Response invalid = client.post(ACME_KEY, "/v1/orders", "{\"partnerId\":\"globex\",\"items\":7}");

            assertThat(refused.code()).isEqualTo(404).isEqualTo(asPath.code()).isEqualTo(invalid.code());
            assertThat(refused.body().string()).isEqualTo(asPath.body().string()).isEqualTo(invalid.body().string());
            assertThat(fixture.publishedOrders).isEmpty();
            assertThat(fixture.catalogLookups).isEmpty();

            assertThat(client.post(GLOBEX_KEY, "/v1/orders", ORDER.replace("\"acme\"", "\"globex\"")).code())
                    .isEqualTo(202);
            assertThat(client.post(ADMIN_KEY, "/v1/orders", ORDER.replace("\"acme\"", "\"initech\"")).code())
                    .isEqualTo(202);
            assertThat(client.post(null, "/v1/orders", ORDER).code()).isEqualTo(401);
            assertThat(fixture.publishedOrders).extracting(command -> ((CreateOrder) command.getPayload()).getPartnerId())
                    .containsExactly("globex", "initech");
        });
    }

    @Test
    void anUnreadableCatalogOrKafkaIs503WithRetryAfter() {
        fixture.run(client -> {
            fixture.catalogDown = true;
            assertRetryLater(client.post(ADMIN_KEY, "/v1/orders", ORDER), "catalog");
            fixture.catalogDown = false;

            fixture.kafkaDown = true;
            assertRetryLater(client.post(ADMIN_KEY, "/v1/orders", ORDER), "kafka");
            assertThat(fixture.publishedOrders).isEmpty();
        });
    }

    @Test
    void cancelAndPlaceGoToTheCategoryOfAVisibleOrder() {
        fixture.orders.put("o-1", new Read.Found<>(view(order("o-1", 0, 2, "books", "acme", OrderStatus.PAID),
                order("o-1", 1, 2, "books", "acme", OrderStatus.PAID))));
        fixture.run(client -> {
            final Response cancel = client.post(ACME_KEY, "/v1/orders/o-1/cancel", "", idempotencyKey("x-1"));
            final Response place = client.post(ADMIN_KEY, "/v1/orders/o-1/place", "{}", idempotencyKey("x-2"));

            assertThat(cancel.code()).isEqualTo(202);
            assertThat(place.code()).isEqualTo(202);
            final JsonNode body = client.body(cancel);
            assertThat(body.get("commandId").asText()).isEqualTo("x-1");
            assertThat(body.get("orderId").asText()).isEqualTo("o-1");
            assertThat(body.get("links").get("order").asText()).isEqualTo("/v1/orders/o-1");
            assertThat(body.size()).isEqualTo(3);
            assertThat(fixture.publishedOrders).extracting(OrderCommand::getCommandId, OrderCommand::getCategoryId,
                    OrderCommand::getPayload).containsExactly(tuple("x-1", "books", new CancelOrder(CancelOrderKind.CANCEL_ORDER, "o-1", "acme")),
                    tuple("x-2", "books", new PlaceOrder(PlaceOrderKind.PLACE_ORDER, "o-1", null)));
            // Looked up as the read route, without waiting, with the caller's credentials.
            assertReadAs(fixture.readRequests.get(0), "/v1/orders/o-1", ACME_KEY);
            assertThat(fixture.readWaits).containsOnly(Duration.ZERO);
        });
    }

    @Test
    void cancelAndPlaceInTheirCategoryArePublishedAtOnceForTheCallersPartner() {
        fixture.run(client -> {
            // Nothing is visible yet: a cancel right after the create goes straight to the category.
            final Response cancel = client.post(ACME_KEY, "/v1/categories/books/orders/o-1/cancel", "",
                    idempotencyKey("x-1"));
            final Response place = client.post(ADMIN_KEY, "/v1/categories/books/orders/o-1/place", "{}",
                    idempotencyKey("x-2"));

            assertThat(cancel.code()).isEqualTo(202);
            assertThat(place.code()).isEqualTo(202);
            assertThat(client.body(cancel).get("links").get("order").asText()).isEqualTo("/v1/orders/o-1");
            assertThat(fixture.publishedOrders).extracting(OrderCommand::getCommandId, OrderCommand::getCategoryId,
                    OrderCommand::getPayload).containsExactly(
                    tuple("x-1", "books", new CancelOrder(CancelOrderKind.CANCEL_ORDER, "o-1", "acme")),
                    tuple("x-2", "books", new PlaceOrder(PlaceOrderKind.PLACE_ORDER, "o-1", null)));
            assertThat(fixture.readRequests).as("nothing read first").isEmpty();
            assertThat(client.post(ACME_KEY, "/v1/categories/bo%20oks/orders/o-1/cancel", "").code()).isEqualTo(400);
            assertThat(client.post(ACME_KEY, "/v1/categories/books/orders/o-1/place", "{\"why\":1}").code())
                    .isEqualTo(400);
            assertThat(client.post(null, "/v1/categories/books/orders/o-1/cancel", "").code()).isEqualTo(401);
            assertThat(fixture.publishedOrders).hasSize(2);
        });
    }

    @Test
    void cancelOrPlaceOfAnUnknownOrAnotherPartnersOrderIs404AndNothingIsPublished() {
        fixture.orders.put("o-1", new Read.Found<>(view(order("o-1", 0, 1, "books", "acme", OrderStatus.PAID))));
        fixture.run(client -> {
            for (final String action : List.of("cancel", "place")) {
                final Response unknown = client.post(ADMIN_KEY, "/v1/orders/o-2/" + action, "");
                final Response refused = client.post(GLOBEX_KEY, "/v1/orders/o-1/" + action, "");
                assertThat(unknown.code()).as(action).isEqualTo(404).isEqualTo(refused.code());
                assertThat(refused.body().string()).as(action).isEqualTo(unknown.body().string().replace("o-2", "o-1"))
                        .isEqualTo("{\"error\":\"order o-1 not found\"}");
                assertThat(client.post(ACME_KEY, "/v1/orders/o-1/" + action, "{\"why\":1}").code()).isEqualTo(400);
                assertThat(client.post(ACME_KEY, "/v1/orders/o%201/" + action, "").code()).isEqualTo(400);
                assertThat(client.post(null, "/v1/orders/o-1/" + action, "").code()).isEqualTo(401);
            }
            assertThat(fixture.publishedOrders).isEmpty();
        });
    }

    @Test
    void cancelOfAnOrderOwnedElsewhereReadsItsCategoryFromTheOwnersAnswer() {
        fixture.relayed.put("o-9", new PeerForwarder.Answer(200,
                "{\"orderId\":\"o-9\",\"categoryId\":\"toys\",\"partnerId\":\"acme\",\"status\":\"PAID\"}", Map.of()));
        fixture.relayed.put("o-gone", new PeerForwarder.Answer(404, "{\"error\":\"order o-gone not found\"}", Map.of()));
        fixture.relayed.put("o-odd", new PeerForwarder.Answer(200, "{\"orderId\":\"o-odd\",\"partnerId\":\"acme\"}",
                Map.of()));
        fixture.relayed.put("o-broken", new PeerForwarder.Answer(500, "{\"error\":\"internal error\"}", Map.of()));
        fixture.orders.put("o-busy", new Read.Unavailable<>("rebalancing"));
        fixture.run(client -> {
            assertThat(client.post(ACME_KEY, "/v1/orders/o-9/cancel", "").code()).isEqualTo(202);
            assertThat(fixture.publishedOrders).singleElement().satisfies(command -> {
                assertThat(command.getCategoryId()).isEqualTo("toys");
                assertThat(command.getPayload()).isEqualTo(new CancelOrder(CancelOrderKind.CANCEL_ORDER, "o-9", "acme"));
            });

            assertThat(client.post(GLOBEX_KEY, "/v1/orders/o-9/cancel", "").code()).isEqualTo(404);
            assertThat(client.post(ACME_KEY, "/v1/orders/o-gone/cancel", "").code()).isEqualTo(404);
            for (final String orderId : List.of("o-odd", "o-broken", "o-busy")) {
                assertRetryLater(client.post(ADMIN_KEY, "/v1/orders/" + orderId + "/place", ""), orderId);
            }
            assertThat(fixture.publishedOrders).hasSize(1);
        });
    }

    /** The field errors an admin's order of {@code body} is refused with. */
    private static Map<String, String> fieldsOf(final GatewayClient client, final String body) throws Exception {
        return client.fields(client.post(ADMIN_KEY, "/v1/orders", body));
    }

    private static String lines(final String... itemIds) {
        return Arrays.stream(itemIds).map(id -> "{\"itemId\":\"" + id + "\",\"quantity\":1}")
                .collect(Collectors.joining(","));
    }
}
