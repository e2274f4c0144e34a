// Peer-to-peer lending measured: investor orders of thousands of loan notes through a slow Finance Service, in bulk calls.
package io.bursar.app.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bursar.app.BursarConfig;
import io.bursar.app.BursarNode;
import io.bursar.app.ProgressBar;
import io.bursar.app.kafka.EmbeddedKafkaBroker;
import io.bursar.connectors.HttpJsonConnector;
import io.bursar.connectors.ProviderSetting;
import io.bursar.gateway.ApiKeys;
import io.bursar.gateway.GatewayConfig;
import io.bursar.sandbox.ProviderSimulator;
import io.bursar.sandbox.SimulatorConfig;
import io.bursar.sandbox.SimulatorStats;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.dispatch.ProviderCall;
import io.bursar.schemas.dispatch.ProviderCallResult;
import io.bursar.schemas.orders.LoanTerms;
import io.bursar.schemas.orders.OrderCommand;
import io.bursar.schemas.orders.UpsertItem;
import io.bursar.schemas.orders.UpsertItemKind;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.CreditKind;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.serdes.Topics;
import io.bursar.topology.orders.OrderTopologyConfig;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Peer-to-peer lending on a real broker: a loan book in one pool whose record is kept by a Finance Service (the provider
 * simulator over HTTP, at its rate limit, with whole calls failing and lines refused at the configured rates),
 * and one investor order per size, posted to the gateway. Bursar splits each order into batches of 1,000 lines,
 * reserves and invests each batch in one bulk call each, pays from the investor's balance and removes what the
 * Finance Service refuses. Measured per order: time from the POST to the order's final state, Finance Service
 * calls (and how many were retries), lines refused, the most calls in any second; beside a per-item
 * design (two calls per note, RESERVED then INVESTED) at the same rate.
 */
public final class LendingBenchmark {

    /** The pool the loans are in, and the provider that keeps their record. */
    public static final String POOL = "loans";
    public static final String FINANCE = "finance";
    public static final String INVESTOR = "investor-1";
    /** One note's size, in EUR minor units (25.00). */
    public static final long NOTE_MINOR = 2_500;
    private static final int LINES_PER_BATCH = 1_000;
    private static final Duration ORDER_TIMEOUT = Duration.ofMinutes(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What to run.
     *
     * @param orderNotes      one order per entry, of that many notes (one note of each of that many loans)
     * @param financeRate     the Finance Service's calls per second (its limit, and Bursar's setting for it)
     * @param callFailureRate fraction of calls the Finance Service fails whole (HTTP 500, nothing applied)
     * @param lineRefusalRate fraction of lines it refuses for good
     * @param seed            seed of the Finance Service's draws
     * @param outDir          where the chart goes, or null for none
     */
    public record Settings(List<Integer> orderNotes, int financeRate, double callFailureRate, double lineRefusalRate,
                           long seed, Path outDir) {
    }

    /**
     * One order, measured.
     *
     * @param orderId            the order
     * @param notes              notes (lines) ordered
     * @param batches            batches it was split into
     * @param status             its final status
     * @param elapsedMs          from the POST to the order's final state
     * @param financeCalls       calls the Finance Service counted for it
     * @param fulfilmentResults  the final result of each of its bulk calls (RESERVE, INVEST and any RELEASE)
     * @param retries            calls beyond the first of each bulk call
     * @param linesRefused       lines the Finance Service refused for good (its count)
     * @param linesInvested      notes invested in the end
     * @param linesRemoved       lines removed from the order, with their reason in the order's view
     * @param deadLetteredLines  lines of this order on the provider dead-letter topic
     * @param paidMinor          what the order took from the investor's balance: paid, minus what was refunded
     * @param maxCallsInOneSecond the most calls the Finance Service counted in one second during the run
     * @param rateViolations     calls it refused for going over its limit
     * @param duplicateLines     line keys it applied more than once
     * @param investedOverTime   notes invested, sampled each second from the POST
     * @param orderView          the order as GET /v1/orders/{orderId} answered at the end
     */
    public record Run(String orderId, int notes, int batches, String status, long elapsedMs, long financeCalls,
                      List<ProviderCallResult> fulfilmentResults, long retries, long linesRefused, long linesInvested,
                      long linesRemoved, long deadLetteredLines, long paidMinor, int maxCallsInOneSecond,
                      long rateViolations, long duplicateLines, List<Double> investedOverTime, JsonNode orderView,
                      long positionUnits) {

        /** Calls a per-item design makes for the same order: RESERVED, then INVESTED, per note. */
        public long perItemCalls() {
            return 2L * notes;
        }

        /** How long the per-item design takes at {@code rate} calls per second, without a single failure. */
        public double perItemSeconds(final int rate) {
            return perItemCalls() / (double) rate;
        }
    }

