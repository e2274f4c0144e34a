// bursar reset --views on a real broker: refused while an instance runs; afterwards the views rebuild to what they were.
package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.app.kafka.EmbeddedKafkaBroker;
import io.bursar.connectors.HttpJsonConnector;
import io.bursar.connectors.ProviderSetting;
import io.bursar.gateway.ApiKeys;
import io.bursar.gateway.GatewayConfig;
import io.bursar.sandbox.ProviderSimulator;
import io.bursar.sandbox.SimulatorConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Provider payments and an order through one instance; then {@code bursar reset --views} is refused while the
 * instance runs, done once it is stopped, and the restarted instance rebuilds every view to exactly what it read
 * before, without a single new provider call.
 */
class ResetIT {

    private static final String ADMIN_KEY = ApiKeys.newKey();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Started started = new Started();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() {
        started.close();
    }

    @Test
    void theViewsRebuildFromTheEventsWithoutANewProviderCall() throws Exception {
        final EmbeddedKafkaBroker broker = started.track(EmbeddedKafkaBroker.builder().build().start());
        final ProviderSimulator simulator = started.track(ProviderSimulator.start(SimulatorConfig.defaults()
                .withRateLimitPerSecond(50).withDedupe(true)));
        final Path configFile = writeConfig(broker, simulator);
        final BursarConfig config = new BursarConfig(load(configFile));

        BursarNode node = BursarNode.start(config);
        node.awaitRunning(Duration.ofSeconds(60));
        final String url = node.gateway().url();
        post(url, "/v1/partners/acme/credits", "{\"amountMinor\":100000,\"currency\":\"EUR\"}");
        final List<String> paths = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            post(url, "/v1/payments", "{\"paymentId\":\"pay-" + i + "\",\"partnerId\":\"acme\",\"amountMinor\":" + (100 + i)
                    + ",\"currency\":\"EUR\",\"method\":\"PROVIDER\",\"providerId\":\"sim\"}");
            paths.add("/v1/payments/pay-" + i);
        }
        post(url, "/v1/payments", "{\"paymentId\":\"pay-b\",\"partnerId\":\"acme\",\"amountMinor\":250,"
                + "\"currency\":\"EUR\",\"method\":\"BALANCE\"}");
        paths.add("/v1/payments/pay-b");
        put(url, "/v1/items/ball", "{\"categoryId\":\"toys\",\"name\":\"Ball\",\"priceMinor\":300,\"currency\":\"EUR\","
                + "\"stock\":10}");
        awaitStatus(url, "/v1/categories/toys/items/ball", 200);
        // The gateway splits orders by the catalog, a global table that follows the item by a moment.
        final String order = "{\"orderId\":\"o-1\",\"customerId\":\"c-1\",\"partnerId\":\"acme\",\"items\":"
                + "[{\"itemId\":\"ball\",\"quantity\":2}],\"holdTtlMs\":600000,\"payment\":{\"method\":\"BALANCE\"}}";
        final long catalogued = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (send(url, "/v1/orders", "POST", order, false) == 400 && System.nanoTime() < catalogued) {
            Thread.sleep(100);
        }
        paths.add("/v1/orders/o-1");
        final Map<String, JsonNode> before = new LinkedHashMap<>();
        for (final String path : paths) {
            before.put(path, awaitFinal(url, path));
        }
        final long callsBefore = simulator.stats().calls();
        assertThat(callsBefore).isGreaterThanOrEqualTo(5);

        // Refused while the instance runs, naming it.
        final Run refused = reset(configFile, "--views", "--yes");
        assertThat(refused.exit()).isEqualTo(ResetCommand.REFUSED);
        assertThat(refused.err()).contains("active member");
        assertThat(reset(configFile, "--views").exit()).as("without --yes").isEqualTo(ResetCommand.REFUSED);

        node.close();
        final Run dryRun = reset(configFile, "--views", "--dry-run");
        assertThat(dryRun.exit()).isZero();
        assertThat(dryRun.out()).contains("Would reset " + ResetCommand.viewsApplicationId(config));
        final Path viewsState = Path.of(config.getString(BursarConfig.STATE_DIR))
                .resolve(ResetCommand.viewsApplicationId(config));
        assertThat(viewsState).exists();
        final Run done = reset(configFile, "--views", "--yes");
        assertThat(done.exit()).as(done.err()).isZero();
        assertThat(viewsState).doesNotExist();

