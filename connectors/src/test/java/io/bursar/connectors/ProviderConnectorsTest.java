// Tests the registry's parsing, defaults and fail-fast validation of the providers.<id>.* keys.
package io.bursar.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProviderConnectorsTest {

    private static Map<String, String> withUrl(final Map<String, String> more) {
        final Map<String, String> properties = new HashMap<>(more);
        properties.put("providers.acme.url", "http://127.0.0.1:9/");
        return properties;
    }

    @Test
    void defaultsApplyWhenOnlyTheUrlIsGiven() {
        try (ProviderConnectors registry = ProviderConnectors.fromProperties(withUrl(Map.of()))) {
            final ProviderConfig config = registry.config("acme");

            assertThat(registry.providerIds()).containsExactly("acme");
            assertThat(config.type()).isEqualTo("http");
            assertThat(config.url()).isEqualTo(URI.create("http://127.0.0.1:9"));
            assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
            assertThat(config.requestTimeout()).isEqualTo(Duration.ofSeconds(10));
            assertThat(config.ratePerSecond()).isEqualTo(2);
            assertThat(config.burst()).isEqualTo(2);
            assertThat(config.inFlightMax()).isEqualTo(64);
            assertThat(config.windowMargin()).isEqualTo(Duration.ofMillis(30));
            assertThat(registry.connector("acme")).isInstanceOf(HttpJsonConnector.class);
            assertThat(registry.contains("acme")).isTrue();
        }
    }

    @Test
    void everyKeyIsParsedIntoItsTypedValueAndOtherKeysAreIgnored() {
        final Properties properties = new Properties();
        properties.setProperty("providers.acme.type", "http");
        properties.setProperty("providers.acme.url", "https://pay.example.com/v1");
        properties.setProperty("providers.acme.connect.timeout.ms", "500");
        properties.setProperty("providers.acme.request.timeout.ms", " 1500 ");
        properties.setProperty("providers.acme.rate.per.second", "5");
        properties.setProperty("providers.acme.burst", "10");
        properties.setProperty("providers.acme.in.flight.max", "3");
        properties.setProperty("providers.acme.window.margin.ms", "0");
        properties.setProperty("providers.finance-service.url", "http://localhost:8081");
        properties.setProperty("bootstrap.servers", "localhost:9092");

        try (ProviderConnectors registry = ProviderConnectors.fromProperties(properties)) {
            assertThat(registry.providerIds()).containsExactly("acme", "finance-service");
            assertThat(registry.config("acme")).isEqualTo(new ProviderConfig("acme", "http",
                    URI.create("https://pay.example.com/v1"), Duration.ofMillis(500), Duration.ofMillis(1500), 5, 10, 3,
                    Duration.ZERO));
        }
    }

    @Test
    void noProvidersIsAnEmptyRegistry() {
        try (ProviderConnectors registry = ProviderConnectors.fromProperties(Map.of("unrelated", "x"))) {
            assertThat(registry.providerIds()).isEmpty();
            assertThatThrownBy(() -> registry.connector("acme"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("unknown provider 'acme'");
        }
    }

    @Test
    void aNewAdapterTypeIsOneFactoryInTheTypeMap() {
        final ConnectorFactory fake = config -> request -> CompletableFuture.completedFuture(
                ProviderResult.success(request.idempotencyKey(), 200, Optional.of(config.providerId())));
        final Map<String, String> properties = withUrl(Map.of("providers.acme.type", "fake"));

        try (ProviderConnectors registry = ProviderConnectors.fromProperties(properties, Map.of("fake", fake))) {
            final ProviderResult result = registry.connector("acme")
                    .submit(new ProviderRequest("k", "p", "partner", 1, "EUR", 0)).join();
            assertThat(result.providerReference()).contains("acme");
        }
    }

    @Test
    void unknownTypeFailsNamingTheKeyAndTheKnownTypes() {
        assertThatThrownBy(() -> ProviderConnectors.fromProperties(withUrl(Map.of("providers.acme.type", "soap"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("providers.acme.type")
                .hasMessageContaining("soap")
                .hasMessageContaining("[http]");
    }

    @Test
    void missingUrlFails() {
        assertThatThrownBy(() -> ProviderConnectors.fromProperties(Map.of("providers.acme.burst", "4")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("providers.acme.url is required");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://host/x", "not a url", "/relative/path", "http://", "http://host/x?q=1", ""})
    void badUrlsFail(final String url) {
        assertThatThrownBy(() -> ProviderConnectors.fromProperties(Map.of("providers.acme.url", url)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("providers.acme.url");
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "0", "-1", "1.5", "10001", "99999999999999999999"})
    void badNumbersFailWithTheValidRange(final String value) {
        assertThatThrownBy(() -> ProviderConnectors.fromProperties(withUrl(Map.of("providers.acme.burst", value))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("providers.acme.burst must be an integer in [1, 10000]");
    }

    @Test
    void timeoutsOutsideTheirRangeFail() {
        assertThatThrownBy(() -> ProviderConnectors.fromProperties(
                withUrl(Map.of("providers.acme.request.timeout.ms", "300001"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("providers.acme.request.timeout.ms");
    }

    @Test
    void unknownSettingFailsInsteadOfFallingBackToTheDefault() {
        assertThatThrownBy(() -> ProviderConnectors.fromProperties(withUrl(Map.of("providers.acme.rate.per.sec", "5"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown provider key 'providers.acme.rate.per.sec'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"providers.acme", "providers..url", "providers.acme.", "providers.Acme.url", "providers.a b.url"})
    void malformedKeysOrIdsFail(final String key) {
        assertThatThrownBy(() -> ProviderConnectors.fromProperties(Map.of(key, "http://127.0.0.1:9")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(key.substring(0, key.length() - 1));
    }

    @Test
    void tooManyProvidersFail() {
        final Map<String, String> properties = new HashMap<>();
        for (int i = 0; i <= ProviderConnectors.PROVIDERS_MAX; i++) {
            properties.put("providers.p" + i + ".url", "http://127.0.0.1:9");
        }
        assertThatThrownBy(() -> ProviderConnectors.parse(properties, ProviderConnectors.BUILT_IN_TYPES.keySet()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most " + ProviderConnectors.PROVIDERS_MAX);
    }

    @Test
    void aFailingFactoryClosesTheConnectorsAlreadyBuilt() {
        final AtomicInteger closed = new AtomicInteger();
        final ConnectorFactory closeCounting = config -> new ProviderConnector() {
            @Override
            public CompletableFuture<ProviderResult> submit(final ProviderRequest request) {
                throw new AssertionError("not called");
            }

            @Override
            public void close() {
                closed.incrementAndGet();
            }
        };
        final ConnectorFactory failing = config -> {
            throw new IllegalArgumentException("cannot build " + config.providerId());
        };
        final Map<String, String> properties = Map.of(
                "providers.a.type", "ok", "providers.a.url", "http://127.0.0.1:9",
                "providers.b.type", "broken", "providers.b.url", "http://127.0.0.1:9");

        assertThatThrownBy(() -> ProviderConnectors.fromProperties(properties, Map.of("ok", closeCounting, "broken", failing)))
                .hasMessage("cannot build b");
        assertThat(closed).hasValue(1);
    }

    @Test
    void everySettingHasADocumentedDefaultOrIsRequired() {
        for (final ProviderSetting setting : ProviderSetting.values()) {
            assertThat(setting.doc()).isNotBlank();
            if (setting.isNumeric()) {
                final long value = Long.parseLong(setting.defaultValue().orElseThrow());
                assertThat(value).isBetween(setting.min(), setting.max());
            }
        }
        assertThat(List.of(ProviderSetting.values())).filteredOn(setting -> setting.defaultValue().isEmpty())
                .containsExactly(ProviderSetting.URL);
    }
}
