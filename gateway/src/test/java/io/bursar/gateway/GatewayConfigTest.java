package io.bursar.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** Gateway configuration: the declared keys, their defaults, and start-up failures on bad values. */
class GatewayConfigTest {

    private static final String HASH = ApiKeys.sha256Hex("some-key");

    @Test
    void everyKeyIsDeclaredOnceWithItsDefault() {
        assertThat(GatewayConfig.DEFINITION.names()).containsExactlyInAnyOrder("http.host", "http.advertised.host", "http.port",
                "http.max.request.bytes", "http.publish.timeout.ms", "auth.api.keys", "auth.rate.per.second",
                "auth.rate.burst", "http.long.poll.max.ms", "http.threads.max", "order.batch.size");

        final Gateway.Settings settings = new GatewayConfig(Map.of()).settings(60_000L);

        assertThat(settings.host()).isEqualTo("127.0.0.1");
        assertThat(settings.port()).isEqualTo(8080);
        assertThat(settings.maxRequestBytes()).isEqualTo(16_384L);
        assertThat(settings.publishTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(settings.holdTtlMsMax()).isEqualTo(60_000L);
        assertThat(settings.apiKeys().size()).isZero();
        assertThat(settings.ratePerSecond()).isEqualTo(200);
        assertThat(settings.longPollMax()).isEqualTo(Duration.ofSeconds(30));
        assertThat(settings.rateBurst()).isEqualTo(400);
        assertThat(settings.orderBatchSize()).isEqualTo(1_000);
        assertThat(GatewayConfig.DEFINITION.toRst()).contains("auth.api.keys", "auth.rate.burst", "http.long.poll.max.ms", "http.threads.max", "order.batch.size");
    }

    @Test
    void peersAreToldAHostTheyCanReach() throws Exception {
        assertThat(new GatewayConfig(Map.of()).advertisedHost()).isEqualTo("127.0.0.1");
        assertThat(new GatewayConfig(Map.of(GatewayConfig.HTTP_HOST, "0.0.0.0",
                GatewayConfig.HTTP_ADVERTISED_HOST, "bursar-1")).advertisedHost()).isEqualTo("bursar-1");
        // A wildcard is where the gateway listens, not an address a peer can forward to.
        assertThat(new GatewayConfig(Map.of(GatewayConfig.HTTP_HOST, "0.0.0.0")).advertisedHost())
                .isEqualTo(java.net.InetAddress.getLocalHost().getHostName()).isNotEqualTo("0.0.0.0");
    }

    @Test
    void theOrderProcessorsLimitsBoundTheOrderSettings() {
        final Gateway.Settings settings = new GatewayConfig(Map.of(GatewayConfig.ORDER_BATCH_SIZE, "500"))
                .settings(60_000L, 3_600_000L, 500);
        assertThat(settings.holdTtlMsMax()).isEqualTo(60_000L);
        assertThat(settings.orderHoldTtlMsMax()).isEqualTo(3_600_000L);
        assertThat(settings.orderBatchSize()).isEqualTo(500);
        assertThat(new GatewayConfig(Map.of()).settings(60_000L).orderHoldTtlMsMax()).isEqualTo(60_000L);

        assertThatThrownBy(() -> new GatewayConfig(Map.of(GatewayConfig.ORDER_BATCH_SIZE, "501"))
                .settings(60_000L, 3_600_000L, 500))
                .isInstanceOf(ConfigException.class).hasMessageContaining(GatewayConfig.ORDER_BATCH_SIZE);
    }

    @Test
    void keysAndRolesAreParsed() {
        final Gateway.Settings settings = new GatewayConfig(Map.of(GatewayConfig.AUTH_API_KEYS,
                HASH.toUpperCase() + ":admin, " + ApiKeys.sha256Hex("other") + ":partner:acme:eu-1")).settings(1L);

        assertThat(settings.apiKeys().size()).isEqualTo(2);
        assertThat(settings.apiKeys().authenticate("some-key")).contains(Caller.admin(HASH));
        assertThat(settings.apiKeys().authenticate("other"))
                .contains(Caller.partner(ApiKeys.sha256Hex("other"), "acme:eu-1"));
    }

    @Test
    void badKeyEntriesFailAtStartWithoutEchoingThem() {
        for (final String entry : new String[] {
            "my-plain-secret-key:admin",
            HASH.substring(1) + ":admin",
            HASH.replace(HASH.charAt(0), 'g') + ":admin",
            HASH,
            HASH + ":",
            HASH + ":root",
            HASH + ":partner:",
            HASH + ":partner:a b",
            HASH + ":partner:" + "p".repeat(129),
            HASH + ":admin," + HASH + ":partner:acme",
        }) {
            assertThatThrownBy(() -> new GatewayConfig(Map.of(GatewayConfig.AUTH_API_KEYS, entry)))
                    .as(entry)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining(GatewayConfig.AUTH_API_KEYS)
                    .hasMessageNotContaining("my-plain-secret-key")
                    .hasMessageNotContaining(HASH.substring(1, 20));
        }
    }

    @Test
    void valuesOutOfRangeFailAtStart() {
        for (final Map<String, String> bad : java.util.List.of(
                Map.of(GatewayConfig.HTTP_PORT, "65536"),
                Map.of(GatewayConfig.HTTP_PORT, "-1"),
                Map.of(GatewayConfig.HTTP_HOST, ""),
                Map.of(GatewayConfig.HTTP_MAX_REQUEST_BYTES, "10"),
                Map.of(GatewayConfig.HTTP_PUBLISH_TIMEOUT_MS, "0"),
                Map.of(GatewayConfig.AUTH_RATE_PER_SECOND, "0"),
                Map.of(GatewayConfig.AUTH_RATE_BURST, "1000001"),
                Map.of(GatewayConfig.AUTH_RATE_BURST, "lots"),
                Map.of(GatewayConfig.ORDER_BATCH_SIZE, "0"),
                Map.of(GatewayConfig.ORDER_BATCH_SIZE, "10001"))) {
            assertThatThrownBy(() -> new GatewayConfig(bad)).as(bad.toString()).isInstanceOf(ConfigException.class);
        }
    }
}
