package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.app.kafka.EmbeddedKafkaBroker;
import io.bursar.gateway.ApiKeys;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A read never says "not found" for something accepted before it: on a real broker, with the commands
 * application paused as a crashed partition's would be, a payment the gateway accepted is answered 503 with
 * Retry-After (and so is an id nobody sent: absence cannot be proven while commands wait), never 404; once
 * processing resumes the payment is read, and an unknown id is 404 again, also when a command topic ends in an
 * aborted transaction.
 */
class AbsentKeysIT {

    private static final String ADMIN_KEY = ApiKeys.newKey();

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();
    private final Started started = new Started();

    @AfterEach
    void stopAll() {
        started.close();
    }

    @Test
    void aPaymentAcceptedButNotYetProcessedIsNeverAnsweredNotFound() throws Exception {
        final EmbeddedKafkaBroker broker = started.track(EmbeddedKafkaBroker.builder().build().start());
        final BursarNode node = started.node(broker, "absent-keys", ADMIN_KEY, Map.of());
        assertThat(get(node, "/v1/payments/never-sent").statusCode()).isEqualTo(404);

        node.streams().pause();
        assertThat(node.streams().isPaused()).isTrue();
        final HttpResponse<String> accepted = send(node, HttpRequest.newBuilder(
                        URI.create(node.gateway().url() + "/v1/payments"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"paymentId\":\"pay-held-back\",\"partnerId\":\"acme\","
                        + "\"amountMinor\":100,\"currency\":\"EUR\",\"method\":\"BALANCE\"}")));
        assertThat(accepted.statusCode()).isEqualTo(202);

        final HttpResponse<String> heldBack = get(node, "/v1/payments/pay-held-back");
        final HttpResponse<String> heldBackLongPoll = get(node, "/v1/payments/pay-held-back?waitMs=1000");
        final HttpResponse<String> unknownWhileHeld = get(node, "/v1/payments/never-sent");

        assertThat(heldBack.statusCode()).as(heldBack.body()).isEqualTo(503);
        assertThat(heldBack.headers().firstValue("Retry-After")).isPresent();
        assertThat(heldBack.body()).contains("not found yet");
        assertThat(heldBackLongPoll.statusCode()).as(heldBackLongPoll.body()).isEqualTo(503);
        assertThat(unknownWhileHeld.statusCode()).as(unknownWhileHeld.body()).isEqualTo(503);
        assertThat(get(node, "/v1/partners/acme/balance").statusCode()).isEqualTo(503);

        node.streams().resume();
        final HttpResponse<String> processed = get(node, "/v1/payments/pay-held-back?waitMs=30000");
        assertThat(processed.statusCode()).as(processed.body()).isEqualTo(200);
        assertThat(json.readTree(processed.body()).path("status").asText()).isEqualTo("FAILED");
        assertThat(node.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
        assertThat(get(node, "/v1/payments/never-sent").statusCode()).isEqualTo(404);

        // A transaction aborted on a command topic (a producer that died mid-transaction) leaves records no
        // consumer reads, and no committed offset past them: that is nothing left to process, not a backlog.
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "absent-keys-aborted"),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int partition = 0; partition < node.topics().paymentCommands.partitions(); partition++) {
                producer.send(new ProducerRecord<>(node.topics().paymentCommands.name(), partition, null,
                        "never applied".getBytes(StandardCharsets.UTF_8))).get();
            }
            producer.abortTransaction();
        }
        assertThat(get(node, "/v1/payments/never-sent").statusCode()).isEqualTo(404);
    }

    private HttpResponse<String> get(final BursarNode node, final String path) throws Exception {
        return send(node, HttpRequest.newBuilder(URI.create(node.gateway().url() + path)).GET());
    }

    private HttpResponse<String> send(final BursarNode node, final HttpRequest.Builder request) throws Exception {
        return http.send(request.header("Authorization", "Bearer " + ADMIN_KEY).timeout(Duration.ofSeconds(40))
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