    public record Result(List<Run> runs, Path chart) {
    }

    private final Settings settings;
    private final PrintStream out;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String adminKey = ApiKeys.newKey();
    private BursarConfig config;
    /** Notes the investor's positions showed after the last order. */
    private long investedSoFar;

    private LendingBenchmark(final Settings settings, final PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    public static Result run(final Settings settings, final PrintStream out) throws Exception {
        return new LendingBenchmark(settings, out).run();
    }

    private Result run() throws Exception {
        final int loans = settings.orderNotes().stream().mapToInt(Integer::intValue).max().orElse(0);
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start();
             ProviderSimulator finance = ProviderSimulator.start(SimulatorConfig.defaults()
                     .withLatency(Duration.ofMillis(100), Duration.ofMillis(100))
                     .withFailureRates(settings.callFailureRate(), 0, 0)
                     .withLineRefusalRate(settings.lineRefusalRate())
                     .withRateLimitPerSecond(settings.financeRate())
                     .withRetention(SimulatorConfig.WINDOW_SECONDS_RETAINED_MAX, SimulatorConfig.CHARGE_KEYS_RETAINED_MAX)
                     // No dedupe: a line applied twice would show as a duplicate effect instead of being hidden.
                     .withDedupe(false)
                     .withSeed(settings.seed()));
             BursarNode node = BursarNode.start(config = config(broker, finance))) {
            node.awaitRunning(Duration.ofSeconds(120));
            loadLoanBook(node, loans, settings.orderNotes().size());
            final List<Run> runs = new ArrayList<>();
            int index = 0;
            for (final int notes : settings.orderNotes()) {
                runs.add(order(node, finance, "lend-" + index++ + "-" + notes, notes));
            }
            return new Result(runs, chart(runs));
        }
    }

    private BursarConfig config(final EmbeddedKafkaBroker broker, final ProviderSimulator finance) throws Exception {
        final Map<String, String> config = new HashMap<>();
        config.put(BursarConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers());
        config.put(BursarConfig.SCHEMA_REGISTRY_URL, "mock://bench-lending-" + UUID.randomUUID());
        config.put(BursarConfig.APPLICATION_ID, "bench-lending");
        config.put(BursarConfig.STATE_DIR, Files.createTempDirectory("bursar-bench-lending").toString());
        config.put(GatewayConfig.HTTP_PORT, "0");
        config.put(GatewayConfig.AUTH_API_KEYS, ApiKeys.sha256Hex(adminKey) + ":admin");
        config.put(GatewayConfig.HTTP_MAX_REQUEST_BYTES, Integer.toString(16 * 1024 * 1024));
        config.put(OrderTopologyConfig.FULFILMENT_PROVIDERS, POOL + "=" + FINANCE);
        config.put(ProviderSetting.TYPE.key(FINANCE), HttpJsonConnector.TYPE);
        config.put(ProviderSetting.URL.key(FINANCE), finance.baseUrl().toString());
        config.put(ProviderSetting.RATE_PER_SECOND.key(FINANCE), Integer.toString(settings.financeRate()));
        config.put(ProviderSetting.BURST.key(FINANCE), Integer.toString(settings.financeRate()));
        // A bulk call of 1,000 lines is answered in well under a second; a failing one is retried with backoff.
        config.put(ProviderSetting.REQUEST_TIMEOUT_MS.key(FINANCE), "10000");
        return new BursarConfig(config);
    }

