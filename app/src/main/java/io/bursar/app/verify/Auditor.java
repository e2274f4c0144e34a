package io.bursar.app.verify;

import io.bursar.app.ProgressBar;
import io.bursar.schemas.dispatch.ProviderCallResult;
import io.bursar.schemas.orders.Item;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.payments.FundsHold;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.app.Generations;
import io.bursar.serdes.Topics;
import io.bursar.topology.Generation;
import io.bursar.topology.LogClock;
import io.bursar.topology.DeadLetterHandler;
import io.bursar.topology.Misrouting;
import io.bursar.topology.orders.OrderProcessor;
import io.bursar.topology.payments.PartnerProcessor;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads what {@link Audit} checks from a cluster: the command topics, then the event, dead-letter and
 * provider-result topics, then the changelogs of the stores it compares, each from its beginning to the end
 * it had when the audit started, {@code read_committed} like every consumer of Bursar's output. Which
 * commands must already have a result comes from the commands application's committed offsets, taken first.
 */
public final class Auditor {

    private static final Duration POLL = Duration.ofMillis(200);

    private final Map<String, Object> kafkaConfig;
    private final Topics topics;
    private final String applicationId;
    private final PrintStream progress;

    /**
     * @param kafkaConfig   client settings (bootstrap.servers, security, ...)
     * @param topics        the topic catalog, with the registry settings of its serdes
     * @param applicationId the commands application's id: its group and the prefix of its changelogs
     * @param progress      where the progress bar goes (standard error), or null for none
     */
    public Auditor(final Map<String, Object> kafkaConfig, final Topics topics, final String applicationId,
                   final PrintStream progress) {
        this.kafkaConfig = Map.copyOf(kafkaConfig);
        this.topics = topics;
        this.applicationId = applicationId;
        this.progress = progress;
    }

    /** Reads everything and runs the checks. */
    public AuditReport run(final Audit.Settings settings) throws InterruptedException, ExecutionException {
        final Audit audit = new Audit(settings);
        final Map<TopicPartition, Long> committed;
        final Map<String, Integer> partitions = new HashMap<>();
        final List<String> changelogs = new ArrayList<>();
        try (Admin admin = Admin.create(kafkaConfig); KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            // Committed offsets first: every command below them was processed, so its result is already visible.
            committed = new HashMap<>();
            admin.listConsumerGroupOffsets(applicationId).partitionsToOffsetAndMetadata().get()
                    .forEach((partition, offset) -> {
                        if (offset != null) {
                            committed.put(partition, offset.offset());
                        }
                    });
            final Set<String> existing = admin.listTopics().names().get();
            for (final String store : List.of(PartnerProcessor.BALANCES_STORE, PartnerProcessor.HOLDS_STORE,
                    PartnerProcessor.PAYMENTS_STORE, OrderProcessor.ITEMS_STORE)) {
                final String changelog = applicationId + "-" + store + "-changelog";
                if (existing.contains(changelog)) {
                    changelogs.add(changelog);
                }
            }
            final List<String> all = new ArrayList<>(List.of(topics.paymentCommands.name(), topics.orderCommands.name(),
                    topics.paymentEvents.name(), topics.orderEvents.name(), topics.deadLetters.name(),
                    topics.providerResults.name(), topics.fulfilmentResults.name()));
            all.addAll(changelogs);
            all.removeIf(topic -> !existing.contains(topic));
            for (final Map.Entry<String, TopicDescription> topic : admin.describeTopics(all).allTopicNames().get().entrySet()) {
                partitions.put(topic.getKey(), topic.getValue().partitions().size());
            }
            final List<TopicPartition> everything = new ArrayList<>();
            partitions.forEach((topic, count) -> {
                for (int p = 0; p < count; p++) {
                    everything.add(new TopicPartition(topic, p));
                }
            });
            final Map<TopicPartition, Long> ends = offsets(admin, everything, OffsetSpec.latest());
            final Map<TopicPartition, Long> starts = offsets(admin, everything, OffsetSpec.earliest());
            final long total = everything.stream().mapToLong(tp -> ends.get(tp) - starts.get(tp)).sum();
            final Reading reading = new Reading(consumer, ends, total);

            readCommands(reading, partitions, committed, topics.paymentCommands, audit::paymentCommand, audit);
            readCommands(reading, partitions, committed, topics.orderCommands, audit::orderCommand, audit);
            final Deserializer<PaymentEvent> paymentEvents = topics.paymentEvents.valueSerde().deserializer();
            final Deserializer<OrderEvent> orderEvents = topics.orderEvents.valueSerde().deserializer();
            final Deserializer<ProviderCallResult> providerResults = topics.providerResults.valueSerde().deserializer();
            // After a reset of everything, the latest generation's events stand for all the earlier ones'.
            final int generation = new Generations(kafkaConfig).current(applicationId).number();
            reading.read(partitions, List.of(topics.paymentEvents.name(), topics.orderEvents.name(),
                    topics.deadLetters.name(), topics.providerResults.name(), topics.fulfilmentResults.name()), record -> {
                final Audit.Position at = position(record);
                final boolean anEvent = record.topic().equals(topics.paymentEvents.name())
                        || record.topic().equals(topics.orderEvents.name());
                if (anEvent && Generation.of(record.headers()) < generation) {
                    audit.earlierGeneration();
                } else if (record.topic().equals(topics.paymentEvents.name())) {
                    final PaymentEvent event = decode(paymentEvents, record);
                    if (event != null) {
                        audit.paymentEvent(at, event);
                    } else {
                        audit.unreadableRecord(at);
                    }
                } else if (record.topic().equals(topics.orderEvents.name())) {
                    final OrderEvent event = decode(orderEvents, record);
                    if (event != null) {
                        audit.orderEvent(at, event);
                    } else {
                        audit.unreadableRecord(at);
                    }
                } else if (record.topic().equals(topics.providerResults.name())
                        || record.topic().equals(topics.fulfilmentResults.name())) {
                    // Both carry the starts of the provider's calls, payments' and bulk fulfilment calls' alike.
                    final ProviderCallResult result = decode(providerResults, record);
                    if (result != null) {
                        audit.providerResult(at, result);
                    } else {
                        audit.unreadableRecord(at);
                    }
                } else {
                    audit.deadLetter(at, origin(record));
                }
            });
            readStores(reading, partitions, changelogs, audit);
            audit.recordsRead(reading.done);
            final boolean quiet = offsets(admin, everything, OffsetSpec.latest()).equals(ends);
            if (progress != null) {
                progress.println();
            }
            return audit.finish(!changelogs.isEmpty(), quiet);
        }
    }

