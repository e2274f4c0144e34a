package io.bursar.gateway;

import static io.bursar.gateway.GatewayFixture.ACME_KEY;
import static io.bursar.gateway.GatewayFixture.ADMIN_KEY;
import static io.bursar.gateway.GatewayFixture.GLOBEX_KEY;
import static io.bursar.gateway.GatewayFixture.idempotencyKey;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.bursar.queries.PeerForwarder;
import io.bursar.queries.Read;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.orders.InvestorPositions;
import io.bursar.schemas.orders.Item;
import io.bursar.schemas.orders.LoanTerms;
import io.bursar.schemas.orders.OrderCommand;
import io.bursar.schemas.orders.UpsertItem;
import io.bursar.schemas.orders.UpsertItemKind;
import io.javalin.testtools.Response;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Items: changed by admins only (UpsertItem keyed by category), read by any key from the category's store. */
class ItemHandlersTest {

    private static final String CHANGE = "{\"categoryId\":\"books\",\"name\":\"Dune\",\"priceMinor\":900,"
            + "\"currency\":\"EUR\",\"stock\":12}";

    private final GatewayFixture fixture = new GatewayFixture();

    @Test
    void anAdminChangeIsPublishedAsUpsertItemKeyedByItsCategory() {
        fixture.run(client -> {
            final Response response = client.put(ADMIN_KEY, "/v1/items/dune", CHANGE, idempotencyKey("u-1"));

            assertThat(response.code()).isEqualTo(202);
            final JsonNode body = client.body(response);
            assertThat(body.get("commandId").asText()).isEqualTo("u-1");
            assertThat(body.get("itemId").asText()).isEqualTo("dune");
            assertThat(body.get("categoryId").asText()).isEqualTo("books");
            assertThat(body.get("links").get("item").asText()).isEqualTo("/v1/categories/books/items/dune");
            assertThat(fixture.publishedOrders).singleElement().satisfies(command -> {
                assertThat(command.getCommandId()).isEqualTo("u-1");
                assertThat(command.getCategoryId()).isEqualTo("books");
                assertThat(command.getPayload()).isEqualTo(new UpsertItem(UpsertItemKind.UPSERT_ITEM, "dune", "Dune", new Money(900L, "EUR"),
                        12L, null, null));
            });
        });
    }

    @Test
    void eachPartOfAnItemMayChangeAlone() {
        fixture.run(client -> {
            assertThat(client.put(ADMIN_KEY, "/v1/items/dune", "{\"categoryId\":\"books\",\"stockDelta\":-3}").code())
                    .isEqualTo(202);
            assertThat(client.put(ADMIN_KEY, "/v1/items/dune", "{\"categoryId\":\"books\",\"stock\":0}").code())
                    .isEqualTo(202);
            assertThat(client.put(ADMIN_KEY, "/v1/items/dune", "{\"categoryId\":\"books\",\"name\":\"Dune II\"}")
                    .code()).isEqualTo(202);
            assertThat(client.put(ADMIN_KEY, "/v1/items/dune",
                    "{\"categoryId\":\"books\",\"priceMinor\":1,\"currency\":\"JPY\"}").code()).isEqualTo(202);
            assertThat(fixture.publishedOrders).extracting(OrderCommand::getPayload).containsExactly(
                    new UpsertItem(UpsertItemKind.UPSERT_ITEM, "dune", null, null, null, -3L, null), new UpsertItem(UpsertItemKind.UPSERT_ITEM, "dune", null, null, 0L, null, null),
                    new UpsertItem(UpsertItemKind.UPSERT_ITEM, "dune", "Dune II", null, null, null, null),
                    new UpsertItem(UpsertItemKind.UPSERT_ITEM, "dune", null, new Money(1L, "JPY"), null, null, null));
        });
    }

