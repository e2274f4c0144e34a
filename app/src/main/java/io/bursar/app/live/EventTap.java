package io.bursar.app.live;

import io.bursar.app.dlq.DeadLetters;
import io.bursar.schemas.dispatch.ProviderCallOutcome;
import io.bursar.schemas.dispatch.ProviderCallResult;
import io.bursar.schemas.orders.OrderCommand;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.serdes.Topics;
import io.bursar.topology.LogClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one reader of the live page's event figures: a plain consumer, in no group, {@code read_committed}, assigned
 * every partition of the command topics, the result topics and the two dead-letter topics, from their ends when it
 * starts (the dead-letter topics from their beginnings: those figures are totals). It reads the whole cluster's
 * records, whichever instance runs it, and counts: records per topic, rejections by reason, command → result
 * latency ({@link CommandLatency}), the order funnel ({@link OrderFunnel}), final provider outcomes, and dead
 * letters with the latest reasons. A record it cannot read counts for its topic and nothing else.
 */
public final class EventTap implements AutoCloseable {

    /** The dead letters kept to show. */
    static final int LATEST_LETTERS = 5;
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Logger LOG = LoggerFactory.getLogger(EventTap.class);

    /** One dead letter as the page shows it. */
    public record Letter(String topic, String at, String key, String reason) {
    }

    private final Topics topics;
    private final Properties consumerConfig;
    private final Set<String> fromBeginning;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private volatile Instant since;

    private final Map<String, AtomicLong> records = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> rejections = new ConcurrentHashMap<>();
    /** providerId → final outcome → calls. */
    private final Map<String, Map<String, AtomicLong>> providerOutcomes = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> deadLettersByTopic = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> deadLettersByProvider = new ConcurrentHashMap<>();
    private final Deque<Letter> latest = new ArrayDeque<>();
    private final CommandLatency latency = new CommandLatency();
    private final OrderFunnel funnel = new OrderFunnel();

    /** A tap not started yet, reading with {@code kafkaClientConfig} (bootstrap servers, security). */
    public EventTap(final Map<String, Object> kafkaClientConfig, final Topics topics) {
        this.topics = topics;
        this.consumerConfig = new Properties();
        consumerConfig.putAll(kafkaClientConfig);
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        consumerConfig.put(ConsumerConfig.CLIENT_ID_CONFIG, "bursar-live-tap");
        this.fromBeginning = Set.of(topics.deadLetters.name(), topics.providerDeadLetters.name());
        this.thread = new Thread(this::run, "live-event-tap");
        thread.setDaemon(true);
    }

    /** Starts reading on a thread of its own; returns this. */
    public EventTap start() {
        thread.start();
        return this;
    }

    /** When the tap started reading: the figures other than dead letters count from then; null before. */
    public Instant since() {
        return since;
    }

    /** Records read per topic since the start. */
    public Map<String, Long> records() {
        return snapshot(records);
    }

    /** Rejected commands by reason since the start (payments and orders alike). */
    public Map<String, Long> rejections() {
        return snapshot(rejections);
    }

    /** Final provider call outcomes (SUCCEEDED, FAILED, DEAD_LETTERED) per provider since the start. */
    public Map<String, Map<String, Long>> providerOutcomes() {
        final Map<String, Map<String, Long>> copy = new TreeMap<>();
        providerOutcomes.forEach((provider, outcomes) -> copy.put(provider, snapshot(outcomes)));
        return copy;
    }

    /** Dead letters per dead-letter topic, all of them. */
    public Map<String, Long> deadLettersByTopic() {
        return snapshot(deadLettersByTopic);
    }

    /** Dead-lettered provider calls per provider, all of them. */
    public Map<String, Long> deadLettersByProvider() {
        return snapshot(deadLettersByProvider);
    }

    /** The latest dead letters, newest first. */
    public List<Letter> latestDeadLetters() {
        synchronized (latest) {
            return new ArrayList<>(latest);
        }
    }

    /** Command → result latency of the last seconds. */
    CommandLatency.Percentiles latency(final long nowMs) {
        return latency.percentiles(nowMs);
    }

    /** Orders at each step of the funnel since the start. */
    public Map<String, Long> funnel() {
        return funnel.counts();
    }

