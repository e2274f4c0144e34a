package io.bursar.topology;

import io.bursar.serdes.SchemaRegistryException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a record that cannot be deserialized, bytes unchanged, to the dead-letter topic with the error
 * and its origin in headers, and lets the stream thread go on. The dead letter is produced in the same
 * transaction as the task's other output, so it is neither lost nor doubled.
 */
public final class DeadLetterHandler implements DeserializationExceptionHandler {

    /** Config key: the dead-letter topic, set from the {@code Topics} catalog. */
    public static final String TOPIC_CONFIG = "bursar.dead.letter.topic";

    public static final String HEADER_ERROR_CLASS = "bursar.error.class";
    /** Why a record that could be read was refused (for instance WRONG_PARTITION); absent on unreadable records. */
    public static final String HEADER_ERROR_REASON = "bursar.error.reason";
    public static final String HEADER_ERROR_MESSAGE = "bursar.error.message";
    public static final String HEADER_ORIGIN_TOPIC = "bursar.origin.topic";
    public static final String HEADER_ORIGIN_PARTITION = "bursar.origin.partition";
    public static final String HEADER_ORIGIN_OFFSET = "bursar.origin.offset";

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterHandler.class);
    /** Error messages can quote the whole input; headers stay small. */
    private static final int MESSAGE_LENGTH_MAX = 1_000;

    private String topic;

    @Override
    public void configure(final Map<String, ?> configs) {
        final Object configured = configs.get(TOPIC_CONFIG);
        if (configured == null || configured.toString().isBlank()) {
            throw new IllegalArgumentException(TOPIC_CONFIG + " must name the dead-letter topic");
        }
        this.topic = configured.toString();
    }

    @Override
    public Response handleError(final ErrorHandlerContext context, final ConsumerRecord<byte[], byte[]> record,
                                final Exception exception) {
        if (isRegistryUnavailable(exception)) {
            // The record may be fine: the registry did not answer. Fail the thread (it is replaced and
            // the record read again) rather than dead-letter good data during an outage.
            LOG.warn("Schema registry unavailable while reading {}-{}@{}: {}", record.topic(), record.partition(),
                    record.offset(), exception.toString());
            return Response.fail();
        }
        LOG.warn("Unreadable record {}-{}@{} sent to {}: {}", record.topic(), record.partition(), record.offset(),
                topic, exception.toString());
        final Headers headers = new RecordHeaders(record.headers().toArray());
        headers.add(HEADER_ERROR_CLASS, utf8(exception.getClass().getName()));
        addErrorAndOrigin(headers, String.valueOf(exception.getMessage()), record.topic(), record.partition(),
                record.offset());
        // A record without a timestamp (-1) must not make the dead letter itself unsendable.
        final Long timestamp = record.timestamp() >= 0 ? record.timestamp() : null;
        return Response.resume(List.of(new ProducerRecord<>(topic, null, timestamp, record.key(),
                record.value(), headers)));
    }

    /**
     * Headers for a record that was read but refused by its processor, which sends it to the dead-letter topic
     * itself: its own headers, then the reason code, the message and its origin.
     */
    public static Headers refusal(final Headers original, final String reason, final String message,
                                  final RecordMetadata origin) {
        final Headers headers = new RecordHeaders(original.toArray());
        headers.add(HEADER_ERROR_REASON, utf8(reason));
        addErrorAndOrigin(headers, message, origin.topic(), origin.partition(), origin.offset());
        return headers;
    }

    private static void addErrorAndOrigin(final Headers headers, final String message, final String topic,
                                          final int partition, final long offset) {
        headers.add(HEADER_ERROR_MESSAGE, utf8(message.length() > MESSAGE_LENGTH_MAX
                ? message.substring(0, MESSAGE_LENGTH_MAX) : message));
        headers.add(HEADER_ORIGIN_TOPIC, utf8(topic));
        headers.add(HEADER_ORIGIN_PARTITION, utf8(Integer.toString(partition)));
        headers.add(HEADER_ORIGIN_OFFSET, utf8(Long.toString(offset)));
    }

    /** True when the cause chain holds a registry error that says nothing about the record itself. */
    public static boolean isRegistryUnavailable(final Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof SchemaRegistryException registry && registry.isTransient()) {
                return true;
            }
        }
        return false;
    }

    private static byte[] utf8(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
