// The dead-letter topics read back for review, and unreadable commands sent again to where they came from.
package io.bursar.app.dlq;

import io.bursar.schemas.dispatch.FulfilmentLine;
import io.bursar.schemas.dispatch.FulfilmentLineOutcome;
import io.bursar.schemas.dispatch.ProviderCall;
import io.bursar.app.kafka.TopicLog;
import io.bursar.serdes.Topics;
import io.bursar.topology.DeadLetterHandler;
import io.bursar.topology.dispatch.ProviderDispatchProcessor;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Reads {@code command-dead-letters} (records no processor could read, kept as their original bytes with the
 * error and their origin in headers) and {@code provider-requests-dlq} (provider calls that failed for good or ran
 * out of attempts, and the lines a fulfilment provider refused) back for review, with filters; and sends dead
 * commands again to the topic and key they came from (a redrive), once: each redrive is recorded, in the same
 * transaction, on the compacted {@value #REDRIVES_TOPIC}, and a letter redriven before is skipped. A redriven
 * command keeps its commandId, so one applied in between yields its original result and no second effect.
 */
public final class DeadLetters {

    /** Where redrives are recorded: key the letter's position, value when and where it went. */
    public static final String REDRIVES_TOPIC = "dead-letter-redrives";
    /** Header of a redriven record: the dead letter it came from. */
    public static final String HEADER_REDRIVEN_FROM = "bursar.redriven.from";

    /**
     * One dead letter.
     *
     * @param topic     the dead-letter topic
     * @param at        when it was dead-lettered
     * @param key       its key, as text
     * @param origin    where it came from ({@code topic/partition@offset}), or null when its headers do not say
     * @param reason    why ({@code bursar.error.reason}; for a record that could not be read, the error's message)
     * @param message   the error's message, when there is one
     * @param attempts  provider calls made, for a provider call
     * @param summary   what it is: a provider call's operation, id and provider; else the error class
     * @param lines     the refused lines of a fulfilment call, {@code itemId: reason}
     * @param redriven  where and when it was sent again, or null
     * @param redrivable whether it may be sent again: an unreadable command with its origin; a provider call's fate
     *                  is its payment's or order's to decide
     */
    public record Letter(String topic, int partition, long offset, Instant at, String key, String origin,
                         String reason, String message, Integer attempts, String summary, List<String> lines,
                         String redriven, boolean redrivable, ConsumerRecord<byte[], byte[]> record) {

        /** {@code topic/partition@offset}. */
        public String position() {
            return topic + "/" + partition + "@" + offset;
        }
    }

    /**
     * Which letters to show.
     *
     * @param topic          one dead-letter topic, or null for both
     * @param reasonContains a piece of the reason (case-insensitive), or null
     * @param since          the earliest time, or null
     */
    public record Filter(String topic, String reasonContains, Instant since) {

        boolean keeps(final Letter letter) {
            return (topic == null || topic.equals(letter.topic()))
                    && (reasonContains == null || letter.reason() != null
                    && letter.reason().toLowerCase().contains(reasonContains.toLowerCase()))
                    && (since == null || !letter.at().isBefore(since));
        }
    }

    /** What a redrive did: letters sent again, and those skipped (redriven before, or not redrivable). */
    public record Redrive(List<Letter> sent, List<Letter> skipped) {
    }

    private final Map<String, Object> kafka;
    private final Topics topics;
    private final TopicLog log;

    public DeadLetters(final Map<String, Object> kafkaClientConfig, final Topics topics) {
        this.kafka = Map.copyOf(kafkaClientConfig);
        this.topics = topics;
        this.log = new TopicLog(kafka);
    }

    /** Every letter of both topics that {@code filter} keeps, oldest first per topic. */
    public List<Letter> list(final Filter filter) {
        final Map<String, String> redrives = redrives();
        final List<Letter> letters = new ArrayList<>();
        for (final String topic : List.of(topics.deadLetters.name(), topics.providerDeadLetters.name())) {
            for (final ConsumerRecord<byte[], byte[]> record : log.readAll(topic)) {
                final Letter letter = letter(record, redrives);
                if (filter.keeps(letter)) {
                    letters.add(letter);
                }
            }
        }
        return letters;
    }

    /** The letters {@code filter} keeps that are at {@code positions} ({@code topic/partition@offset}; any when empty). */
    public List<Letter> select(final Filter filter, final List<String> positions) {
        return list(filter).stream().filter(letter -> positions.isEmpty() || positions.contains(letter.position()))
                .toList();
    }

    /** Why a redrive leaves {@code letter} alone, or null when it would send it. */
    public static String whySkipped(final Letter letter) {
        if (letter.redriven() != null) {
            return "redriven " + letter.redriven();
        }
        return letter.redrivable() ? null : "not a command: " + letter.summary();
    }

    /**
     * Sends each redrivable letter of {@code letters} not redriven before to its origin topic, with its original key
     * and bytes and a {@value #HEADER_REDRIVEN_FROM} header, and records it, in one transaction.
     */
    public Redrive redrive(final List<Letter> letters) {
        log.ensureCompacted(REDRIVES_TOPIC);
        final Map<String, String> done = redrives();
        final List<Letter> sent = new ArrayList<>();
        final List<Letter> skipped = new ArrayList<>();
        final Map<String, Object> config = new HashMap<>(kafka);
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "bursar-dlq-redrive-" + UUID.randomUUID());
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            producer.initTransactions();
            for (final Letter letter : letters) {
                if (!letter.redrivable() || done.containsKey(letter.position())) {
                    skipped.add(letter);
                    continue;
                }
                final String originTopic = header(letter.record().headers(), DeadLetterHandler.HEADER_ORIGIN_TOPIC);
                final Headers headers = new RecordHeaders();
                headers.add(HEADER_REDRIVEN_FROM, letter.position().getBytes(StandardCharsets.UTF_8));
                final String mark = Instant.now() + " to " + originTopic;
                producer.beginTransaction();
                // The key decides the partition, as it did when the record was first written.
                producer.send(new ProducerRecord<>(originTopic, null, letter.record().key(), letter.record().value(),
                        headers));
                producer.send(new ProducerRecord<>(REDRIVES_TOPIC, letter.position().getBytes(StandardCharsets.UTF_8),
                        mark.getBytes(StandardCharsets.UTF_8)));
                producer.commitTransaction();
                done.put(letter.position(), mark);
                sent.add(letter);
            }
        }
        return new Redrive(sent, skipped);
    }

    private Letter letter(final ConsumerRecord<byte[], byte[]> record, final Map<String, String> redrives) {
        final Headers headers = record.headers();
        final String originTopic = header(headers, DeadLetterHandler.HEADER_ORIGIN_TOPIC);
        final String origin = originTopic == null ? null : originTopic + "/"
                + header(headers, DeadLetterHandler.HEADER_ORIGIN_PARTITION) + "@"
                + header(headers, DeadLetterHandler.HEADER_ORIGIN_OFFSET);
        final String attempts = header(headers, ProviderDispatchProcessor.HEADER_ERROR_ATTEMPTS);
        String summary = header(headers, DeadLetterHandler.HEADER_ERROR_CLASS);
        final List<String> lines = new ArrayList<>();
        if (record.topic().equals(topics.providerDeadLetters.name()) && record.value() != null) {
            try {
                final ProviderCall call = topics.providerDeadLetters.valueSerde().deserializer()
                        .deserialize(record.topic(), headers, record.value());
                summary = call.getOperation() + " " + call.getPaymentId() + " via " + call.getProviderId()
                        + (call.getCategoryId() == null ? " for " + call.getPartnerId() : " in " + call.getCategoryId());
                for (final FulfilmentLine line : call.getLines()) {
                    if (line.getOutcome() != FulfilmentLineOutcome.SUCCEEDED) {
                        lines.add(line.getItemId() + ": " + line.getOutcome()
                                + (line.getReason() == null ? "" : " " + line.getReason()));
                    }
                }
            } catch (final RuntimeException unreadable) {
                summary = "unreadable provider call: " + unreadable.getMessage();
            }
        }
        final String position = record.topic() + "/" + record.partition() + "@" + record.offset();
        return new Letter(record.topic(), record.partition(), record.offset(), Instant.ofEpochMilli(record.timestamp()),
                record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8), origin,
                reason(headers), header(headers, DeadLetterHandler.HEADER_ERROR_MESSAGE),
                attempts == null ? null : Integer.valueOf(attempts), summary, List.copyOf(lines),
                redrives.get(position), origin != null && !record.topic().equals(topics.providerDeadLetters.name()),
                record);
    }

    /** position → where and when it was redriven, from the redrive log (empty when there is none yet). */
    private Map<String, String> redrives() {
        final Map<String, String> redrives = new HashMap<>();
        for (final ConsumerRecord<byte[], byte[]> record : log.readAll(REDRIVES_TOPIC)) {
            if (record.key() != null && record.value() != null) {
                redrives.put(new String(record.key(), StandardCharsets.UTF_8),
                        new String(record.value(), StandardCharsets.UTF_8));
            }
        }
        return redrives;
    }

    /** Why a letter was dead-lettered: the reason header, else (a record no deserializer could read) the error's message. */
    public static String reason(final Headers headers) {
        final String reason = header(headers, DeadLetterHandler.HEADER_ERROR_REASON);
        return reason != null ? reason : header(headers, DeadLetterHandler.HEADER_ERROR_MESSAGE);
    }

    private static String header(final Headers headers, final String name) {
        final Header header = headers.lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
