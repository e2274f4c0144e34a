// Where the generation of each commands application is kept: one compacted topic, one record per reset.
package io.bursar.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bursar.app.kafka.TopicLog;
import io.bursar.topology.Generation;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The generation of each commands application ({@link Generation}), kept in topic {@value #TOPIC} (one partition,
 * compacted) under the application id. {@code bursar reset --all} writes the next one; every instance reads it as
 * it starts, and {@code bursar verify} to audit the latest. The value is JSON:
 * {@code {"generation":1,"resetAt":"2026-12-07T09:00:00Z","horizon":{"payment-commands-0":1042,...}}}.
 */
public final class Generations {

    /** The topic; not an internal topic of any application, so Kafka's reset tool leaves it alone. */
    public static final String TOPIC = "bursar-generations";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Object> kafka;
    private final TopicLog log;

    public Generations(final Map<String, Object> kafkaClientConfig) {
        this.kafka = Map.copyOf(kafkaClientConfig);
        this.log = new TopicLog(kafka);
    }

    /** The application's current generation: the last one recorded, or {@link Generation#FIRST}. */
    public Generation current(final String applicationId) {
        Generation current = Generation.FIRST;
        for (final ConsumerRecord<byte[], byte[]> record : log.readAll(TOPIC)) {
            if (record.key() != null && record.value() != null
                    && applicationId.equals(new String(record.key(), StandardCharsets.UTF_8))) {
                current = parse(record.value());
            }
        }
        return current;
    }

    /** Records {@code next} as the application's generation, reset at {@code at}. */
    public void record(final String applicationId, final Generation next, final Instant at) {
        log.ensureCompacted(TOPIC);
        final ObjectNode value = JSON.createObjectNode();
        value.put("generation", next.number());
        value.put("resetAt", at.toString());
        final ObjectNode horizon = value.putObject("horizon");
        next.horizon().forEach((partition, offset) -> horizon.put(partition.toString(), offset));
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(kafka, new StringSerializer(),
                new StringSerializer())) {
            producer.send(new ProducerRecord<>(TOPIC, applicationId, value.toString())).get(30, TimeUnit.SECONDS);
        } catch (final Exception e) {
            throw new IllegalStateException("could not record generation " + next.number() + " of " + applicationId
                    + " in " + TOPIC, e);
        }
    }

    static Generation parse(final byte[] value) {
        try {
            final JsonNode json = JSON.readTree(value);
            final Map<TopicPartition, Long> horizon = new HashMap<>();
            for (final Iterator<Map.Entry<String, JsonNode>> it = json.path("horizon").fields(); it.hasNext(); ) {
                final Map.Entry<String, JsonNode> entry = it.next();
                final int dash = entry.getKey().lastIndexOf('-');
                horizon.put(new TopicPartition(entry.getKey().substring(0, dash),
                        Integer.parseInt(entry.getKey().substring(dash + 1))), entry.getValue().asLong());
            }
            return new Generation(json.path("generation").asInt(), horizon);
        } catch (final Exception e) {
            throw new IllegalStateException("unreadable record in " + TOPIC + ": "
                    + new String(value, StandardCharsets.UTF_8), e);
        }
    }
}
