package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.app.kafka.EmbeddedKafkaBroker;
import io.bursar.gateway.ApiKeys;
import io.bursar.gateway.GatewayConfig;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.CreditKind;
import io.bursar.schemas.payments.Debit;
import io.bursar.schemas.payments.DebitKind;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.serdes.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three Bursar instances on one real broker, {@code payment-commands} with 12 partitions: every
 * instance answers every partner's balance (forwarding to the owner), and after one instance stops the
 * others keep answering correctly, with no 5xx other than a bounded window of 503s.
 */
class MultiInstanceReadsIT {

    private static final int INSTANCES = 3;
    private static final int PARTITIONS = 12;
    private static final int PARTNERS = 500;
    private static final int COMMANDS = 5_000;
    private static final String ADMIN_KEY = "it-admin-" + UUID.randomUUID();
    private static final Duration FAILOVER_MAX = Duration.ofSeconds(90);
    private static final Pattern FORWARDED = Pattern.compile(
            "bursar_reads_forwarded_total\\{[^}]*outcome=\"200\"[^}]*target=\"active\"[^}]*} ([0-9.E]+)");

    @TempDir
    static Path stateRoot;

    private static EmbeddedKafkaBroker broker;
    private static final List<BursarNode> nodes = new ArrayList<>();
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        broker = EmbeddedKafkaBroker.builder().build().start();
        final String registry = "mock://" + UUID.randomUUID();
        for (int i = 0; i < INSTANCES; i++) {
            nodes.add(BursarNode.start(new BursarConfig(Map.of(
                    BursarConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers(),
                    BursarConfig.SCHEMA_REGISTRY_URL, registry,
                    BursarConfig.APPLICATION_ID, "bursar-multi-it",
                    BursarConfig.STATE_DIR, stateRoot.resolve("node-" + i).toString(),
                    BursarConfig.TOPIC_PARTITIONS, Integer.toString(PARTITIONS),
                    BursarConfig.STANDBY_REPLICAS, "1",
                    GatewayConfig.HTTP_PORT, "0",
                    // The test client reads 1,000 balances a round as fast as it can: no rate limit in the way.
                    GatewayConfig.AUTH_RATE_PER_SECOND, "1000000",
                    GatewayConfig.AUTH_RATE_BURST, "1000000",
                    GatewayConfig.AUTH_API_KEYS, ApiKeys.sha256Hex(ADMIN_KEY) + ":admin"))));
        }
        for (final BursarNode node : nodes) {
            node.awaitRunning(Duration.ofSeconds(90));
        }
        awaitStableGroup(nodes, Duration.ofSeconds(90));
    }

    @AfterAll
    static void stop() {
        nodes.forEach(BursarNode::close);
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void everyInstanceAnswersEveryPartnerAndReadsSurviveLosingOne() throws Exception {
        final Map<String, Long> expected = sendCommandsAndDeriveBalances();

        // Every instance answers every partner, whichever instance owns it.
        for (final BursarNode node : nodes) {
            final Map<String, Answer> answers = readAll(node, expected.keySet());
            answers.forEach((partner, answer) -> {
                assertThat(answer.status).as("%s from %s", partner, node.gateway().url()).isEqualTo(200);
                assertThat(answer.available).as(partner).isEqualTo(expected.get(partner));
            });
            assertThat(forwardedReads(node)).as("reads forwarded by %s", node.gateway().url()).isPositive();
            assertThat(metrics(node)).as("Kafka Streams metrics bound on the gateway's registry")
                    .contains("kafka_stream_thread_process_total")
                    .contains("http_server_requests_seconds_bucket{method=\"GET\",status=\"200\",uri=\"/v1/partners/{partnerId}/balance\"");
        }

        // Command outcomes come from the views application, also answered by whichever instance is asked.
        for (int i = 0; i < COMMANDS; i += 97) {
            final BursarNode node = nodes.get(i % INSTANCES);
            final HttpResponse<String> outcome = get(node, "/v1/commands/multi-" + i);
            assertThat(outcome.statusCode()).as("outcome of multi-%d", i).isEqualTo(200);
            assertThat(json.readTree(outcome.body()).get("commandId").asText()).isEqualTo("multi-" + i);
        }
        // Long-poll: a command posted to one instance, its outcome awaited on another.
        final HttpResponse<String> posted = http.send(HttpRequest.newBuilder(
                        URI.create(nodes.get(0).gateway().url() + "/v1/partners/partner-1/credits"))
                .header("Authorization", "Bearer " + ADMIN_KEY).header("Idempotency-Key", "long-poll-1")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"amountMinor\":5,\"currency\":\"EUR\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(posted.statusCode()).isEqualTo(202);
        final HttpResponse<String> awaited = get(nodes.get(1), "/v1/commands/long-poll-1?waitMs=15000");
        assertThat(awaited.statusCode()).isEqualTo(200);
        assertThat(json.readTree(awaited.body()).get("outcome").asText()).isEqualTo("ACCEPTED");
        expected.merge("partner-1", 5L, Long::sum);

        // Stop one instance; the other two must keep answering, after a bounded 503 window at most.
        final BursarNode stopped = nodes.remove(INSTANCES - 1);
        final Instant stoppedAt = Instant.now();
        stopped.close();
        Instant lastUnavailable = null;
        int cleanRounds = 0;
        int rounds = 0;
        while (cleanRounds < 2) {
            assertThat(Instant.now()).as("reads recovered after the stop").isBefore(stoppedAt.plus(FAILOVER_MAX));
            rounds++;
            boolean clean = true;
            for (final BursarNode node : nodes) {
                for (final Map.Entry<String, Answer> entry : readAll(node, expected.keySet()).entrySet()) {
                    final Answer answer = entry.getValue();
                    if (answer.status == 503) {
                        clean = false;
                        lastUnavailable = Instant.now();
                        continue;
                    }
                    assertThat(answer.status).as("only 200 or a 503 during failover, for %s", entry.getKey()).isEqualTo(200);
                    assertThat(answer.available).as(entry.getKey()).isEqualTo(expected.get(entry.getKey()));
                }
            }
            cleanRounds = clean ? cleanRounds + 1 : 0;
        }
        final long window = lastUnavailable == null ? 0 : Duration.between(stoppedAt, lastUnavailable).toMillis();
        System.out.printf("Failover: %d read rounds of %d partners x %d instances; last 503 %d ms after the stop%n",
                rounds, expected.size(), nodes.size(), window);
    }

    private static Map<String, Long> sendCommandsAndDeriveBalances() throws Exception {
        final Topics topics = nodes.get(0).topics();
        final Random random = new Random(7);
        try (KafkaProducer<String, PaymentCommand> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                topics.paymentCommands.keySerde().serializer(), topics.paymentCommands.valueSerde().serializer())) {
            for (int i = 0; i < COMMANDS; i++) {
                // Every partner gets a credit first, so every one of them has a balance to read.
                final String partnerId = "partner-" + (i < PARTNERS ? i : random.nextInt(PARTNERS));
                final Object payload = i < PARTNERS || random.nextBoolean()
                        ? new Credit(CreditKind.CREDIT, new Money(1L + random.nextInt(10_000), "EUR"))
                        : new Debit(DebitKind.DEBIT, new Money(1L + random.nextInt(10_000), "EUR"));
                producer.send(new ProducerRecord<>(topics.paymentCommands.name(), partnerId,
                        PaymentCommand.newBuilder().setCommandId("multi-" + i).setPartnerId(partnerId)
                                .setIssuedAt(Instant.now()).setPayload(payload).build()));
            }
        }
        final Map<String, Long> available = new HashMap<>();
        int results = 0;
        try (KafkaConsumer<String, PaymentEvent> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "multi-it-checker",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                topics.paymentEvents.keySerde().deserializer(), topics.paymentEvents.valueSerde().deserializer())) {
            consumer.subscribe(List.of(topics.paymentEvents.name()));
            final Instant deadline = Instant.now().plusSeconds(120);
            while (results < COMMANDS) {
                assertThat(Instant.now()).as("all results").isBefore(deadline);
                for (final ConsumerRecord<String, PaymentEvent> record : consumer.poll(Duration.ofMillis(200))) {
                    results++;
                    // Events of one partner are in order within its partition: the last one is the balance now.
                    available.put(record.key(), record.value().getBalanceAfter().getAvailableMinor());
                }
            }
        }
        assertThat(available).hasSize(PARTNERS);
        return available;
    }

    private record Answer(int status, long available) {
    }

    private static Map<String, Answer> readAll(final BursarNode node, final Iterable<String> partners) throws Exception {
        final ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            final Map<String, Future<Answer>> pending = new HashMap<>();
            for (final String partner : partners) {
                pending.put(partner, pool.submit(() -> read(node, partner)));
            }
            final Map<String, Answer> answers = new ConcurrentHashMap<>();
            for (final Map.Entry<String, Future<Answer>> entry : pending.entrySet()) {
                answers.put(entry.getKey(), entry.getValue().get());
            }
            return answers;
        } finally {
            pool.shutdownNow();
        }
    }

    private static Answer read(final BursarNode node, final String partner) throws Exception {
        final HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                        URI.create(node.gateway().url() + "/v1/partners/" + partner + "/balance"))
                .header("Authorization", "Bearer " + ADMIN_KEY)
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            return new Answer(response.statusCode(), -1);
        }
        final JsonNode account = json.readTree(response.body()).get("accounts").get(0);
        return new Answer(200, account.get("availableMinor").asLong());
    }

    private static HttpResponse<String> get(final BursarNode node, final String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(node.gateway().url() + path))
                .header("Authorization", "Bearer " + ADMIN_KEY)
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String metrics(final BursarNode node) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(node.gateway().url() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static double forwardedReads(final BursarNode node) throws Exception {
        final Matcher matcher = FORWARDED.matcher(metrics(node));
        double total = 0;
        while (matcher.find()) {
            total += Double.parseDouble(matcher.group(1));
        }
        return total;
    }

    /** Waits until every instance sees all instances in the group metadata and all are RUNNING. */
    private static void awaitStableGroup(final List<BursarNode> group, final Duration timeout) throws InterruptedException {
        final Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            final boolean stable = group.stream().allMatch(n -> n.streams().state() == KafkaStreams.State.RUNNING
                    && n.streams().metadataForAllStreamsClients().size() == group.size());
            if (stable) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("group of " + group.size() + " did not stabilise");
    }
}