    /** Where a readable command goes: the audit's method for its topic. */
    private interface CommandSink<C> {
        void accept(Audit.Position at, C command, boolean consumed, boolean misrouted);
    }

    private static <C> void readCommands(final Reading reading, final Map<String, Integer> partitions,
                                         final Map<TopicPartition, Long> committed, final Topics.Topic<String, C> topic,
                                         final CommandSink<C> sink, final Audit audit) {
        final Deserializer<C> deserializer = topic.valueSerde().deserializer();
        reading.read(partitions, List.of(topic.name()), record -> {
            final Audit.Position at = position(record);
            if (LogClock.isTick(record.value(), record.headers())) {
                audit.tick();
                return;
            }
            final boolean consumed = record.offset() < committed.getOrDefault(partition(record), 0L);
            final C command = decode(deserializer, record);
            if (command == null) {
                audit.unreadableCommand(at, consumed);
            } else {
                sink.accept(at, command, consumed, misrouted(record, partitions));
            }
        });
    }

    private void readStores(final Reading reading, final Map<String, Integer> partitions, final List<String> changelogs,
                            final Audit audit) {
        final Deserializer<PartnerBalance> balances = topics.valueSerde(PartnerBalance.class).deserializer();
        final Deserializer<FundsHold> holds = topics.valueSerde(FundsHold.class).deserializer();
        final Deserializer<Item> items = topics.valueSerde(Item.class).deserializer();
        final Deserializer<Payment> payments = topics.valueSerde(Payment.class).deserializer();
        final String prefix = applicationId + "-";
        reading.read(partitions, changelogs, record -> {
            final Audit.Position at = position(record);
            final String key = new String(record.key(), StandardCharsets.UTF_8);
            final String store = record.topic().substring(prefix.length(), record.topic().length() - "-changelog".length());
            switch (store) {
                case PartnerProcessor.BALANCES_STORE -> audit.storedBalance(at, key, decodeNullable(balances, record));
                case PartnerProcessor.HOLDS_STORE -> audit.storedHold(at, key, decodeNullable(holds, record));
                case PartnerProcessor.PAYMENTS_STORE -> audit.storedPayment(at, key, decodeNullable(payments, record));
                case OrderProcessor.ITEMS_STORE -> audit.storedItem(at, key, decodeNullable(items, record));
                default -> {
                }
            }
        });
    }