    @Test
    void anItemBecomesALoanWithBothTermsAndAHalfGivenTermIsRefused() {
        fixture.run(client -> {
            assertThat(client.put(ADMIN_KEY, "/v1/items/loan-1", "{\"categoryId\":\"loans\",\"name\":\"Loan 1\","
                    + "\"priceMinor\":2500,\"currency\":\"EUR\",\"stock\":40,\"loanRateBps\":750,"
                    + "\"loanTermMonths\":36}").code()).isEqualTo(202);
            final Response half = client.put(ADMIN_KEY, "/v1/items/loan-2", "{\"categoryId\":\"loans\","
                    + "\"loanRateBps\":750}");
            assertThat(half.code()).isEqualTo(400);
            assertThat(client.fields(half)).containsOnlyKeys("loanTermMonths");
            assertThat(client.fields(client.put(ADMIN_KEY, "/v1/items/loan-3", "{\"categoryId\":\"loans\","
                    + "\"loanRateBps\":-1,\"loanTermMonths\":0}"))).containsOnlyKeys("loanRateBps", "loanTermMonths");
            assertThat(fixture.publishedOrders).extracting(OrderCommand::getPayload).containsExactly(
                    new UpsertItem(UpsertItemKind.UPSERT_ITEM, "loan-1", "Loan 1", new Money(2_500L, "EUR"), 40L, null,
                            new LoanTerms(750, 36)));
        });
    }

    @Test
    void aLoanIsReadWithItsTermsAndItsAllocation() {
        fixture.items.put("loans/loan-1", new Read.Found<>(Item.newBuilder().setItemId("loan-1").setCategoryId("loans")
                .setName("Loan 1").setPrice(new Money(2_500L, "EUR")).setAvailable(30).setHeld(4).setSold(6)
                .setStocked(40).setUpdatedAt(Instant.parse("2026-01-02T03:04:05Z")).setLoan(new LoanTerms(750, 36))
                .build()));
        fixture.run(client -> {
            final JsonNode loan = client.body(client.get(ADMIN_KEY, "/v1/categories/loans/items/loan-1")).get("loan");
            assertThat(loan.get("rateBps").asInt()).isEqualTo(750);
            assertThat(loan.get("termMonths").asInt()).isEqualTo(36);
            assertThat(loan.get("notesOffered").asLong()).isEqualTo(40);
            assertThat(loan.get("notesReserved").asLong()).isEqualTo(4);
            assertThat(loan.get("notesInvested").asLong()).isEqualTo(6);
            assertThat(loan.get("notesAvailable").asLong()).isEqualTo(30);
            assertThat(loan.get("amountOfferedMinor").asLong()).isEqualTo(100_000);
        });
    }

    @Test
    void onlyAdminsChangeItemsAndNothingElseReachesKafka() {
        fixture.run(client -> {
            for (final String key : List.of(ACME_KEY, GLOBEX_KEY)) {
                final Response refused = client.put(key, "/v1/items/dune", CHANGE);
                assertThat(refused.code()).isEqualTo(403);
                assertThat(client.body(refused).get("error").asText()).isEqualTo("items are changed with an admin key");
                // Refused before the body is judged.
                assertThat(client.put(key, "/v1/items/dune", "{").code()).isEqualTo(403);
            }
            assertThat(client.put(null, "/v1/items/dune", CHANGE).code()).isEqualTo(401);
            assertThat(fixture.publishedOrders).isEmpty();
        });
    }

