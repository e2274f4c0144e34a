package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.CreditKind;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.serdes.Topics;
import io.bursar.topology.Misrouting;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.zip.CRC32;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands written straight to Kafka by a client that is not Java: Debian's python3-confluent-kafka
 * (librdkafka) with Apache Avro's Python writer, against the demo (a real broker and the real registry).
 * Every code block of docs/producers.md runs here; every kind of payment and order command keeps the
 * meaning its writer intended; a producer left on librdkafka's default partitioner gets WRONG_PARTITION and
 * changes nothing.
 */
class NonJavaProducersIT {

    /** Debian's interpreter, which sees apt's Python packages (a python3 earlier on PATH may not). */
    private static final String PYTHON = "/usr/bin/python3";
    private static final Path PRODUCERS_PAGE = Path.of("../docs/producers.md");
    private static final Path ROUND_TRIP = Path.of("src/test/resources/python/roundtrip.py");
    private static final Path THIS_SOURCE = Path.of("src/test/java/io/bursar/app/NonJavaProducersIT.java");
    private static final int PARTITIONS = 4;
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(150);

    @TempDir
    static Path work;

    private static Demo demo;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        final Process probe = new ProcessBuilder(PYTHON, "-c", "import confluent_kafka, confluent_kafka.avro, avro")
                .redirectErrorStream(true).start();
        assertThat(probe.waitFor(30, TimeUnit.SECONDS) && probe.exitValue() == 0)
                .as("%s needs Debian's python3-confluent-kafka and python3-avro (.ci/run installs them): %s", PYTHON,
                        new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .isTrue();
        demo = Demo.start(0);
        final List<String> blocks = blocks(Files.readString(PRODUCERS_PAGE), "python");
        assertThat(blocks.get(0)).startsWith("# bursar_commands.py");
        Files.writeString(work.resolve("bursar_commands.py"), blocks.get(0));
    }

    @AfterAll
    static void stop() {
        if (demo != null) {
            demo.close();
        }
    }

    @Test
    void thePagesPythonExamplesPrintWhatThePageSays() throws Exception {
        final List<String> examples = blocks(Files.readString(PRODUCERS_PAGE), "python");
        assertThat(examples).hasSize(3);
        final String credit = python(examples.get(1), Map.of());
        assertThat(credit).matches("CREDIT ACCEPTED None \\d+\\s*");
        final String item = python(examples.get(2), Map.of());
        assertThat(item.strip()).isEqualTo("UPSERT_ITEM ACCEPTED 10");
    }

    @Test
    void thePagesJavaExampleIsCodeThatRuns() throws Exception {
        final String page = blocks(Files.readString(PRODUCERS_PAGE), "java").get(0);
        final String source = Files.readString(THIS_SOURCE);
        final Matcher region = Pattern.compile("// producers\\.md begin\\n(.*?)\\n\\s*// producers\\.md end", Pattern.DOTALL)
                .matcher(source);
        assertThat(region.find()).isTrue();
        assertThat(page.strip()).isEqualTo(region.group(1).stripIndent().strip());

        final String commandId = "java-" + UUID.randomUUID();
        sendCreditAsThePageDoes(demo.bootstrapServers(), demo.registryUrl(), commandId);
        final JsonNode outcome = get("/v1/commands/" + commandId + "?waitMs=20000");
        assertThat(outcome.get("type").asText()).isEqualTo("CREDIT");
        assertThat(outcome.get("outcome").asText()).isEqualTo("ACCEPTED");
    }

