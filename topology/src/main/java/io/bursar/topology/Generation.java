// Which life of the commands application this is: the first, or a reprocessing of the log from its start.
package io.bursar.topology;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.ProcessingContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * The generation of the commands application: 0 for its first life, one more after each {@code bursar reset
 * --all}. A later generation processes the log again from its start; its {@code horizon} is where each input
 * partition ended when it was reset.
 *
 * <p>A record below the horizon was processed by an earlier generation, and what that sent to other keys' inputs
 * (payment commands of an order, provider calls, catalog entries) is still in the log and is read again in its
 * place. Processing it again rebuilds the stores and emits its events, but sends nothing else. Every record the
 * processors send in a generation after the first carries header {@value #HEADER} with the generation's number,
 * so that a consumer of the event topics tells the lives apart.
 */
public record Generation(int number, Map<TopicPartition, Long> horizon) {

    /** Header of every record a processor sends in a generation after the first: the number, as text. */
    public static final String HEADER = "bursar-generation";

    /** The first life: nothing processed before it. */
    public static final Generation FIRST = new Generation(0, Map.of());

    public Generation {
        if (number < 0) {
            throw new IllegalArgumentException("a generation is numbered from 0: " + number);
        }
        horizon = Map.copyOf(Objects.requireNonNull(horizon, "horizon"));
    }

    /** True when the record being processed was processed by an earlier generation. */
    public boolean replaying(final ProcessingContext context) {
        if (horizon.isEmpty()) {
            return false;
        }
        final RecordMetadata metadata = context.recordMetadata().orElse(null);
        if (metadata == null) {
            return false;
        }
        final Long end = horizon.get(new TopicPartition(metadata.topic(), metadata.partition()));
        return end != null && metadata.offset() < end;
    }

    /** {@code record}, with this generation's header when it is not the first. */
    public <K, V> Record<K, V> stamp(final Record<K, V> record) {
        if (number > 0) {
            record.headers().add(HEADER, Integer.toString(number).getBytes(StandardCharsets.UTF_8));
        }
        return record;
    }

    /** The generation a record was sent in: its header's number, or 0 without one. */
    public static int of(final Headers headers) {
        final Header header = headers.lastHeader(HEADER);
        return header == null ? 0 : Integer.parseInt(new String(header.value(), StandardCharsets.UTF_8));
    }
}
