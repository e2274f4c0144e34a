package io.bursar.gateway;

import static io.bursar.gateway.GatewayFixture.ACME_KEY;
import static io.bursar.gateway.GatewayFixture.ADMIN_KEY;
import static io.bursar.gateway.GatewayFixture.GLOBEX_KEY;
import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.queries.Read;
import io.bursar.schemas.payments.CurrencyAccount;
import io.bursar.schemas.payments.PartnerBalance;
import io.javalin.testtools.Response;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Who may call what: keys, roles, partner scope (refused as 404), and the routes that need no key. */
class AccessControlTest {

    private static final String MONEY = "{\"amountMinor\":100,\"currency\":\"EUR\"}";
    private static final String HOLD = "{\"holdId\":\"h-1\",\"amountMinor\":100,\"currency\":\"EUR\",\"ttlMs\":1000}";
    /** Every /v1 write: path under a partner, then a valid body. */
    private static final List<List<String>> WRITES = List.of(
            List.of("/credits", MONEY), List.of("/debits", MONEY), List.of("/holds", HOLD),
            List.of("/holds/h-1/capture", MONEY), List.of("/holds/h-1/release", ""));
    private static final List<String> OPEN = List.of("/health/live", "/health/ready", "/metrics", "/openapi.json");

    private final GatewayFixture fixture = new GatewayFixture();

    @Test
    void withoutAKeyEveryV1RouteIs401WithBearerChallengeAndNothingIsPublished() {
        fixture.run(client -> {
            for (final List<String> write : WRITES) {
                assertUnauthorized(client.post(null, "/v1/partners/acme" + write.get(0), write.get(1)));
            }
            assertUnauthorized(client.get(null, "/v1/partners/acme/balance"));
            assertThat(fixture.published).isEmpty();
        });
    }

    @Test
    void unknownMalformedOrWronglySchemedKeysAre401() {
        fixture.run(client -> {
            assertUnauthorized(client.post("not-a-configured-key", "/v1/partners/acme/credits", MONEY));
            assertUnauthorized(client.post(ApiKeys.sha256Hex(ADMIN_KEY), "/v1/partners/acme/credits", MONEY));
            assertUnauthorized(client.post("x".repeat(ApiKeys.PRESENTED_KEY_LENGTH_MAX + 1), "/v1/partners/acme/credits",
                    MONEY));
            assertUnauthorized(client.post(null, "/v1/partners/acme/credits", MONEY,
                    Map.of("Authorization", "Basic " + ADMIN_KEY)));
            assertUnauthorized(client.post(null, "/v1/partners/acme/credits", MONEY, Map.of("Authorization", "Bearer")));
            assertUnauthorized(client.post(null, "/v1/partners/acme/credits", MONEY, Map.of(AccessControl.API_KEY, "")));
            assertThat(fixture.published).isEmpty();
        });
    }

    @Test
    void aKeyIsAcceptedAsBearerInAnyCaseOrAsXApiKey() {
        fixture.run(client -> {
            assertThat(client.post(null, "/v1/partners/acme/credits", MONEY,
                    Map.of("Authorization", "bearer " + ACME_KEY)).code()).isEqualTo(202);
            assertThat(client.post(null, "/v1/partners/acme/credits", MONEY,
                    Map.of(AccessControl.API_KEY, ACME_KEY)).code()).isEqualTo(202);
            assertThat(fixture.published).hasSize(2);
        });
    }

    @Test
    void adminMayActOnAndReadEveryPartner() {
        fixture.reads.put("globex", balance("globex"));
        fixture.run(client -> {
            for (final String partner : List.of("acme", "globex", "initech")) {
                for (final List<String> write : WRITES) {
                    assertThat(client.post(ADMIN_KEY, "/v1/partners/" + partner + write.get(0), write.get(1)).code())
                            .as(partner + write.get(0)).isEqualTo(202);
                }
            }
            assertThat(client.get(ADMIN_KEY, "/v1/partners/globex/balance").code()).isEqualTo(200);
            assertThat(fixture.published).hasSize(3 * WRITES.size());
        });
    }

    @Test
    void aPartnerMayActOnAndReadItsOwnResources() {
        fixture.reads.put("acme", balance("acme"));
        fixture.run(client -> {
            for (final List<String> write : WRITES) {
                assertThat(client.post(ACME_KEY, "/v1/partners/acme" + write.get(0), write.get(1)).code())
                        .as(write.get(0)).isEqualTo(202);
            }
            assertThat(client.get(ACME_KEY, "/v1/partners/acme/balance").code()).isEqualTo(200);
            assertThat(fixture.published).hasSize(WRITES.size())
                    .allSatisfy(c -> assertThat(c.getPartnerId()).isEqualTo("acme"));
        });
    }