    @Test
    void everyCommandKindFromPythonMeansWhatItsWriterMeant() throws Exception {
        final JsonNode results = roundTrip("py-partner", "py-books", "murmur2_random", "py");

        assertThat(results.get("payments")).hasSize(8);
        assertThat(results.get("orders")).hasSize(5);
        for (final JsonNode result : List.of(results.get("payments"), results.get("orders"))) {
            for (final Iterator<JsonNode> each = result.elements(); each.hasNext(); ) {
                final JsonNode one = each.next();
                assertThat(one.get("type").asText()).as("%s", one).isEqualTo(one.get("intended").asText());
                assertThat(one.get("outcome").asText()).as("%s", one).isEqualTo("ACCEPTED");
            }
        }
        // 10,000 − 1,500 − 1,200 captured (800 of the hold back) ± the hold released ± 300 paid and refunded,
        // − 1,800 for the placed order; the cancelled order's 900, if it was paid, is refunded.
        awaitAvailable("py-partner", 5_500);
        final JsonNode item = get("/v1/categories/py-books/items/py-dune");
        assertThat(item.get("available").asLong()).isEqualTo(8);
        assertThat(item.get("sold").asLong()).isEqualTo(2);
        assertThat(item.get("held").asLong()).isZero();
        assertThat(get("/v1/orders/py-order-1?waitMs=10000").get("status").asText()).isEqualTo("COMPLETED");
        assertThat(get("/v1/orders/py-order-2").get("status").asText()).isEqualTo("CANCELLED");
    }

    @Test
    void librdkafkasDefaultPartitionerGetsWrongPartitionAndChangesNothing() throws Exception {
        final String partner = keyCrc32PutsElsewhere("misrouted-partner-");
        final String category = keyCrc32PutsElsewhere("misrouted-books-");
        final double refusedBefore = misroutedCount("payment-commands") + misroutedCount("order-commands");

        final JsonNode refused = roundTrip(partner, category, "consistent_random", "crc");
        assertThat(refused.get("payments")).hasSize(8);
        for (final JsonNode result : List.of(refused.get("payments"), refused.get("orders"))) {
            for (final Iterator<JsonNode> each = result.elements(); each.hasNext(); ) {
                final JsonNode one = each.next();
                assertThat(one.get("outcome").asText()).as("%s", one).isEqualTo("REJECTED");
                assertThat(one.get("reason").asText()).as("%s", one).isEqualTo("WRONG_PARTITION");
            }
        }
        assertThat(status("/v1/partners/" + partner + "/balance")).isEqualTo(404);
        assertThat(status("/v1/categories/" + category + "/items/crc-dune")).isEqualTo(404);
        final JsonNode outcome = get("/v1/commands/crc-0?waitMs=10000");
        assertThat(outcome.get("detail").asText()).contains("belongs on partition "
                + Misrouting.partitionOf(partner, PARTITIONS)).contains("arrived on partition " + crc32Partition(partner));
        assertThat(misroutedCount("payment-commands") + misroutedCount("order-commands") - refusedBefore)
                .isEqualTo(9);

        // Nothing of the refused commands was remembered: the same ones, partitioned as Java does, apply.
        final JsonNode applied = roundTrip(partner, category, "murmur2_random", "crc");
        for (final Iterator<JsonNode> each = applied.get("payments").elements(); each.hasNext(); ) {
            assertThat(each.next().get("outcome").asText()).isEqualTo("ACCEPTED");
        }
        awaitAvailable(partner, 5_500);
    }

    /** The Java block of docs/producers.md is the region between the markers below, word for word. */
    private static void sendCreditAsThePageDoes(final String bootstrapServers, final String registryUrl,
                                                final String commandId) throws Exception {
        // producers.md begin
        final Topics topics = Topics.create(Map.of("schema.registry.url", registryUrl), 4);
        final Map<String, Object> settings = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        try (KafkaProducer<String, PaymentCommand> producer = new KafkaProducer<>(settings,
                topics.paymentCommands.keySerde().serializer(), topics.paymentCommands.valueSerde().serializer())) {
            final PaymentCommand credit = PaymentCommand.newBuilder()
                    .setCommandId(commandId).setPartnerId("acme").setIssuedAt(Instant.now())
                    .setPayload(new Credit(CreditKind.CREDIT, new Money(100L, "EUR")))
                    .build();
            producer.send(new ProducerRecord<>(topics.paymentCommands.name(), credit.getPartnerId(), credit)).get();
        }
        // producers.md end
    }

    private static JsonNode roundTrip(final String partner, final String category, final String partitioner,
                                      final String prefix) throws Exception {
        final Path script = work.resolve("roundtrip.py");
        Files.copy(ROUND_TRIP, script, StandardCopyOption.REPLACE_EXISTING);
        final String out = run(List.of(PYTHON, script.toString()), Map.of("BURSAR_PARTNER", partner,
                "BURSAR_CATEGORY", category, "BURSAR_PARTITIONER", partitioner, "BURSAR_PREFIX", prefix));
        return JSON.readTree(out.lines().reduce((first, last) -> last).orElseThrow());
    }