    /** Offsets as a read_committed consumer sees them: the end is the last stable offset. */
    private static Map<TopicPartition, Long> offsets(final Admin admin, final List<TopicPartition> partitions,
                                                     final OffsetSpec spec) throws InterruptedException, ExecutionException {
        final Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.forEach(partition -> request.put(partition, spec));
        final Map<TopicPartition, Long> offsets = new HashMap<>();
        admin.listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get()
                .forEach((partition, info) -> offsets.put(partition, info.offset()));
        return offsets;
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        final Map<String, Object> config = new HashMap<>(kafkaConfig);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString().toLowerCase());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
        config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
        config.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
        return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Reads sets of topics to the end offsets taken at the start, drawing one progress bar over all of them. */
    private final class Reading {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final Map<TopicPartition, Long> ends;
        private final long total;
        private final long startNanos = System.nanoTime();
        private long done;
        private long lastDrawNanos;

        Reading(final KafkaConsumer<byte[], byte[]> consumer, final Map<TopicPartition, Long> ends, final long total) {
            this.consumer = consumer;
            this.ends = ends;
            this.total = total;
        }

        void read(final Map<String, Integer> partitions, final List<String> names,
                  final java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> handler) {
            final List<TopicPartition> assigned = new ArrayList<>();
            for (final String topic : names) {
                for (int p = 0; p < partitions.getOrDefault(topic, 0); p++) {
                    final TopicPartition partition = new TopicPartition(topic, p);
                    assigned.add(partition);
                }
            }
            consumer.assign(assigned);
            consumer.seekToBeginning(assigned);
            final List<TopicPartition> open = new ArrayList<>(assigned);
            while (true) {
                open.removeIf(partition -> consumer.position(partition) >= ends.get(partition));
                if (open.isEmpty()) {
                    break;
                }
                for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    if (record.offset() < ends.get(partition(record))) {
                        handler.accept(record);
                        done++;
                    }
                }
                draw();
            }
            draw();
        }

        private void draw() {
            final long now = System.nanoTime();
            if (progress == null || now - lastDrawNanos < 200_000_000L && done < total) {
                return;
            }
            lastDrawNanos = now;
            final double seconds = Math.max(0.001, (now - startNanos) / 1e9);
            ProgressBar.print(progress, "verify", done, total, String.format("%,.0f records/s", done / seconds));
        }
    }

    private static TopicPartition partition(final ConsumerRecord<?, ?> record) {
        return new TopicPartition(record.topic(), record.partition());
    }

    private static Audit.Position position(final ConsumerRecord<?, ?> record) {
        return new Audit.Position(record.topic(), record.partition(), record.offset());
    }

    private static boolean misrouted(final ConsumerRecord<byte[], byte[]> record, final Map<String, Integer> partitions) {
        if (record.key() == null) {
            return false;
        }
        final String key = new String(record.key(), StandardCharsets.UTF_8);
        return Misrouting.partitionOf(key, partitions.get(record.topic())) != record.partition();
    }

    /** The value, or null when it cannot be read (which the audit counts against its topic). */
    private static <T> T decode(final Deserializer<T> deserializer, final ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null) {
            return null;
        }
        try {
            return deserializer.deserialize(record.topic(), record.value());
        } catch (final RuntimeException e) {
            return null;
        }
    }

    private static <T> T decodeNullable(final Deserializer<T> deserializer, final ConsumerRecord<byte[], byte[]> record) {
        return record.value() == null ? null : deserializer.deserialize(record.topic(), record.value());
    }

    private static Audit.Position origin(final ConsumerRecord<byte[], byte[]> record) {
        final Function<String, String> header = name -> {
            final Header found = record.headers().lastHeader(name);
            return found == null ? null : new String(found.value(), StandardCharsets.UTF_8);
        };
        final String topic = header.apply(DeadLetterHandler.HEADER_ORIGIN_TOPIC);
        final String partition = header.apply(DeadLetterHandler.HEADER_ORIGIN_PARTITION);
        final String offset = header.apply(DeadLetterHandler.HEADER_ORIGIN_OFFSET);
        if (topic == null || partition == null || offset == null) {
            return null;
        }
        try {
            return new Audit.Position(topic, Integer.parseInt(partition), Long.parseLong(offset));
        } catch (final NumberFormatException e) {
            return null;
        }
    }
}
