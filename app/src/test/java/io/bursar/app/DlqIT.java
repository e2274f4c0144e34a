// Dead letters on a real broker: listed with their origin and reason, redriven to where they came from, once.
package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.app.dlq.DeadLetters;
import io.bursar.app.kafka.EmbeddedKafkaBroker;
import io.bursar.gateway.ApiKeys;
import io.bursar.queries.Read;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.CreditKind;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.serdes.Topics;
import io.bursar.topology.DeadLetterHandler;
import io.bursar.topology.Misrouting;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A poison record (bytes no schema reads) written to {@code payment-commands} by a careless producer, and a good
 * command that was dead-lettered (as when the registry could not be reached): both listed, the good one redriven
 * and applied once however often the redrive runs, the poison one redriven once and dead-lettered again.
 */
class DlqIT {

    private static final String ADMIN_KEY = ApiKeys.newKey();

    @RegisterExtension
    final Started started = new Started();
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void deadLettersAreListedAndARedriveAppliesEachOnce() throws Exception {
        final EmbeddedKafkaBroker broker = started.broker();
        final BursarConfig config = Started.config(broker, "dlq-it", ADMIN_KEY, Map.of());
        final BursarNode node = started.node(config);
        final Topics topics = node.topics();
        final int partition = Misrouting.partitionOf("acme", topics.paymentCommands.partitions());

        final byte[] credit = topics.paymentCommands.valueSerde().serializer().serialize(topics.paymentCommands.name(),
                PaymentCommand.newBuilder().setCommandId("credit-from-the-dlq").setPartnerId("acme")
                        .setIssuedAt(Instant.now()).setPayload(new Credit(CreditKind.CREDIT, new Money(700L, "EUR")))
                        .build());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
            // A careless producer's bytes: the processor cannot read them, so the handler dead-letters them.
            producer.send(new ProducerRecord<>(topics.paymentCommands.name(), partition, utf8("acme"),
                    utf8("{\"not\": \"avro\"}"))).get(30, TimeUnit.SECONDS);
            // A good command dead-lettered while it could not be read (the registry away, say), with its origin.
            final RecordHeaders headers = new RecordHeaders();
            headers.add(DeadLetterHandler.HEADER_ERROR_REASON, utf8("REGISTRY_UNAVAILABLE"));
            headers.add(DeadLetterHandler.HEADER_ORIGIN_TOPIC, utf8(topics.paymentCommands.name()));
            headers.add(DeadLetterHandler.HEADER_ORIGIN_PARTITION, utf8(Integer.toString(partition)));
            headers.add(DeadLetterHandler.HEADER_ORIGIN_OFFSET, utf8("7"));
            producer.send(new ProducerRecord<>(topics.deadLetters.name(), 0, null, utf8("acme"), credit, headers))
                    .get(30, TimeUnit.SECONDS);
        }
        final DeadLetters deadLetters = new DeadLetters(config.kafkaClientConfig(), topics);
        final DeadLetters.Filter all = new DeadLetters.Filter(null, null, null);
        awaitLetters(deadLetters, all, 2);

        final List<DeadLetters.Letter> letters = deadLetters.list(all);
        assertThat(letters).allMatch(letter -> letter.topic().equals(topics.deadLetters.name()));
        assertThat(letters).allMatch(letter -> letter.origin().startsWith(topics.paymentCommands.name() + "/" + partition + "@"));
        assertThat(letters).allMatch(DeadLetters.Letter::redrivable);
        final DeadLetters.Letter good = letters.stream().filter(letter -> "REGISTRY_UNAVAILABLE".equals(letter.reason()))
                .findFirst().orElseThrow();
        final DeadLetters.Letter poison = letters.stream().filter(letter -> letter != good).findFirst().orElseThrow();
        assertThat(poison.reason()).contains("magic byte");
        assertThat(poison.key()).isEqualTo("acme");
        assertThat(deadLetters.list(new DeadLetters.Filter(null, "registry", null)))
                .extracting(DeadLetters.Letter::position).containsExactly(good.position());

        // The admin's routes show the same letters.
        final JsonNode listed = json.readTree(admin(node, HttpRequest.newBuilder(
                URI.create(node.gateway().url() + "/v1/admin/dead-letters?reason=registry")).GET()));
        assertThat(listed.get("count").asInt()).isEqualTo(1);
        assertThat(listed.get("letters").get(0).get("position").asText()).isEqualTo(good.position());
        assertThat(listed.get("letters").get(0).get("origin").asText()).isEqualTo(good.origin());

        // Redriven through the gateway: the command reaches its partner once; a second redrive of it is skipped.
        final String byPosition = "{\"positions\":[\"" + good.position() + "\"]}";
        assertThat(json.readTree(redrive(node, byPosition)).get("sent").get(0).asText()).isEqualTo(good.position());
        assertThat(awaitBalance(node, 700)).isEqualTo(700);
        final JsonNode again = json.readTree(redrive(node, "{\"reason\":\"registry\"}"));
        assertThat(again.get("sent")).isEmpty();
        assertThat(again.get("skipped")).hasSize(1);
        assertThat(again.get("skipped").get(0).get("why").asText()).startsWith("redriven ")
                .contains(topics.paymentCommands.name());

        // The poison record goes back, is still unreadable, and is dead-lettered again: a new letter, redriven once.
        assertThat(deadLetters.redrive(List.of(poison)).sent()).hasSize(1);
        awaitLetters(deadLetters, all, 3);
        final DeadLetters.Redrive everything = deadLetters.redrive(deadLetters.list(all));
        assertThat(everything.skipped()).extracting(DeadLetters.Letter::position)
                .contains(good.position(), poison.position());
        assertThat(everything.sent()).hasSize(1);
        Thread.sleep(2_000);
        assertThat(awaitBalance(node, 700)).as("nothing applied twice").isEqualTo(700);
    }

    private String redrive(final BursarNode node, final String body) throws Exception {
        return admin(node, HttpRequest.newBuilder(URI.create(node.gateway().url() + "/v1/admin/dead-letters/redrive"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** The body of an admin request that must answer 200. */
    private String admin(final BursarNode node, final HttpRequest.Builder request) throws Exception {
        final HttpResponse<String> answer = http.send(request.header("Authorization", "Bearer " + ADMIN_KEY).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return answer.body();
    }

    private static void awaitLetters(final DeadLetters deadLetters, final DeadLetters.Filter filter, final int count)
            throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (deadLetters.list(filter).size() < count && System.nanoTime() < deadline) {
            Thread.sleep(250);
        }
        assertThat(deadLetters.list(filter)).hasSize(count);
    }

    private static long awaitBalance(final BursarNode node, final long expected) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long available = -1;
        while (System.nanoTime() < deadline) {
            if (node.balances().read("acme") instanceof Read.Found<PartnerBalance> found) {
                available = found.value().getAccounts().get("EUR").getAvailableMinor();
                if (available == expected) {
                    return available;
                }
            }
            Thread.sleep(100);
        }
        return available;
    }

    private static byte[] utf8(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
