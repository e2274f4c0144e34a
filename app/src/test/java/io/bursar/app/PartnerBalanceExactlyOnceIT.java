package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.app.kafka.EmbeddedKafkaBroker;
import io.bursar.gateway.ApiKeys;
import io.bursar.gateway.GatewayConfig;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.CaptureHold;
import io.bursar.schemas.payments.CaptureHoldKind;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.CreditKind;
import io.bursar.schemas.payments.Debit;
import io.bursar.schemas.payments.DebitKind;
import io.bursar.schemas.payments.HoldFunds;
import io.bursar.schemas.payments.HoldFundsKind;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentEventType;
import io.bursar.schemas.payments.ReleaseHold;
import io.bursar.schemas.payments.ReleaseHoldKind;
import io.bursar.serdes.Topics;
import io.bursar.topology.DeadLetterHandler;
import io.bursar.topology.payments.PartnerProcessor;
import io.bursar.topology.payments.PartnerTopologyConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 100,000 random balance commands for 50 partners through the real topology on a real broker with
 * exactly_once_v2; then the committed events are checked against invariants 1, 2 and 4 of docs/reliability.md, and
 * every partner's balance read over HTTP (interactive queries) against the one the events derive.
 * Unreadable records sent alongside must reach the dead-letter topic, once each, under exactly-once.
 */
class PartnerBalanceExactlyOnceIT {

    private static final int COMMANDS = 100_000;
    private static final int PARTNERS = 50;
    private static final int HOLD_IDS_PER_PARTNER = 8;
    private static final long HOLD_TTL_MS_MAX = 3_000;
    private static final long PUNCTUATION_MS = 200;
    private static final int POISON_EVERY = 1_000;
    private static final String ADMIN_KEY = ApiKeys.newKey();
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(5);

    @TempDir
    static Path stateDir;

    private static EmbeddedKafkaBroker broker;
    private static BursarNode node;
    private static String registryUrl;