    /** {@code loans} loans of {@code notesEach} notes in the pool, and the investor's cash for all of them. */
    private void loadLoanBook(final BursarNode node, final int loans, final int notesEach) throws Exception {
        out.printf("lending: loading %,d loans into pool %s%n", loans, POOL);
        final List<CompletableFuture<Void>> sent = new ArrayList<>(loans + 1);
        for (int i = 0; i < loans; i++) {
            sent.add(node.publisher().publish(OrderCommand.newBuilder()
                    .setCommandId("load-" + loanId(i)).setCategoryId(POOL).setIssuedAt(Instant.now())
                    .setPayload(UpsertItem.newBuilder().setUpsertItem(UpsertItemKind.UPSERT_ITEM).setItemId(loanId(i))
                            .setName("Loan " + i).setPrice(new Money(NOTE_MINOR, "EUR")).setStockSet((long) notesEach)
                            .setStockDelta(null).setLoan(new LoanTerms(700, 36)).build())
                    .build()));
        }
        sent.add(node.publisher().publish(PaymentCommand.newBuilder().setCommandId("load-cash-" + INVESTOR)
                .setPartnerId(INVESTOR).setIssuedAt(Instant.now())
                .setPayload(new Credit(CreditKind.CREDIT, new Money((long) loans * notesEach * NOTE_MINOR, "EUR")))
                .build()));
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        // The pool's task lists each loan in the catalog (a global table, which the gateway splits orders by) in the
        // transaction that stores it, in order: the last one listed means all are there. The catalog is read locally
        // rather than the loan through the gateway, whose key query of a store being written can deadlock with the
        // writing stream thread on this Kafka version (KAFKA-19629).
        final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (!node.catalogues(loanId(loans - 1))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the loan book was not applied within 5 minutes");
            }
            Thread.sleep(200);
        }
    }

    public static String loanId(final int i) {
        return String.format("loan-%05d", i);
    }

    private Run order(final BursarNode node, final ProviderSimulator finance, final String orderId, final int notes)
            throws Exception {
        final SimulatorStats before = finance.stats();
        final ObjectNode body = JSON.createObjectNode().put("orderId", orderId).put("customerId", INVESTOR)
                .put("partnerId", INVESTOR).put("holdTtlMs", Duration.ofMinutes(30).toMillis()).put("allowPartial", true);
        body.putObject("payment").put("method", "BALANCE");
        final ArrayNode items = body.putArray("items");
        for (int i = 0; i < notes; i++) {
            items.addObject().put("itemId", loanId(i)).put("quantity", 1);
        }
        final int batches = (notes + LINES_PER_BATCH - 1) / LINES_PER_BATCH;
        out.printf("lending: order %s of %,d notes (%d batches) at %d Finance Service calls/s%n", orderId, notes,
                batches, settings.financeRate());
        final long cashBefore = cash(node);
        final long start = System.nanoTime();
        final HttpResponse<String> posted = http.send(HttpRequest.newBuilder(URI.create(node.gateway().url() + "/v1/orders"))
                .header("Authorization", "Bearer " + adminKey).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (posted.statusCode() != 202) {
            throw new IllegalStateException("POST /v1/orders answered " + posted.statusCode() + ": " + posted.body());
        }
        final List<Double> investedOverTime = new ArrayList<>();
        JsonNode view = null;
        long nextSampleNanos = start + TimeUnit.SECONDS.toNanos(1);
        final long deadline = start + ORDER_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            final HttpResponse<String> read = get(node, "/v1/orders/" + orderId);
            if (read.statusCode() == 200) {
                view = JSON.readTree(read.body());
                final long invested = view.path("fulfilment").path("linesInvested").asLong();
                ProgressBar.print(out, "invested", invested, notes, view.path("fulfilment").path("batches").toString());
                if (System.nanoTime() >= nextSampleNanos) {
                    investedOverTime.add((double) invested);
                    nextSampleNanos += TimeUnit.SECONDS.toNanos(1);
                }
                if (view.path("terminal").asBoolean() && view.path("batches").size() == batches) {
                    break;
                }
            }
            Thread.sleep(100);
        }
        final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        out.println();
        if (view == null || !view.path("terminal").asBoolean()) {
            throw new IllegalStateException("order " + orderId + " not final within " + ORDER_TIMEOUT);
        }
        investedOverTime.add((double) view.path("fulfilment").path("linesInvested").asLong());
        final SimulatorStats after = finance.stats();
        final List<ProviderCallResult> results = fulfilmentResults(orderId, batches, node.topics());
        final long retries = results.stream().mapToLong(result -> result.getAttempts() - 1L).sum();
        final long deadLettered = deadLetteredLines(orderId, node.topics());
        // What the order cost the investor: its balance before the POST minus after, once the refunds of removed
        // lines (sent with the batches' completion) are applied; 10 s for them to land.
        final long expectedMinor = view.path("fulfilment").path("linesInvested").asLong() * NOTE_MINOR;
        long paidMinor = cashBefore - cash(node);
        for (int i = 0; i < 100 && paidMinor != expectedMinor; i++) {
            Thread.sleep(100);
            paidMinor = cashBefore - cash(node);
        }
        // The positions view follows the order events: give it 10 s to count this order's last batch.
        final long positionsExpected = investedSoFar + view.path("fulfilment").path("linesInvested").asLong();
        long positionUnits = positionUnits(node);
        for (int i = 0; i < 100 && positionUnits != positionsExpected; i++) {
            Thread.sleep(100);
            positionUnits = positionUnits(node);
        }
        investedSoFar = positionUnits;
        final Run run = new Run(orderId, notes, batches, view.path("status").asText(), elapsedMs,
                after.calls() - before.calls(), results, retries, after.bulkLinesRefused() - before.bulkLinesRefused(),
                view.path("fulfilment").path("linesInvested").asLong(),
                view.path("fulfilment").path("linesRemoved").asLong(), deadLettered, paidMinor,
                after.maxCallsInOneSecond(), after.rateLimitViolations() - before.rateLimitViolations(),
                after.duplicateBulkLines() - before.duplicateBulkLines(), investedOverTime, view, positionUnits);
        out.printf("lending: %s %s in %.1f s: %d Finance Service calls (%d retries) for %d batches, %,d notes "
                        + "invested, %d lines removed (%d refused by the Finance Service, %d dead-lettered); the "
                        + "per-item design: %,d calls, %.0f s at %d/s%n", orderId, run.status(), elapsedMs / 1000.0,
                run.financeCalls(), retries, batches, run.linesInvested(), run.linesRemoved(), run.linesRefused(),
                deadLettered, run.perItemCalls(), run.perItemSeconds(settings.financeRate()), settings.financeRate());
        return run;
    }

    /** The notes the investor's positions show; 0 while it has none. */
    private long positionUnits(final BursarNode node) throws Exception {
        final HttpResponse<String> read = get(node, "/v1/investors/" + INVESTOR + "/positions");
        return read.statusCode() == 200 ? JSON.readTree(read.body()).path("units").asLong() : 0;
    }

    /** The investor's available EUR, as the gateway reads it. */
    private long cash(final BursarNode node) throws Exception {
        final HttpResponse<String> read = get(node, "/v1/partners/" + INVESTOR + "/balance");
        if (read.statusCode() != 200) {
            throw new IllegalStateException("balance of " + INVESTOR + ": " + read.statusCode() + " " + read.body());
        }
        for (final JsonNode account : JSON.readTree(read.body()).path("accounts")) {
            if ("EUR".equals(account.path("currency").asText())) {
                return account.path("availableMinor").asLong();
            }
        }
        return 0;
    }

    private HttpResponse<String> get(final BursarNode node, final String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(node.gateway().url() + path))
                .header("Authorization", "Bearer " + adminKey).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The final result of each bulk call of the order's batches (read_committed), waiting for at least one per batch. */
    private List<ProviderCallResult> fulfilmentResults(final String orderId, final int batches, final Topics topics) {
        final List<ProviderCallResult> results = new ArrayList<>();
        for (final ConsumerRecord<String, ProviderCallResult> record : readAll(config, topics.fulfilmentResults)) {
            if (record.value() != null && record.value().getPaymentId().startsWith(orderId + "#")) {
                results.add(record.value());
            }
        }
        if (results.size() < 2 * batches) {
            throw new IllegalStateException("expected two results per batch of " + orderId + ", found " + results.size());
        }
        return results;
    }

    private long deadLetteredLines(final String orderId, final Topics topics) {
        long lines = 0;
        for (final ConsumerRecord<String, ProviderCall> record : readAll(config, topics.providerDeadLetters)) {
            if (record.value() != null && record.value().getPaymentId().startsWith(orderId + "#")) {
                lines += record.value().getLines().size();
            }
        }
        return lines;
    }

    /** Every committed record of {@code topic}, from the beginning to the end at the time of the call. */
    public static <V> List<ConsumerRecord<String, V>> readAll(final BursarConfig config,
                                                              final Topics.Topic<String, V> topic) {
        final Properties props = new Properties();
        props.putAll(config.kafkaClientConfig());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        final List<ConsumerRecord<String, V>> records = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(props, topic.keySerde().deserializer(),
                topic.valueSerde().deserializer())) {
            final List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < topic.partitions(); p++) {
                partitions.add(new TopicPartition(topic.name(), p));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic.name() + " to its end");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    private Path chart(final List<Run> runs) throws Exception {
        if (settings.outDir() == null || runs.isEmpty()) {
            return null;
        }
        Files.createDirectories(settings.outDir());
        final Map<String, List<Double>> series = new LinkedHashMap<>();
        int longest = 0;
        for (final Run run : runs) {
            series.put(String.format("Bursar, %,d notes", run.notes()), run.investedOverTime());
            longest = Math.max(longest, run.investedOverTime().size());
        }
        final Run largest = runs.stream().max((a, b) -> Integer.compare(a.notes(), b.notes())).orElseThrow();
        final List<Double> perItem = new ArrayList<>();
        for (int second = 1; second <= longest; second++) {
            // Two calls per note at the rate: rate/2 notes a second, at best.
            perItem.add(Math.min(largest.notes(), second * settings.financeRate() / 2.0));
        }
        series.put(String.format("per-item design at %d calls/s (no failures)", settings.financeRate()), perItem);
        return BenchChart.write(settings.outDir().resolve("lending-invested.png"),
                "Notes invested after the order's POST", "notes invested", 1.0, series);
    }
}
