// bursar reset --views on a real broker: refused while an instance runs; afterwards the views rebuild to what they were.
package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.app.kafka.EmbeddedKafkaBroker;
import io.bursar.connectors.HttpJsonConnector;
import io.bursar.connectors.ProviderSetting;
import io.bursar.gateway.ApiKeys;
import io.bursar.sandbox.ProviderSimulator;
import io.bursar.sandbox.SimulatorConfig;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.serdes.Topics;
import io.bursar.topology.Generation;
import io.bursar.topology.orders.OrderProcessor;
import io.bursar.topology.payments.PartnerProcessor;
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
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * Provider payments and an order through one instance; then {@code bursar reset --views} is refused while the
 * instance runs, done once it is stopped, and the restarted instance rebuilds every view to exactly what it read
 * before, without a single new provider call.
 */
class ResetIT {

    private static final String ADMIN_KEY = ApiKeys.newKey();
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final Started started = new Started();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void theViewsRebuildFromTheEventsWithoutANewProviderCall() throws Exception {
        final Cluster cluster = start(SimulatorConfig.defaults().withRateLimitPerSecond(50).withDedupe(true));
        final ProviderSimulator simulator = cluster.simulator();
        final Path configFile = cluster.configFile();
        final BursarConfig config = cluster.config();
        BursarNode node = cluster.node();
        final String url = node.gateway().url();
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

    @Test
    void everyStoreIsRebuiltFromTheCommandsWithoutANewProviderCall() throws Exception {
        // One call in five fails with a server error, so that payments are retried and their attempts recorded.
        final Cluster cluster = start(SimulatorConfig.defaults().withRateLimitPerSecond(50).withDedupe(true)
                .withFailureRates(0.2, 0, 0).withSeed(15));
        final ProviderSimulator simulator = cluster.simulator();
        final Path configFile = cluster.configFile();
        final BursarConfig config = cluster.config();
        BursarNode node = cluster.node();
        final String url = node.gateway().url();
        post(url, "/v1/partners/acme/debits", "{\"amountMinor\":1500,\"currency\":\"EUR\"}");
        post(url, "/v1/partners/globex/debits", "{\"amountMinor\":1,\"currency\":\"EUR\"}");
        post(url, "/v1/partners/acme/holds", "{\"holdId\":\"h-captured\",\"amountMinor\":700,\"currency\":\"EUR\","
                + "\"ttlMs\":600000}");
        post(url, "/v1/partners/acme/holds/h-captured/capture", "{\"amountMinor\":500,\"currency\":\"EUR\"}");
        post(url, "/v1/partners/acme/holds", "{\"holdId\":\"h-released\",\"amountMinor\":300,\"currency\":\"EUR\","
                + "\"ttlMs\":600000}");
        post(url, "/v1/partners/acme/holds/h-released/release", "{}");
        // Ends on its own: the processor's clock ticks it out of the log, and a reprocessing reads the same tick.
        post(url, "/v1/partners/acme/holds", "{\"holdId\":\"h-expired\",\"amountMinor\":900,\"currency\":\"EUR\","
                + "\"ttlMs\":1000}");
        final List<String> paths = new ArrayList<>(List.of("/v1/partners/acme/balance"));
        for (int i = 0; i < 8; i++) {
            post(url, "/v1/payments", "{\"paymentId\":\"pay-" + i + "\",\"partnerId\":\"acme\",\"amountMinor\":"
                    + (100 + i) + ",\"currency\":\"EUR\",\"method\":\"PROVIDER\",\"providerId\":\"sim\"}");
            paths.add("/v1/payments/pay-" + i);
        }
        put(url, "/v1/items/ball", "{\"categoryId\":\"toys\",\"name\":\"Ball\",\"priceMinor\":300,\"currency\":\"EUR\","
                + "\"stock\":10}");
        awaitStatus(url, "/v1/categories/toys/items/ball", 200);
        final long catalogued = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (send(url, "/v1/orders", "POST", order("o-paid"), false) == 400 && System.nanoTime() < catalogued) {
            Thread.sleep(100);
        }
        paths.add("/v1/orders/o-paid");
        // Every provider answer is in before the refund: a reprocessing merges a partner's commands and its provider
        // answers by record time, and live a refund that overtook an answer would see another balance.
        for (final String path : paths) {
            awaitSettled(url, path);
        }
        post(url, "/v1/partners/acme/payments/pay-3/refund", "{}");
        final Map<String, JsonNode> before = new LinkedHashMap<>();
        for (final String path : paths) {
            before.put(path, awaitSettled(url, path));
        }
        final long heldUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (before.get("/v1/partners/acme/balance").toString().contains("\"heldMinor\":900")) {
            assertThat(System.nanoTime()).as("h-expired ended within 30 s").isLessThan(heldUntil);
            Thread.sleep(200);
            before.put("/v1/partners/acme/balance", awaitSettled(url, "/v1/partners/acme/balance"));
        }
        final Map<String, Map<String, String>> storesBefore = awaitQuiet(node);
        final long callsBefore = simulator.stats().calls();
        assertThat(callsBefore).isGreaterThanOrEqualTo(9);
        assertThat(storesBefore.get(PartnerProcessor.HOLDS_STORE)).as("every hold ended").isEmpty();

        final Run refused = reset(configFile, "--all", "--yes");
        assertThat(refused.exit()).isEqualTo(ResetCommand.REFUSED);
        assertThat(refused.err()).contains("group reset-it has 1 active member");
        node.close();
        assertThat(reset(configFile, "--all", "--to-datetime", "2026-12-01T00:00:00Z", "--yes").err())
                .contains("--to-datetime is not offered");
        final Run dryRun = reset(configFile, "--all", "--dry-run");
        assertThat(dryRun.exit()).as(dryRun.err()).isZero();
        assertThat(dryRun.out()).contains("Would start generation 1 of reset-it");
        final Run done = reset(configFile, "--all", "--to-earliest", "--yes");
        assertThat(done.exit()).as(done.out() + done.err()).isZero();
        assertThat(done.out()).contains("Recorded generation 1");
        assertThat(Path.of(config.getString(BursarConfig.STATE_DIR)).resolve("reset-it")).doesNotExist();

        node = started.track(BursarNode.start(config));
        node.awaitRunning(Duration.ofSeconds(60));
        final String again = node.gateway().url();
        for (final Map.Entry<String, JsonNode> view : before.entrySet()) {
            assertThat(awaitSettled(again, view.getKey())).as(view.getKey()).isEqualTo(view.getValue());
        }
        final Map<String, Map<String, String>> storesAfter = awaitQuiet(node);
        for (final String store : COMPARED_STORES) {
            assertThat(storesAfter.get(store)).as(store).isEqualTo(storesBefore.get(store));
        }
        assertThat(simulator.stats().calls()).as("no provider call while the commands were processed again")
                .isEqualTo(callsBefore);

        // Downstream: the first generation's events, then the second's, the same decisions marked with its number.
        final Map<Integer, List<String>> decisions = decisionsByGeneration(cluster.broker(), node.topics());
        assertThat(decisions.keySet()).containsExactly(0, 1);
        assertThat(decisions.get(1)).containsExactlyInAnyOrderElementsOf(decisions.get(0));
        assertThat(decisions.get(0)).anyMatch(event -> event.contains("\"commandId\": \"expired:"));

        node.close();
        final Run verify = verify(configFile);
        assertThat(verify.exit()).as(verify.out() + verify.err()).isZero();
        assertThat(verify.out()).contains("events of earlier generations (superseded)");
    }

    @Test
    void aMemoryOfCommandsLeftByAnEarlierBuildStopsTheStartUntilResetRebuildsIt() throws Exception {
        final EmbeddedKafkaBroker broker = started.broker();
        final ProviderSimulator simulator = started.track(ProviderSimulator.start(SimulatorConfig.defaults()));
        final Path configFile = writeConfig(broker, simulator);
        final BursarConfig config = new BursarConfig(load(configFile));
        // What an earlier build left: the changelog of the partner's memory under its former name.
        broker.createTopics(Map.of("reset-it-balance-command-results-changelog", 4));

        assertThatThrownBy(() -> BursarNode.start(config)).isInstanceOf(StartupException.class)
                .hasMessageContaining("reset-it-balance-command-results-changelog")
                .hasMessageContaining("bursar reset --all");
        final Run reset = reset(configFile, "--all", "--yes");
        assertThat(reset.exit()).as(reset.out() + reset.err()).isZero();
        final BursarNode node = started.track(BursarNode.start(config));
        node.awaitRunning(Duration.ofSeconds(60));
    }

    /** The stores a reprocessing must rebuild to the same entries: every store of the partner and category tasks. */
    private static final List<String> COMPARED_STORES = List.of(PartnerProcessor.BALANCES_STORE,
            PartnerProcessor.HOLDS_STORE, PartnerProcessor.HOLD_DEADLINES_STORE,
            PartnerProcessor.RESULTS_STORE, PartnerProcessor.PAYMENTS_STORE, OrderProcessor.ITEMS_STORE,
            OrderProcessor.ORDERS_STORE, OrderProcessor.HOLD_DEADLINES_STORE, OrderProcessor.RESULTS_STORE);

    private static String order(final String orderId) {
        return "{\"orderId\":\"" + orderId + "\",\"customerId\":\"c-1\",\"partnerId\":\"acme\",\"items\":"
                + "[{\"itemId\":\"ball\",\"quantity\":2}],\"holdTtlMs\":600000,\"payment\":{\"method\":\"BALANCE\"}}";
    }

    /** Every entry of every store of the commands application, as text, once two reads a second apart agree. */
    private static Map<String, Map<String, String>> awaitQuiet(final BursarNode node) throws Exception {
        Map<String, Map<String, String>> last = null;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            final Map<String, Map<String, String>> now = new LinkedHashMap<>();
            for (final String store : COMPARED_STORES) {
                now.put(store, entries(node.streams(), store));
            }
            if (now.equals(last)) {
                return now;
            }
            assertThat(System.nanoTime()).as("stores settled within 90 s").isLessThan(deadline);
            last = now;
            Thread.sleep(1_000);
        }
    }

