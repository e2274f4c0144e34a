package io.bursar.topology;

import io.bursar.serdes.Topics;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells whether a record arrived on the partition its key maps to under Kafka's default partitioner
 * (murmur2 of the key's UTF-8 bytes, modulo the topic's partitions), and counts, per topic, the records
 * that did not.
 *
 * <p>A stateful processor owns the state of the keys of its partition. A producer whose partitioner
 * differs from Java's default (librdkafka's {@code consistent_random} hashes with CRC32) puts a key on
 * another partition, where a second, empty copy of that key's state would grow — a second ledger for one
 * partner. Processors refuse such records instead of applying them: commands get a rejection with
 * reason WRONG_PARTITION, internal records go to a dead-letter topic. Shared by the stream threads of one
 * instance.
 */
public final class Misrouting {

    /** Reason code of a refused record, in rejection events and dead-letter headers. */
    public static final String WRONG_PARTITION = "WRONG_PARTITION";

    private static final Logger LOG = LoggerFactory.getLogger(Misrouting.class);

    private final Map<String, Integer> partitionsByTopic;
    private final ConcurrentMap<String, LongAdder> refusedByTopic = new ConcurrentHashMap<>();

    private Misrouting(final Map<String, Integer> partitionsByTopic) {
        this.partitionsByTopic = Map.copyOf(partitionsByTopic);
    }

    /**
     * Checks the inputs of the processors that own state per key — {@code payment-commands} and
     * {@code provider-results} (partner), {@code order-commands}, {@code order-payment-outcomes} and
     * {@code fulfilment-results} (category), {@code provider-requests} (provider) — against their declared
     * partition counts.
     */
    public static Misrouting of(final Topics topics) {
        final Map<String, Integer> partitions = new HashMap<>();
        for (final Topics.Topic<?, ?> topic : List.of(topics.paymentCommands, topics.providerResults,
                topics.orderCommands, topics.orderPaymentOutcomes, topics.fulfilmentResults, topics.providerRequests)) {
            partitions.put(topic.name(), topic.partitions());
        }
        return new Misrouting(partitions);
    }

    /** The partition Kafka's default partitioner (Java's, and librdkafka's {@code murmur2_random}) gives {@code key}. */
    public static int partitionOf(final String key, final int partitions) {
        Objects.requireNonNull(key, "key");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
        }
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    /**
     * Null when the record being processed sits on its key's partition, has no key (the processor's own key
     * checks answer that), or comes from a topic this catalog does not declare; otherwise a sentence naming
     * the expected and the actual partition, and the record is counted.
     */
    public String check(final ProcessorContext<?, ?> context, final String key) {
        final RecordMetadata origin = context.recordMetadata().orElse(null);
        if (key == null || origin == null) {
            return null;
        }
        final Integer partitions = partitionsByTopic.get(origin.topic());
        if (partitions == null) {
            return null;
        }
        final int expected = partitionOf(key, partitions);
        if (expected == origin.partition()) {
            return null;
        }
        refusedByTopic.computeIfAbsent(origin.topic(), topic -> new LongAdder()).increment();
        return "key '" + key + "' belongs on partition " + expected + " of " + origin.topic() + " (" + partitions
                + " partitions, Kafka's default murmur2 partitioner); it arrived on partition " + origin.partition();
    }

    /**
     * How a processor's refused records of {@code origin} reach the dead-letter topic: bytes exactly as they
     * would be on {@code origin} (registered under its subject, not the dead-letter topic's, which holds
     * records of every topic).
     */
    public static <V> Produced<String, V> toDeadLetters(final Topics.Topic<String, V> origin, final String sinkName) {
        final Serializer<V> serializer = origin.valueSerde().serializer();
        final Serializer<V> asOnOrigin = (topic, value) -> serializer.serialize(origin.name(), value);
        return Produced.with(origin.keySerde(), Serdes.serdeFrom(asOnOrigin, origin.valueSerde().deserializer()))
                .withName(sinkName);
    }

    /**
     * {@code record}, which {@link #check} refused for {@code detail}, with the reason, the detail and its origin
     * in headers: what a processor forwards to its dead-letter sink ({@link #toDeadLetters}) when no client waits
     * for an answer to the record.
     */
    public static <K, V> Record<K, V> refused(final ProcessorContext<?, ?> context, final Record<K, V> record,
                                              final String detail) {
        final RecordMetadata origin = context.recordMetadata().orElseThrow();
        LOG.warn("Record {}-{}@{} refused: {}", origin.topic(), origin.partition(), origin.offset(), detail);
        return record.withHeaders(DeadLetterHandler.refusal(record.headers(), WRONG_PARTITION, detail, origin));
    }

    /** Records refused so far on {@code topic}. */
    public long refused(final String topic) {
        final LongAdder count = refusedByTopic.get(topic);
        return count == null ? 0 : count.sum();
    }

    /** Every topic this check watches, sorted, for exposing counts of each. */
    public Iterable<String> topics() {
        return new TreeMap<>(partitionsByTopic).keySet();
    }
}