    private void run() {
        while (running.get()) {
            try (KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(),
                    new ByteArrayDeserializer())) {
                consumer = reader;
                assign(reader);
                while (running.get()) {
                    for (final ConsumerRecord<byte[], byte[]> record : reader.poll(POLL)) {
                        read(record);
                    }
                }
            } catch (final WakeupException stopping) {
                return;
            } catch (final RuntimeException e) {
                // The broker away, a topic not there yet: try again, never stop the instance for a figure.
                LOG.warn("The live page's event tap stopped reading ({}); starting again in a second", e.toString());
                pause();
            }
        }
    }

    private void assign(final KafkaConsumer<byte[], byte[]> reader) {
        final List<TopicPartition> partitions = new ArrayList<>();
        for (final Topics.Topic<?, ?> topic : List.of(topics.paymentCommands, topics.orderCommands, topics.paymentEvents,
                topics.orderEvents, topics.providerResults, topics.fulfilmentResults, topics.deadLetters,
                topics.providerDeadLetters)) {
            for (int partition = 0; partition < topic.partitions(); partition++) {
                partitions.add(new TopicPartition(topic.name(), partition));
            }
        }
        reader.assign(partitions);
        // Restarted after an error, it goes on from where it was; the first time, from the ends.
        if (since == null) {
            reader.seekToEnd(partitions.stream().filter(tp -> !fromBeginning.contains(tp.topic())).toList());
            reader.seekToBeginning(partitions.stream().filter(tp -> fromBeginning.contains(tp.topic())).toList());
            since = Instant.now();
        }
    }

    private void read(final ConsumerRecord<byte[], byte[]> record) {
        final String topic = record.topic();
        if (LogClock.isTick(record.value(), record.headers())) {
            // A tick of the processors' clock on a command topic: no command, not counted as one.
            return;
        }
        records.computeIfAbsent(topic, t -> new AtomicLong()).incrementAndGet();
        if (topic.equals(topics.deadLetters.name()) || topic.equals(topics.providerDeadLetters.name())) {
            deadLetter(record);
            return;
        }
        if (record.value() == null) {
            return;
        }
        try {
            if (topic.equals(topics.paymentCommands.name())) {
                final PaymentCommand command = topics.paymentCommands.valueSerde().deserializer()
                        .deserialize(topic, record.headers(), record.value());
                latency.sent(command.getCommandId(), record.timestamp());
            } else if (topic.equals(topics.orderCommands.name())) {
                final OrderCommand command = topics.orderCommands.valueSerde().deserializer()
                        .deserialize(topic, record.headers(), record.value());
                latency.sent(command.getCommandId(), record.timestamp());
            } else if (topic.equals(topics.paymentEvents.name())) {
                paymentEvent(topics.paymentEvents.valueSerde().deserializer().deserialize(topic, record.headers(),
                        record.value()));
            } else if (topic.equals(topics.orderEvents.name())) {
                orderEvent(topics.orderEvents.valueSerde().deserializer().deserialize(topic, record.headers(),
                        record.value()));
            } else {
                providerResult(topics.providerResults.valueSerde().deserializer().deserialize(topic,
                        record.headers(), record.value()));
            }
        } catch (final RuntimeException unreadable) {
            // Bad bytes on a command topic are the processors' to dead-letter; here they are only counted.
            LOG.debug("Unreadable record {}/{}@{} skipped", topic, record.partition(), record.offset(), unreadable);
        }
    }

    private void paymentEvent(final PaymentEvent event) {
        result(event.getCommandId(), event.getDuplicate(), event.getOutcome(), event.getReason());
    }

    private void orderEvent(final OrderEvent event) {
        if (result(event.getCommandId(), event.getDuplicate(), event.getOutcome(), event.getReason())
                && event.getOrder() != null) {
            funnel.saw(event.getOrder());
        }
    }

    /** Counts a command's result; false for a duplicate, which counts for nothing. */
    private boolean result(final String commandId, final boolean duplicate, final Outcome outcome, final Enum<?> reason) {
        if (duplicate) {
            return false;
        }
        latency.answered(commandId, System.currentTimeMillis());
        if (outcome == Outcome.REJECTED && reason != null) {
            rejections.computeIfAbsent(reason.name(), r -> new AtomicLong()).incrementAndGet();
        }
        return true;
    }

    private void providerResult(final ProviderCallResult result) {
        if (result.getOutcome() == ProviderCallOutcome.SUBMITTED || result.getOutcome() == ProviderCallOutcome.UNKNOWN) {
            return;
        }
        providerOutcomes.computeIfAbsent(result.getProviderId(), p -> new ConcurrentHashMap<>())
                .computeIfAbsent(result.getOutcome().name(), o -> new AtomicLong()).incrementAndGet();
    }

    private void deadLetter(final ConsumerRecord<byte[], byte[]> record) {
        deadLettersByTopic.computeIfAbsent(record.topic(), t -> new AtomicLong()).incrementAndGet();
        final String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        if (record.topic().equals(topics.providerDeadLetters.name()) && key != null) {
            deadLettersByProvider.computeIfAbsent(key, p -> new AtomicLong()).incrementAndGet();
        }
        synchronized (latest) {
            latest.addFirst(new Letter(record.topic(), Instant.ofEpochMilli(record.timestamp()).toString(), key,
                    DeadLetters.reason(record.headers())));
            while (latest.size() > LATEST_LETTERS) {
                latest.removeLast();
            }
        }
    }

    private static Map<String, Long> snapshot(final Map<String, AtomicLong> counts) {
        final Map<String, Long> copy = new TreeMap<>();
        counts.forEach((name, count) -> copy.put(name, count.get()));
        return copy;
    }

    private void pause() {
        try {
            Thread.sleep(1_000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            running.set(false);
        }
    }

    @Override
    public void close() {
        running.set(false);
        final KafkaConsumer<byte[], byte[]> reader = consumer;
        if (reader != null) {
            reader.wakeup();
        }
        try {
            thread.join(5_000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