    private static Map<String, String> entries(final KafkaStreams streams, final String store) {
        final Map<String, String> entries = new TreeMap<>();
        if (store.equals(PartnerProcessor.RESULTS_STORE) || store.equals(OrderProcessor.RESULTS_STORE)) {
            try (KeyValueIterator<Windowed<Object>, Object> all = streams.store(StoreQueryParameters
                    .fromNameAndType(store, QueryableStoreTypes.windowStore())).all()) {
                all.forEachRemaining(kv -> entries.put(kv.key.key() + "@" + kv.key.window().start(),
                        String.valueOf(kv.value)));
            }
        } else {
            try (KeyValueIterator<Object, Object> all = streams.store(StoreQueryParameters
                    .fromNameAndType(store, QueryableStoreTypes.keyValueStore())).all()) {
                all.forEachRemaining(kv -> entries.put(String.valueOf(kv.key), String.valueOf(kv.value)));
            }
        }
        return entries;
    }

    /** Per generation, each payment and order event's decision: command id, type, outcome, reason, state after. */
    private static Map<Integer, List<String>> decisionsByGeneration(final EmbeddedKafkaBroker broker,
                                                                    final Topics topics) {
        final Map<Integer, List<String>> decisions = new TreeMap<>();
        final Map<String, Object> props = Map.of("bootstrap.servers", broker.bootstrapServers(),
                "isolation.level", "read_committed", "auto.offset.reset", "earliest");
        final Deserializer<PaymentEvent> payments = topics.paymentEvents.valueSerde().deserializer();
        final Deserializer<OrderEvent> orders = topics.orderEvents.valueSerde().deserializer();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = new ArrayList<>();
            for (final String topic : List.of(topics.paymentEvents.name(), topics.orderEvents.name())) {
                consumer.partitionsFor(topic).forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
            }
            consumer.assign(partitions);
            final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    final String decision;
                    if (record.topic().equals(topics.paymentEvents.name())) {
                        final PaymentEvent event = payments.deserialize(record.topic(), record.value());
                        decision = String.valueOf(event);
                    } else {
                        final OrderEvent event = orders.deserialize(record.topic(), record.value());
                        decision = String.valueOf(event);
                    }
                    decisions.computeIfAbsent(Generation.of(record.headers()), g -> new ArrayList<>()).add(decision);
                }
            }
        }
        return decisions;
    }

    private static Run verify(final Path configFile) {
        return run(new VerifyCommand(), "--config", configFile.toString());
    }

    /**
     * A broker, a provider simulator, a properties file naming both, and one running instance on it, where partner
     * acme has been credited 100,000 EUR.
     */
    private record Cluster(EmbeddedKafkaBroker broker, ProviderSimulator simulator, Path configFile,
                           BursarConfig config, BursarNode node) {
    }

    private Cluster start(final SimulatorConfig provider) throws Exception {
        final EmbeddedKafkaBroker broker = started.broker();
        final ProviderSimulator simulator = started.track(ProviderSimulator.start(provider));
        final Path configFile = writeConfig(broker, simulator);
        final BursarConfig config = new BursarConfig(load(configFile));
        final BursarNode node = BursarNode.start(config);
        node.awaitRunning(Duration.ofSeconds(60));
        post(node.gateway().url(), "/v1/partners/acme/credits", "{\"amountMinor\":100000,\"currency\":\"EUR\"}");
        return new Cluster(broker, simulator, configFile, config, node);
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run reset(final Path configFile, final String... args) {
        final List<String> all = new ArrayList<>(List.of("--config", configFile.toString()));
        all.addAll(List.of(args));
        return run(new ResetCommand(), all.toArray(String[]::new));
    }

    private static Run run(final Object command, final String... args) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final PrintStream stdout = System.out;
        final PrintStream stderr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            final int exit = new CommandLine(command).execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
    }

    private static Path writeConfig(final EmbeddedKafkaBroker broker, final ProviderSimulator simulator)
            throws Exception {
        final Map<String, String> settings = Started.settings(broker, "reset-it", ADMIN_KEY);
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

    /** The view at {@code path} once final (when it says) and the same in two reads half a second apart. */
    private JsonNode awaitSettled(final String url, final String path) throws Exception {
        JsonNode last = null;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            final HttpResponse<String> answer = get(url, path);
            if (answer.statusCode() == 200) {
                final JsonNode view = JSON.readTree(answer.body());
                if (view.path("terminal").asBoolean(true) && view.equals(last)) {
                    return view;
                }
                last = view;
            } else {
                assertThat(answer.statusCode()).as(path + ": " + answer.body()).isIn(404, 503);
            }
            assertThat(System.nanoTime()).as("%s settled within 90 s", path).isLessThan(deadline);
            Thread.sleep(500);
        }
    }

    private HttpResponse<String> get(final String url, final String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + ADMIN_KEY)
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
