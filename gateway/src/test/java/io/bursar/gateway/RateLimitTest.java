package io.bursar.gateway;

import static io.bursar.gateway.GatewayFixture.ACME_KEY;
import static io.bursar.gateway.GatewayFixture.ADMIN_KEY;
import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.testtools.Response;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Per-key rate limits over HTTP: 429 with Retry-After once a key's burst is spent, then recovery. */
class RateLimitTest {

    private static final String MONEY = "{\"amountMinor\":1,\"currency\":\"EUR\"}";

    /** 2 requests per second, 3 at once: one token every 500 ms. */
    private final GatewayFixture fixture = new GatewayFixture(Map.of(
            GatewayConfig.AUTH_RATE_PER_SECOND, "2", GatewayConfig.AUTH_RATE_BURST, "3"));

    @Test
    void overTheBurstIs429WithRetryAfterThenTheKeyRecovers() {
        fixture.run(client -> {
            for (int i = 0; i < 3; i++) {
                assertThat(client.post(ACME_KEY, "/v1/partners/acme/credits", MONEY).code()).isEqualTo(202);
            }
            final Response limited = client.post(ACME_KEY, "/v1/partners/acme/credits", MONEY);
            assertThat(limited.code()).isEqualTo(429);
            assertThat(limited.headers().get("Retry-After")).containsExactly("1");
            assertThat(fixture.published).hasSize(3);

            advanceMs(499);
            assertThat(client.get(ACME_KEY, "/v1/partners/acme/balance").code()).isEqualTo(429);
            advanceMs(1);
            assertThat(client.post(ACME_KEY, "/v1/partners/acme/credits", MONEY).code()).isEqualTo(202);
            assertThat(client.post(ACME_KEY, "/v1/partners/acme/credits", MONEY).code()).isEqualTo(429);

            advanceMs(60_000); // a long pause refills the bucket up to its burst, not beyond
            for (int i = 0; i < 3; i++) {
                assertThat(client.post(ACME_KEY, "/v1/partners/acme/credits", MONEY).code()).isEqualTo(202);
            }
            assertThat(client.post(ACME_KEY, "/v1/partners/acme/credits", MONEY).code()).isEqualTo(429);
            assertThat(fixture.published).hasSize(7);
        });
    }

    @Test
    void theLimitIsCheckedBeforeAnyWork() {
        fixture.run(client -> {
            for (int i = 0; i < 3; i++) {
                client.get(ACME_KEY, "/v1/partners/acme/balance");
            }
            // A malformed body, another partner: neither is looked at once the key is over its rate.
            assertThat(client.post(ACME_KEY, "/v1/partners/acme/credits", "{\"amountMinor\":").code()).isEqualTo(429);
            assertThat(client.post(ACME_KEY, "/v1/partners/globex/credits", MONEY).code()).isEqualTo(429);
            assertThat(fixture.published).isEmpty();
        });
    }

    @Test
    void eachKeyHasItsOwnBucketAndOpenRoutesAreNotLimited() {
        fixture.run(client -> {
            for (int i = 0; i < 3; i++) {
                client.get(ACME_KEY, "/v1/partners/acme/balance");
            }
            assertThat(client.get(ACME_KEY, "/v1/partners/acme/balance").code()).isEqualTo(429);
            assertThat(client.get(ADMIN_KEY, "/v1/partners/acme/balance").code()).isEqualTo(404);
            for (int i = 0; i < 10; i++) {
                assertThat(client.get(null, "/health/live").code()).isEqualTo(200);
            }
        });
    }

    @Test
    void unknownKeysAre401NotRateLimited() {
        fixture.run(client -> {
            for (int i = 0; i < 10; i++) {
                assertThat(client.get("unknown", "/v1/partners/acme/balance").code()).isEqualTo(401);
            }
            assertThat(client.get(ACME_KEY, "/v1/partners/acme/balance").code()).isEqualTo(404);
        });
    }

    private void advanceMs(final long ms) {
        fixture.nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
    }
}
