package io.bursar.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.serdes.SchemaRegistryException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler.Result;
import org.junit.jupiter.api.Test;

/** Which unreadable records become dead letters, and what a dead letter carries. */
class DeadLetterHandlerTest {

    private final DeadLetterHandler handler = new DeadLetterHandler();
    private final ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>("payment-commands", 3, 42L,
            "p1".getBytes(StandardCharsets.UTF_8), "junk".getBytes(StandardCharsets.UTF_8));

    DeadLetterHandlerTest() {
        handler.configure(Map.of(DeadLetterHandler.TOPIC_CONFIG, "dead"));
    }

    @Test
    void badBytesBecomeADeadLetterWithTheirOrigin() {
        final var response = handler.handleError(null, record, new SerializationException("bad magic byte"));

        assertThat(response.result()).isEqualTo(Result.RESUME);
        final ProducerRecord<byte[], byte[]> dead = response.deadLetterQueueRecords().get(0);
        assertThat(dead.topic()).isEqualTo("dead");
        assertThat(dead.value()).isEqualTo(record.value());
        assertThat(dead.key()).isEqualTo(record.key());
        assertThat(header(dead, DeadLetterHandler.HEADER_ORIGIN_PARTITION)).isEqualTo("3");
        assertThat(header(dead, DeadLetterHandler.HEADER_ORIGIN_OFFSET)).isEqualTo("42");
        assertThat(header(dead, DeadLetterHandler.HEADER_ERROR_MESSAGE)).isEqualTo("bad magic byte");
    }

    @Test
    void anUnreachableRegistryFailsTheThreadInsteadOfDeadLetteringGoodData() {
        final var unreachable = new SerializationException("cannot fetch schema 7",
                new SchemaRegistryException("connection refused", SchemaRegistryException.NO_HTTP_STATUS, -1));

        final var response = handler.handleError(null, record, unreachable);

        assertThat(response.result()).isEqualTo(Result.FAIL);
        assertThat(response.deadLetterQueueRecords()).isEmpty();
    }

    @Test
    void anUnknownSchemaIdIsTheRecordsFault() {
        final var unknownId = new SerializationException("no schema 7",
                new SchemaRegistryException("not found", 404, SchemaRegistryException.SCHEMA_NOT_FOUND));

        assertThat(handler.handleError(null, record, unknownId).result()).isEqualTo(Result.RESUME);
    }

    private static String header(final ProducerRecord<byte[], byte[]> record, final String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }
}