    @Test
    void theValidationMatrixOfAnItemChange() {
        final Map<String, Map<String, String>> cases = Map.of(
                "{}", Map.of("categoryId", "required",
                        "$", "nothing to change: send name, priceMinor with currency, stock or stockDelta"),
                "{\"categoryId\":\"bo/oks\",\"stock\":1}",
                Map.of("categoryId", "must be 1 to 128 characters of A-Z a-z 0-9 . _ : -"),
                "{\"categoryId\":\"books\",\"priceMinor\":900}", Map.of("currency", "required"),
                "{\"categoryId\":\"books\",\"currency\":\"EUR\"}", Map.of("priceMinor", "required"),
                "{\"categoryId\":\"books\",\"priceMinor\":0,\"currency\":\"eur\"}",
                Map.of("priceMinor", "must be positive", "currency", "must be an ISO-4217 currency code such as EUR"),
                "{\"categoryId\":\"books\",\"stock\":-1}",
                Map.of("stock", "must be an integer from 0 to " + Long.MAX_VALUE),
                "{\"categoryId\":\"books\",\"stock\":1,\"stockDelta\":2}",
                Map.of("stockDelta", "not allowed with stock: send one of the two"),
                "{\"categoryId\":\"books\",\"stockDelta\":0}", Map.of("stockDelta", "must not be 0"),
                "{\"categoryId\":\"books\",\"name\":\"  \"}",
                Map.of("name", "must be 1 to 200 characters, not only white space"),
                "{\"categoryId\":\"books\",\"stock\":1,\"colour\":\"red\"}", Map.of("colour", "unknown field"));
        fixture.run(client -> {
            for (final Map.Entry<String, Map<String, String>> bad : cases.entrySet()) {
                final Response response = client.put(ADMIN_KEY, "/v1/items/dune", bad.getKey());
                assertThat(response.code()).as(bad.getKey()).isEqualTo(400);
                assertThat(client.fields(response)).as(bad.getKey()).containsExactlyInAnyOrderEntriesOf(bad.getValue());
            }
            assertThat(client.fields(client.put(ADMIN_KEY, "/v1/items/dune",
                    "{\"categoryId\":\"books\",\"name\":\"" + "n".repeat(201) + "\"}"))).containsOnlyKeys("name");
            assertThat(client.fields(client.put(ADMIN_KEY, "/v1/items/du%20ne", CHANGE))).containsOnlyKeys("itemId");
            assertThat(client.put(ADMIN_KEY, "/v1/items/dune", "{\"categoryId\":\"books\",\"stockDelta\":1.5}").code())
                    .isEqualTo(400);
            assertThat(fixture.publishedOrders).isEmpty();
        });
    }

    @Test
    void anAdminListsTheItemsOfACategoryAPageAtATime() {
        fixture.catalogue("loans", "loan-3", "loan-1", "loan-2");
        fixture.catalogue("books", "dune");
        fixture.run(client -> {
            final JsonNode first = client.body(client.get(ADMIN_KEY, "/v1/categories/loans/items?limit=2"));
            assertThat(first.get("items")).extracting(item -> item.get("itemId").asText())
                    .containsExactly("loan-1", "loan-2");
            assertThat(first.get("items").get(0).get("priceMinor").asLong()).isEqualTo(250);
            assertThat(first.get("next").asText()).isEqualTo("loan-2");
            final JsonNode last = client.body(client.get(ADMIN_KEY, "/v1/categories/loans/items?limit=2&after=loan-2"));
            assertThat(last.get("items")).extracting(item -> item.get("itemId").asText()).containsExactly("loan-3");
            assertThat(last.get("next").isNull()).isTrue();
            assertThat(client.get(ACME_KEY, "/v1/categories/loans/items").code()).isEqualTo(403);
            assertThat(client.fields(client.get(ADMIN_KEY, "/v1/categories/loans/items?limit=0")))
                    .containsOnlyKeys("limit");
        });
    }