    @Test
    void anotherPartnersResourcesAnswer404ExactlyLikeAnUnknownOneAndNothingIsPublished() {
        fixture.reads.put("globex", balance("globex"));
        fixture.run(client -> {
            final Response unknown = client.get(ADMIN_KEY, "/v1/partners/globex-nope/balance");
            final Response refused = client.get(ACME_KEY, "/v1/partners/globex/balance");
            assertThat(refused.code()).isEqualTo(404).isEqualTo(unknown.code());
            assertThat(refused.body().string()).isEqualTo(unknown.body().string().replace("globex-nope", "globex"));
            assertThat(refused.headers().get("Content-Type")).isEqualTo(unknown.headers().get("Content-Type"));

            for (final List<String> write : WRITES) {
                final Response response = client.post(ACME_KEY, "/v1/partners/globex" + write.get(0), write.get(1));
                assertThat(response.code()).as(write.get(0)).isEqualTo(404);
                assertThat(response.body().string()).isEqualTo(refused.body().string());
            }
            // Refused before the body is read: an invalid body gives no hint either.
            assertThat(client.post(ACME_KEY, "/v1/partners/globex/credits", "{\"amountMinor\":-1}").code())
                    .isEqualTo(404);
            assertThat(client.post(ACME_KEY, "/v1/partners/ac%20me/credits", MONEY).code()).isEqualTo(404);
            assertThat(fixture.published).isEmpty();
        });
    }

    @Test
    void aThousandMixedReadsAndWritesOnOtherPartnersAreAllRefusedAndNothingIsPublished() {
        fixture.reads.put("globex", balance("globex"));
        fixture.reads.put("initech", balance("initech"));
        final List<String> others = List.of("globex", "initech", "umbrella", "acme2", "ACME", "acm", "acme.", "nobody");
        final Random random = new Random(42);
        fixture.run(client -> {
            for (int i = 0; i < 1_000; i++) {
                final String partner = others.get(random.nextInt(others.size()));
                final int route = random.nextInt(WRITES.size() + 1);
                final Response response = route == WRITES.size()
                        ? client.get(ACME_KEY, "/v1/partners/" + partner + "/balance")
                        : client.post(ACME_KEY, "/v1/partners/" + partner + WRITES.get(route).get(0),
                                WRITES.get(route).get(1), Map.of(CommandSubmitter.IDEMPOTENCY_KEY, "k-" + i));
                assertThat(response.code()).as("request %d to %s", i, partner).isEqualTo(404);
                assertThat(client.body(response).get("error").asText()).isEqualTo("partner " + partner + " not found");
            }
            assertThat(fixture.published).isEmpty();
        });
    }

    @Test
    void handlersSeeTheAuthenticatedCaller() {
        // Routes keyed by other ids (commands, payments) check ownership after the read, through the caller.
        fixture.gateway.javalin().unsafe.routes.get("/v1/whoami/{ownerId}", ctx -> ctx.json(Map.of(
                "admin", Caller.of(ctx).isAdmin(),
                "mayAccess", Caller.of(ctx).mayAccessPartner(ctx.pathParam("ownerId")))));
        fixture.gateway.javalin().unsafe.routes.get("/whoami-open", ctx -> ctx.result(Caller.of(ctx).keyId()),
                RouteAccess.OPEN);
        fixture.run(client -> {
            final Response own = client.get(ACME_KEY, "/v1/whoami/acme");
            assertThat(client.body(own).get("admin").asBoolean()).isFalse();
            assertThat(client.body(own).get("mayAccess").asBoolean()).isTrue();
            assertThat(client.body(client.get(ACME_KEY, "/v1/whoami/globex")).get("mayAccess").asBoolean()).isFalse();
            assertThat(client.body(client.get(ADMIN_KEY, "/v1/whoami/globex")).get("mayAccess").asBoolean()).isTrue();
            // Asking an open route for its caller is a programmer error, not a client's.
            assertThat(client.get(ADMIN_KEY, "/whoami-open").code()).isEqualTo(500);
        });
    }

    @Test
    void healthMetricsAndOpenApiNeedNoKeyAndIgnoreABadOne() {
        fixture.run(client -> {
            for (final String path : OPEN) {
                assertThat(client.get(null, path).code()).as(path).isEqualTo(200);
                assertThat(client.get("not-a-configured-key", path).code()).as(path).isEqualTo(200);
            }
        });
    }

    @Test
    void withNoKeysConfiguredEveryV1RequestIs401() {
        final GatewayFixture locked = new GatewayFixture(Map.of(GatewayConfig.AUTH_API_KEYS, ""));
        locked.run(client -> {
            assertUnauthorized(client.post(ADMIN_KEY, "/v1/partners/acme/credits", MONEY));
            assertUnauthorized(client.get(GLOBEX_KEY, "/v1/partners/globex/balance"));
            assertThat(client.get(null, "/health/live").code()).isEqualTo(200);
            assertThat(locked.published).isEmpty();
        });
    }

    private static void assertUnauthorized(final Response response) {
        assertThat(response.code()).isEqualTo(401);
        assertThat(response.headers().get("WWW-Authenticate")).containsExactly("Bearer");
    }

    private static Read<PartnerBalance> balance(final String partnerId) {
        return new Read.Found<>(new PartnerBalance(partnerId, Map.of("EUR", new CurrencyAccount(500L, 0L)),
                Instant.EPOCH));
    }
}
