package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.app.kafka.EmbeddedKafkaBroker;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A read never says "not found" for something accepted before it: on a real broker, with the commands
 * application paused as a crashed partition's would be, a payment the gateway accepted is answered 503 with
 * Retry-After (and so is an id nobody sent: absence cannot be proven while commands wait), never 404; once
 * processing resumes the payment is read, and an unknown id is 404 again, also when a command topic ends in an
 * aborted transaction.
 */
class AbsentKeysIT {

    @RegisterExtension
    final Started started = new Started();

    @Test
    void aPaymentAcceptedButNotYetProcessedIsNeverAnsweredNotFound() throws Exception {
        final EmbeddedKafkaBroker broker = started.broker();
        final BursarNode node = started.node(broker, "absent-keys", Map.of());
        final GatewayCalls gateway = new GatewayCalls(node, started.adminKey(), Duration.ofSeconds(40));
        assertThat(gateway.get("/v1/payments/never-sent").statusCode()).isEqualTo(404);

        node.streams().pause();
        assertThat(node.streams().isPaused()).isTrue();
        final HttpResponse<String> accepted = gateway.post("/v1/payments", "{\"paymentId\":\"pay-held-back\","
                + "\"partnerId\":\"acme\",\"amountMinor\":100,\"currency\":\"EUR\",\"method\":\"BALANCE\"}");
        assertThat(accepted.statusCode()).isEqualTo(202);

        final HttpResponse<String> heldBack = gateway.get("/v1/payments/pay-held-back");
        final HttpResponse<String> heldBackLongPoll = gateway.get("/v1/payments/pay-held-back?waitMs=1000");
        final HttpResponse<String> unknownWhileHeld = gateway.get("/v1/payments/never-sent");

        assertThat(heldBack.statusCode()).as(heldBack.body()).isEqualTo(503);
        assertThat(heldBack.headers().firstValue("Retry-After")).isPresent();
        assertThat(heldBack.body()).contains("not found yet");
        assertThat(heldBackLongPoll.statusCode()).as(heldBackLongPoll.body()).isEqualTo(503);
        assertThat(unknownWhileHeld.statusCode()).as(unknownWhileHeld.body()).isEqualTo(503);
        assertThat(gateway.get("/v1/partners/acme/balance").statusCode()).isEqualTo(503);

        node.streams().resume();
        final HttpResponse<String> processed = gateway.get("/v1/payments/pay-held-back?waitMs=30000");
        assertThat(processed.statusCode()).as(processed.body()).isEqualTo(200);
        assertThat(gateway.json(processed).path("status").asText()).isEqualTo("FAILED");
        assertThat(node.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
        assertThat(gateway.get("/v1/payments/never-sent").statusCode()).isEqualTo(404);

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
        assertThat(gateway.get("/v1/payments/never-sent").statusCode()).isEqualTo(404);
    }
}