    private static String python(final String code, final Map<String, String> env) throws Exception {
        final Path script = Files.writeString(work.resolve("example-" + UUID.randomUUID() + ".py"), code);
        return run(List.of(PYTHON, script.toString()), env);
    }

    /** Runs a Python script in the work folder against the demo; returns its standard output. */
    private static String run(final List<String> command, final Map<String, String> env) throws Exception {
        final ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile());
        final Map<String, String> environment = builder.environment();
        environment.put("BURSAR_BOOTSTRAP", demo.bootstrapServers());
        environment.put("BURSAR_REGISTRY", demo.registryUrl());
        environment.put("BURSAR_GATEWAY", demo.url());
        environment.put("BURSAR_ADMIN_KEY", demo.adminKey());
        environment.put("PYTHONPATH", work.toString());
        environment.putAll(env);
        final Path stdout = Files.createTempFile(work, "out", ".txt");
        final Path stderr = Files.createTempFile(work, "err", ".txt");
        final Process process = builder.redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        try {
            final boolean finished = process.waitFor(SCRIPT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(finished).as("%s finished within %s; stderr: %s", command, SCRIPT_TIMEOUT,
                    Files.readString(stderr)).isTrue();
            assertThat(process.exitValue()).as("exit code of %s; stderr: %s", command, Files.readString(stderr))
                    .isZero();
            return Files.readString(stdout);
        } finally {
            process.destroyForcibly();
        }
    }

    /** The fenced blocks of {@code language} in a markdown page, in order. */
    private static List<String> blocks(final String page, final String language) {
        final List<String> blocks = new ArrayList<>();
        final Matcher block = Pattern.compile("```" + language + "\\n(.*?)```", Pattern.DOTALL).matcher(page);
        while (block.find()) {
            blocks.add(block.group(1));
        }
        return blocks;
    }

    /** A key that librdkafka's default partitioner (CRC32) puts on another partition than Java's (murmur2). */
    private static String keyCrc32PutsElsewhere(final String prefix) {
        return IntStream.range(0, 100).mapToObj(i -> prefix + i)
                .filter(key -> crc32Partition(key) != Misrouting.partitionOf(key, PARTITIONS))
                .findFirst().orElseThrow();
    }

    private static int crc32Partition(final String key) {
        final CRC32 crc = new CRC32();
        crc.update(key.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % PARTITIONS);
    }

    private static void awaitAvailable(final String partner, final long availableMinor) throws Exception {
        final Instant deadline = Instant.now().plusSeconds(30);
        long seen = Long.MIN_VALUE;
        while (Instant.now().isBefore(deadline)) {
            if (status("/v1/partners/" + partner + "/balance") == 200) {
                seen = get("/v1/partners/" + partner + "/balance").get("accounts").get(0).get("availableMinor").asLong();
                if (seen == availableMinor) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        assertThat(seen).as("available balance of %s", partner).isEqualTo(availableMinor);
    }

    private static double misroutedCount(final String topic) throws IOException, InterruptedException {
        final String metrics = HTTP.send(HttpRequest.newBuilder(URI.create(demo.url() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        final Matcher line = Pattern.compile("^bursar_records_misrouted_total\\{topic=\"" + Pattern.quote(topic)
                + "\"} (\\S+)$", Pattern.MULTILINE).matcher(metrics);
        assertThat(line.find()).as("bursar_records_misrouted_total for %s in /metrics", topic).isTrue();
        return Double.parseDouble(line.group(1));
    }

    private static JsonNode get(final String path) throws IOException, InterruptedException {
        final HttpResponse<String> answer = HTTP.send(request(path), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as("GET %s: %s", path, answer.body()).isEqualTo(200);
        return JSON.readTree(answer.body());
    }

    private static int status(final String path) throws IOException, InterruptedException {
        return HTTP.send(request(path), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static HttpRequest request(final String path) {
        return HttpRequest.newBuilder(URI.create(demo.url() + path))
                .header("Authorization", "Bearer " + demo.adminKey()).timeout(Duration.ofSeconds(40)).build();
    }
}