        node = started.track(BursarNode.start(config));
        node.awaitRunning(Duration.ofSeconds(60));
        final String again = node.gateway().url();
        for (final Map.Entry<String, JsonNode> view : before.entrySet()) {
            assertThat(awaitFinal(again, view.getKey())).as(view.getKey()).isEqualTo(view.getValue());
        }
        assertThat(simulator.stats().calls()).as("no provider call while the views rebuilt").isEqualTo(callsBefore);
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run reset(final Path configFile, final String... args) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final PrintStream stdout = System.out;
        final PrintStream stderr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            final List<String> all = new ArrayList<>(List.of("--config", configFile.toString()));
            all.addAll(List.of(args));
            final int exit = new CommandLine(new ResetCommand()).execute(all.toArray(String[]::new));
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
    }

    private static Path writeConfig(final EmbeddedKafkaBroker broker, final ProviderSimulator simulator)
            throws Exception {
        final Map<String, String> settings = new HashMap<>(Map.of(
                BursarConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers(),
                BursarConfig.SCHEMA_REGISTRY_URL, "mock://reset-it",
                BursarConfig.APPLICATION_ID, "reset-it",
                BursarConfig.STATE_DIR, Files.createTempDirectory("bursar-reset-it").toString(),
                GatewayConfig.HTTP_PORT, "0",
                GatewayConfig.AUTH_API_KEYS, ApiKeys.sha256Hex(ADMIN_KEY) + ":admin"));
        settings.put(ProviderSetting.TYPE.key("sim"), HttpJsonConnector.TYPE);
        settings.put(ProviderSetting.URL.key("sim"), simulator.baseUrl().toString());
        settings.put(ProviderSetting.RATE_PER_SECOND.key("sim"), "50");
        settings.put(ProviderSetting.BURST.key("sim"), "50");
        final Properties props = new Properties();
        props.putAll(settings);
        final Path file = Files.createTempFile("bursar-reset-it", ".properties");
        try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            props.store(writer, "ResetIT");
        }
        return file;
    }

    private static Map<String, String> load(final Path file) throws Exception {
        final Properties props = new Properties();
        try (var reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(reader);
        }
        final Map<String, String> settings = new HashMap<>();
        props.stringPropertyNames().forEach(name -> settings.put(name, props.getProperty(name)));
        return settings;
    }

    private void post(final String url, final String path, final String body) throws Exception {
        send(url, path, "POST", body, true);
    }

    private void put(final String url, final String path, final String body) throws Exception {
        send(url, path, "PUT", body, true);
    }

    /** The status of the answer; with {@code accepted}, asserts it is 202. */
    private int send(final String url, final String path, final String method, final String body,
                     final boolean accepted) throws Exception {
        final HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(url + path))
                .header("Authorization", "Bearer " + ADMIN_KEY).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (accepted) {
            assertThat(answer.statusCode()).as(method + " " + path + ": " + answer.body()).isEqualTo(202);
        }
        return answer.statusCode();
    }

    private void awaitStatus(final String url, final String path, final int status) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (get(url, path).statusCode() != status) {
            assertThat(System.nanoTime()).as("%s answered %d within 60 s", path, status).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** The view at {@code path} once it says it is final ({@code terminal}); 404s and 503s are waited out. */
    private JsonNode awaitFinal(final String url, final String path) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            final HttpResponse<String> answer = get(url, path);
            if (answer.statusCode() == 200) {
                final JsonNode view = JSON.readTree(answer.body());
                if (view.path("terminal").asBoolean()) {
                    return view;
                }
            } else {
                assertThat(answer.statusCode()).as(path + ": " + answer.body()).isIn(404, 503);
            }
            assertThat(System.nanoTime()).as("%s final within 90 s", path).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private HttpResponse<String> get(final String url, final String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + ADMIN_KEY)
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