    @Test
    void anInvestorsPositionsAreReadByAdminsAndByItsOwnKeyOnly() {
        fixture.positions.put("acme", new Read.Found<>(new InvestorPositions("acme",
                Map.of("loans/loan-2", 3L, "loans/loan-1", 1L), List.of("loans/o-1#0", "loans/o-1#1"))));
        fixture.run(client -> {
            for (final String key : List.of(ADMIN_KEY, ACME_KEY)) {
                final Response response = client.get(key, "/v1/investors/acme/positions");
                assertThat(response.code()).as(key).isEqualTo(200);
                final JsonNode body = client.body(response);
                assertThat(body.get("items").asLong()).isEqualTo(2);
                assertThat(body.get("units").asLong()).isEqualTo(4);
                assertThat(body.get("batches").asInt()).isEqualTo(2);
                assertThat(body.get("positions").get(0).get("itemId").asText()).isEqualTo("loan-1");
                assertThat(body.get("positions").get(1).get("categoryId").asText()).isEqualTo("loans");
                assertThat(body.get("positions").get(1).get("units").asLong()).isEqualTo(3);
            }
            assertThat(client.get(GLOBEX_KEY, "/v1/investors/acme/positions").code()).isEqualTo(404);
            assertThat(client.get(ADMIN_KEY, "/v1/investors/nobody/positions").code()).isEqualTo(404);
        });
    }

    @Test
    void anyKeyReadsAnItemByCategoryAndItem() {
        fixture.items.put("books/dune", new Read.Found<>(Item.newBuilder().setItemId("dune").setCategoryId("books")
                .setName("Dune").setPrice(new Money(900L, "EUR")).setAvailable(7).setHeld(3).setSold(2).setStocked(12)
                .setUpdatedAt(Instant.parse("2026-01-02T03:04:05Z")).build()));
        fixture.run(client -> {
            for (final String key : List.of(ADMIN_KEY, ACME_KEY, GLOBEX_KEY)) {
                final Response response = client.get(key, "/v1/categories/books/items/dune");
                assertThat(response.code()).as(key).isEqualTo(200);
                final JsonNode body = client.body(response);
                assertThat(body.get("itemId").asText()).isEqualTo("dune");
                assertThat(body.get("categoryId").asText()).isEqualTo("books");
                assertThat(body.get("name").asText()).isEqualTo("Dune");
                assertThat(body.get("priceMinor").asLong()).isEqualTo(900);
                assertThat(body.get("currency").asText()).isEqualTo("EUR");
                assertThat(body.get("available").asLong()).isEqualTo(7);
                assertThat(body.get("held").asLong()).isEqualTo(3);
                assertThat(body.get("sold").asLong()).isEqualTo(2);
                assertThat(body.get("stocked").asLong()).isEqualTo(12);
                assertThat(body.get("updatedAt").asText()).isEqualTo("2026-01-02T03:04:05Z");
                assertThat(body.get("loan").isNull()).as("not a loan").isTrue();
                assertThat(body.size()).isEqualTo(11);
            }
            assertThat(fixture.readRequests.get(0).pathAndQuery()).isEqualTo("/v1/categories/books/items/dune");
        });
    }

    @Test
    void anUnknownItemIs404AndBadIdsAre400() {
        fixture.relayed.put("toys/kite", new PeerForwarder.Answer(200, "{\"itemId\":\"kite\"}", Map.of()));
        fixture.run(client -> {
            final Response unknown = client.get(ACME_KEY, "/v1/categories/books/items/emma");
            assertThat(unknown.code()).isEqualTo(404);
            assertThat(unknown.body().string()).isEqualTo("{\"error\":\"item emma not found in category books\"}");
            // Read under "categoryId/itemId": the same item in another category is another key.
            assertThat(client.get(ACME_KEY, "/v1/categories/toys/items/dune").code()).isEqualTo(404);
            assertThat(client.fields(client.get(ACME_KEY, "/v1/categories/bo%20oks/items/dune")))
                    .containsOnlyKeys("categoryId");
            assertThat(client.fields(client.get(ACME_KEY, "/v1/categories/books/items/du%20ne")))
                    .containsOnlyKeys("itemId");

            final Response relayed = client.get(ACME_KEY, "/v1/categories/toys/items/kite");
            assertThat(relayed.code()).isEqualTo(200);
            assertThat(relayed.body().string()).isEqualTo("{\"itemId\":\"kite\"}");
            assertThat(client.get(null, "/v1/categories/toys/items/kite").code()).isEqualTo(401);
        });
    }
}
