package io.bursar.queries;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.TopologyDescription;

/**
 * Decides when a key missing from a store may be answered "not found": only once everything accepted before
 * the read has flowed through the applications that build the store. A command written a moment before the
 * read, or one whose partition is moving to another instance after a crash, is not in the store yet; answering
 * 404 for it would deny a payment the caller was told was accepted.
 *
 * <p>The barrier is a chain of {@link Stage}s, one per hop (the commands application over the command topics,
 * then the views application over the events, then over its own repartition topics). Each stage takes the
 * end offsets of its topics (every record written so far, transactional or not) and waits until its consumer
 * group has committed at least those offsets on every partition; the next stage's end offsets are taken only
 * then, so they include what the previous hop wrote for the records it was waiting for. Kafka Streams commits
 * the position past a transaction's marker once it has read it, so an idle partition catches up too.
 *
 * <p>Under load a stage passes within a commit interval or two; while a partition's task is moving after a
 * crash it does not, and the read answers "not yet" (503) instead of a wrong 404. Thread-safe; at most
 * {@value #CHECKS_AT_ONCE_MAX} checks at once ask the broker, the others wait their turn within their bound.
 */
public final class AbsenceBarrier implements AbsenceCheck {

    /** A consumer group and the topics it reads, fully named. */
    public record Stage(String groupId, Set<String> topics) {
        public Stage {
            Objects.requireNonNull(groupId, "groupId");
            topics = Set.copyOf(topics);
        }
    }

    /** Checks asking the broker at once; more wait their turn, within their bound. */
    static final int CHECKS_AT_ONCE_MAX = 8;
    private static final Duration POLL_INTERVAL = Duration.ofMillis(50);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);
    /** How often a stage still behind is checked for partitions with nothing left to read. */
    private static final Duration PROBE_INTERVAL = Duration.ofMillis(500);

    private final Admin admin;
    private final Map<String, Object> consumerConfig;
    private final List<Stage> stages;
    private final Semaphore checks = new Semaphore(CHECKS_AT_ONCE_MAX);
    /** topic → its partitions, learnt once. */
    private final Map<String, Integer> partitions = new ConcurrentHashMap<>();

    /**
     * A barrier over {@code stages}, checked in order, through {@code admin} (not closed here); {@code clientConfig}
     * (bootstrap servers, security) for the consumer that looks into a partition that stays behind.
     */
    public AbsenceBarrier(final Admin admin, final Map<String, Object> clientConfig, final List<Stage> stages) {
        this.admin = Objects.requireNonNull(admin, "admin");
        this.consumerConfig = Map.copyOf(clientConfig);
        this.stages = List.copyOf(stages);
    }

    /**
     * The topics {@code topology} reads, fully named: an internal (repartition) topic under
     * {@code <applicationId>-<name>}, as Kafka Streams creates it.
     */
    public static Set<String> sourceTopicsOf(final TopologyDescription topology, final String applicationId) {
        final Set<String> topics = new TreeSet<>();
        for (final TopologyDescription.Subtopology subtopology : topology.subtopologies()) {
            KeyReader.sourcesOf(subtopology).forEach(topic -> topics.add(
                    topic.endsWith("-repartition") ? applicationId + "-" + topic : topic));
        }
        return Set.copyOf(topics);
    }

    /**
     * Waits, at most {@code bound}, until every stage's group has read what its topics held when the check
     * reached it; false when that did not happen in time (or the broker could not be asked).
     */
    @Override
    public boolean proven(final Duration bound) {
        final long deadline = System.nanoTime() + bound.toNanos();
        try {
            // Waiting its turn counts against the read's own bound.
            if (!checks.tryAcquire(bound.toNanos(), TimeUnit.NANOSECONDS)) {
                return false;
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        try {
            for (final Stage stage : stages) {
                if (!caughtUp(stage, deadline)) {
                    return false;
                }
            }
            return true;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (final ExecutionException | TimeoutException e) {
            return false;
        } finally {
            checks.release();
        }
    }

    private boolean caughtUp(final Stage stage, final long deadline)
            throws InterruptedException, ExecutionException, TimeoutException {
        final Map<TopicPartition, Long> ends = endOffsets(stage.topics());
        long probedAt = 0;
        while (true) {
            final Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(stage.groupId())
                    .partitionsToOffsetAndMetadata().get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            final Map<TopicPartition, Long> behind = new HashMap<>();
            ends.forEach((partition, end) -> {
                final long at = committed.get(partition) == null ? 0 : committed.get(partition).offset();
                if (at < end) {
                    behind.put(partition, at);
                }
            });
            if (behind.isEmpty()) {
                return true;
            }
            // A partition may stay behind with nothing left to read: its last records an aborted transaction's,
            // which a consumer skips without committing past them. Look, now and then.
            if (System.nanoTime() - probedAt >= PROBE_INTERVAL.toNanos()) {
                probedAt = System.nanoTime();
                if (nothingToRead(behind, ends, deadline)) {
                    return true;
                }
            }
            if (System.nanoTime() + POLL_INTERVAL.toNanos() >= deadline) {
                return false;
            }
            Thread.sleep(POLL_INTERVAL.toMillis());
        }
    }

    /**
     * True when, from each partition's {@code from} offset to its {@code ends} offset, a read_committed consumer
     * finds no record: only transaction markers and aborted records lie there. False as soon as it finds one, or
     * when it cannot get to the end in time (an open transaction, say).
     */
    private boolean nothingToRead(final Map<TopicPartition, Long> from, final Map<TopicPartition, Long> ends,
                                  final long deadline) {
        final Map<String, Object> settings = new HashMap<>(consumerConfig);
        settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // An offset the log no longer holds reads from what it does hold, as the applications would.
        settings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        settings.remove(ConsumerConfig.GROUP_ID_CONFIG);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(settings, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.assign(from.keySet());
            from.forEach(consumer::seek);
            while (System.nanoTime() < deadline) {
                if (!consumer.poll(Duration.ofMillis(100)).isEmpty()) {
                    return false;
                }
                if (from.keySet().stream().allMatch(partition -> consumer.position(partition) >= ends.get(partition))) {
                    return true;
                }
            }
            return false;
        } catch (final RuntimeException e) {
            return false;
        }
    }

    /** The end offset (high watermark) of every partition of {@code topics}. */
    private Map<TopicPartition, Long> endOffsets(final Set<String> topics)
            throws InterruptedException, ExecutionException, TimeoutException {
        final Set<String> unknown = new TreeSet<>(topics);
        unknown.removeAll(partitions.keySet());
        if (!unknown.isEmpty()) {
            admin.describeTopics(unknown).allTopicNames().get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .forEach((topic, description) -> partitions.put(topic, description.partitions().size()));
        }
        final Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (final String topic : topics) {
            for (int p = 0; p < partitions.get(topic); p++) {
                request.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
        }
        final Map<TopicPartition, Long> ends = new HashMap<>();
        admin.listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all()
                .get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .forEach((partition, info) -> ends.put(partition, info.offset()));
        return ends;
    }
}
