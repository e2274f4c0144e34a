// Reading a topic whole and keeping a small compacted topic of Bursar's own: the dead-letter and reset tools' way.
package io.bursar.app.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Whole-topic reads and the creation of Bursar's own small compacted topics, with a client configuration. */
public final class TopicLog {

    private final Map<String, Object> kafka;

    /** @param kafka the configuration of Kafka clients (bootstrap servers, security) */
    public TopicLog(final Map<String, Object> kafka) {
        this.kafka = Map.copyOf(kafka);
    }

    /** Creates {@code topic} with one partition, compacted, unless it exists. */
    public void ensureCompacted(final String topic) {
        try (Admin admin = Admin.create(kafka)) {
            if (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic)) {
                admin.createTopics(List.of(new NewTopic(topic, 1, (short) -1)
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT))))
                        .all().get(30, TimeUnit.SECONDS);
            }
        } catch (final ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("could not create " + topic, e);
            }
        } catch (final Exception e) {
            throw new IllegalStateException("could not create " + topic, e);
        }
    }

    /** Every committed record of {@code topic}, to its end at the time of the call; none when it does not exist. */
    public List<ConsumerRecord<byte[], byte[]>> readAll(final String topic) {
        final Properties props = new Properties();
        props.putAll(kafka);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        if (!exists(topic)) {
            return records;
        }
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            if (partitions.isEmpty()) {
                return records;
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            final Set<TopicPartition> open = new HashSet<>(partitions);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!open.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                open.removeIf(tp -> consumer.position(tp) >= ends.get(tp));
            }
        }
        return records;
    }

    /** True when the cluster has {@code topic}. */
    public boolean exists(final String topic) {
        try (Admin admin = Admin.create(kafka)) {
            return admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic);
        } catch (final Exception e) {
            throw new IllegalStateException("could not list the cluster's topics", e);
        }
    }
}