    @BeforeAll
    static void start() throws Exception {
        broker = EmbeddedKafkaBroker.builder().build().start();
        registryUrl = "mock://" + UUID.randomUUID();
        node = BursarNode.start(new BursarConfig(Map.of(
                BursarConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers(),
                BursarConfig.SCHEMA_REGISTRY_URL, registryUrl,
                BursarConfig.APPLICATION_ID, "bursar-eos-it",
                BursarConfig.STATE_DIR, stateDir.toString(),
                GatewayConfig.HTTP_PORT, "0",
                GatewayConfig.AUTH_API_KEYS, ApiKeys.sha256Hex(ADMIN_KEY) + ":admin",
                PartnerTopologyConfig.PUNCTUATION_INTERVAL_MS, Long.toString(PUNCTUATION_MS))));
        node.awaitRunning(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void everyCommandHasExactlyOneResultAndBalancesAreConserved() throws Exception {
        final Topics topics = node.topics();
        final Random random = new Random(20261125);
        final Set<String> commandIds = new HashSet<>();

        final Instant begin = Instant.now();
        try (KafkaProducer<String, PaymentCommand> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 5),
                topics.paymentCommands.keySerde().serializer(), topics.paymentCommands.valueSerde().serializer())) {
            for (int i = 0; i < COMMANDS; i++) {
                final String partnerId = "partner-" + random.nextInt(PARTNERS);
                final String commandId = "cmd-" + i;
                commandIds.add(commandId);
                producer.send(new ProducerRecord<>(topics.paymentCommands.name(), partnerId,
                        PaymentCommand.newBuilder().setCommandId(commandId).setPartnerId(partnerId)
                                .setIssuedAt(java.time.Instant.now()).setPayload(randomPayload(random)).build()));
            }
            producer.flush();
        }
        final int poisoned = COMMANDS / POISON_EVERY;
        try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < poisoned; i++) {
                raw.send(new ProducerRecord<>(topics.paymentCommands.name(),
                        ("partner-" + (i % PARTNERS)).getBytes(StandardCharsets.UTF_8),
                        ("poison-" + i).getBytes(StandardCharsets.UTF_8)));
            }
        }

        final Map<String, PaymentEvent> resultByCommand = new HashMap<>();
        final Map<String, Ledger> ledgers = new HashMap<>();
        Instant lastCommandResult = null;
        try (KafkaConsumer<String, PaymentEvent> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "eos-it-checker",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString().toLowerCase()),
                topics.paymentEvents.keySerde().deserializer(), topics.paymentEvents.valueSerde().deserializer())) {
            consumer.subscribe(List.of(topics.paymentEvents.name()));
            final Instant deadline = Instant.now().plus(RUN_TIMEOUT);
            Instant quietUntil = null;
            // Read until every command has its result, then on until all holds have had time to expire.
            while (quietUntil == null || Instant.now().isBefore(quietUntil)) {
                assertThat(Instant.now()).as("results of all commands before the timeout").isBefore(deadline);
                for (final ConsumerRecord<String, PaymentEvent> record : consumer.poll(Duration.ofMillis(200))) {
                    final PaymentEvent event = record.value();
                    assertThat(record.key()).isEqualTo(event.getPartnerId());
                    assertThat(event.getDuplicate()).as("no command was sent twice").isFalse();
                    final PaymentEvent earlier = resultByCommand.put(event.getCommandId(), event);
                    assertThat(earlier).as("second result for %s", event.getCommandId()).isNull();
                    ledgers.computeIfAbsent(event.getPartnerId(), p -> new Ledger()).apply(event);
                }
                if (quietUntil == null && resultByCommand.keySet().containsAll(commandIds)) {
                    lastCommandResult = Instant.now();
                    quietUntil = lastCommandResult.plusMillis(HOLD_TTL_MS_MAX + 5 * PUNCTUATION_MS);
                }
            }
        }

        final double seconds = Duration.between(begin, lastCommandResult).toMillis() / 1000.0;
        System.out.printf("EOS IT: %,d commands for %d partners processed in %.1f s: %,.0f commands/s%n",
                COMMANDS, PARTNERS, seconds, COMMANDS / seconds);

        // Invariant 2: exactly one result per command id, and nothing else but hold expiries.
        final Set<String> unexpected = new HashSet<>(resultByCommand.keySet());
        unexpected.removeAll(commandIds);
        assertThat(unexpected).allMatch(id -> id.startsWith(PartnerProcessor.EXPIRY_COMMAND_PREFIX));
        final long accepted = resultByCommand.values().stream().filter(e -> e.getOutcome() == Outcome.ACCEPTED).count();
        assertThat(accepted).as("a meaningful share of commands was accepted").isGreaterThan(COMMANDS / 3);

        // Invariants 1 and 4, per partner, and the balance read through the gateway.
        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        final ObjectMapper json = new ObjectMapper();
        for (final Map.Entry<String, Ledger> entry : ledgers.entrySet()) {
            final Ledger ledger = entry.getValue();
            assertThat(ledger.openHolds).as("every hold of %s ended", entry.getKey()).isEmpty();
            assertThat(ledger.held).isZero();
            assertThat(ledger.available).isEqualTo(ledger.credited - ledger.debited - ledger.captured);
            final HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create(node.gateway().url() + "/v1/partners/" + entry.getKey() + "/balance"))
                    .header("Authorization", "Bearer " + ADMIN_KEY)
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            final JsonNode account = json.readTree(response.body()).get("accounts").get(0);
            assertThat(account.get("currency").asText()).isEqualTo("EUR");
            assertThat(account.get("availableMinor").asLong()).isEqualTo(ledger.available);
            assertThat(account.get("heldMinor").asLong()).isEqualTo(ledger.held);
        }
        assertThat(ledgers).hasSize(PARTNERS);

        // Invariant 6: unreadable records are on the dead-letter topic, once each, with their origin.
        final Set<String> deadLetters = new HashSet<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "eos-it-dead-letters",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topics.deadLetters.name()));
            final Instant deadline = Instant.now().plusSeconds(30);
            while (deadLetters.size() < poisoned && Instant.now().isBefore(deadline)) {
                for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    assertThat(deadLetters.add(new String(record.value(), StandardCharsets.UTF_8))).isTrue();
                    assertThat(new String(record.headers().lastHeader(DeadLetterHandler.HEADER_ORIGIN_TOPIC).value(),
                            StandardCharsets.UTF_8)).isEqualTo(topics.paymentCommands.name());
                    assertThat(record.headers().lastHeader(DeadLetterHandler.HEADER_ERROR_MESSAGE)).isNotNull();
                }
            }
            assertThat(consumer.poll(Duration.ofSeconds(1))).as("no extra dead letters").isEmpty();
        }
        assertThat(deadLetters).hasSize(poisoned);
    }

    private static Object randomPayload(final Random random) {
        final Money amount = new Money(1L + random.nextInt(1_000), "EUR");
        final String holdId = "hold-" + random.nextInt(HOLD_IDS_PER_PARTNER);
        final int pick = random.nextInt(100);
        if (pick < 35) {
            return new Credit(CreditKind.CREDIT, new Money(1L + random.nextInt(2_000), "EUR"));
        } else if (pick < 60) {
            return new Debit(DebitKind.DEBIT, amount);
        } else if (pick < 75) {
            return new HoldFunds(HoldFundsKind.HOLD_FUNDS, holdId, amount, 100L + random.nextInt((int) HOLD_TTL_MS_MAX - 100));
        } else if (pick < 90) {
            return new CaptureHold(CaptureHoldKind.CAPTURE_HOLD, holdId, amount);
        }
        return new ReleaseHold(ReleaseHoldKind.RELEASE_HOLD, holdId);
    }

    /**
     * A partner's balance derived from its events alone, checked against the balance each event
     * reports: the event stream must tell the same story as the state.
     */
    private static final class Ledger {
        long available;
        long held;
        long credited;
        long debited;
        long captured;
        final Map<String, Long> openHolds = new HashMap<>();

        void apply(final PaymentEvent event) {
            if (event.getOutcome() == Outcome.ACCEPTED) {
                final long amount = event.getAmount().getAmountMinor();
                final PaymentEventType type = event.getType();
                switch (type) {
                    case CREDIT -> {
                        available += amount;
                        credited += amount;
                    }
                    case DEBIT -> {
                        available -= amount;
                        debited += amount;
                    }
                    case HOLD_FUNDS -> {
                        assertThat(openHolds.put(event.getHoldId(), amount)).as("hold id reused while open").isNull();
                        available -= amount;
                        held += amount;
                    }
                    case CAPTURE_HOLD -> {
                        final long holdAmount = endHold(event);
                        held -= holdAmount;
                        available += holdAmount - amount;
                        captured += amount;
                    }
                    case RELEASE_HOLD, HOLD_EXPIRED -> {
                        final long holdAmount = endHold(event);
                        assertThat(amount).isEqualTo(holdAmount);
                        held -= holdAmount;
                        available += holdAmount;
                    }
                    default -> throw new AssertionError("unexpected accepted event " + event);
                }
            }
            if (event.getBalanceAfter() != null && event.getOutcome() == Outcome.ACCEPTED) {
                assertThat(event.getBalanceAfter().getAvailableMinor()).as("available after %s", event.getCommandId())
                        .isEqualTo(available).isNotNegative();
                assertThat(event.getBalanceAfter().getHeldMinor()).isEqualTo(held);
            }
        }

        private long endHold(final PaymentEvent event) {
            final Long amount = openHolds.remove(event.getHoldId());
            assertThat(amount).as("hold %s was open", event.getHoldId()).isNotNull();
            return amount;
        }
    }
}
