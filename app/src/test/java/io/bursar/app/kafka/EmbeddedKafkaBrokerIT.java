// Checks that the embedded broker is a real Kafka: transactions commit and abort, and close() leaves nothing behind.
package io.bursar.app.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class EmbeddedKafkaBrokerIT {

    private static final String TOPIC = "embedded-broker-it";
    private static final int PARTITIONS = 4;
    private static final int RECORDS_PER_TRANSACTION = 500;
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void readCommittedConsumerSeesOnlyTheCommittedTransactionAndCloseReleasesEverything() throws Exception {
        final EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build();
        final int port;
        final int controllerPort;
        final Path dataDir;
        try (broker) {
            final long startNanos = System.nanoTime();
            broker.start();
            final long startMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
            System.out.printf("EmbeddedKafkaBroker started in %d ms at %s%n", startMs, broker.bootstrapServers());
            port = broker.port();
            controllerPort = broker.controllerPort();
            dataDir = broker.dataDir();
            assertThat(dataDir).isDirectory();

            broker.createTopics(Map.of(TOPIC, PARTITIONS));
            assertThatThrownBy(() -> broker.createTopics(Map.of(TOPIC, PARTITIONS)))
                    .as("a topic is created once").isInstanceOf(IllegalStateException.class)
                    .hasRootCauseInstanceOf(TopicExistsException.class);

            // 1,000 records in all: the first transaction commits, the second aborts after its records reached the log.
            final long produceNanos = System.nanoTime();
            try (KafkaProducer<String, String> producer = transactionalProducer(broker)) {
                producer.initTransactions();
                producer.beginTransaction();
                sendAll(producer, "committed");
                producer.commitTransaction();

                producer.beginTransaction();
                sendAll(producer, "aborted");
                // Flushing first makes the aborted records land in the log, so the consumer really has to skip them.
                producer.flush();
                producer.abortTransaction();
            }
            System.out.printf("Produced %d records in two transactions in %d ms%n", 2 * RECORDS_PER_TRANSACTION,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - produceNanos));

            final List<ConsumerRecord<String, String>> committed = readAll(broker, "read_committed");
            assertThat(committed).hasSize(RECORDS_PER_TRANSACTION);
            assertThat(committed).allSatisfy(record -> assertThat(record.value()).startsWith("committed-"));
            assertThat(committed.stream().map(ConsumerRecord::key).collect(Collectors.toSet()))
                    .hasSize(RECORDS_PER_TRANSACTION);
            assertThat(committed.stream().map(ConsumerRecord::partition).collect(Collectors.toSet()))
                    .as("keys spread over every partition").hasSize(PARTITIONS);

            // The aborted records are in the log: only the isolation level hides them.
            final List<ConsumerRecord<String, String>> uncommitted = readAll(broker, "read_uncommitted");
            assertThat(uncommitted).hasSize(2 * RECORDS_PER_TRANSACTION);
            assertThat(uncommitted).filteredOn(record -> record.value().startsWith("aborted-"))
                    .hasSize(RECORDS_PER_TRANSACTION);

            final long closeNanos = System.nanoTime();
            broker.close();
            System.out.printf("EmbeddedKafkaBroker closed in %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closeNanos));
        }

        assertThat(dataDir).doesNotExist();
        assertThatCode(() -> bindAndRelease(port)).as("client port %d released", port).doesNotThrowAnyException();
        assertThatCode(() -> bindAndRelease(controllerPort)).as("controller port %d released", controllerPort)
                .doesNotThrowAnyException();
        assertThatCode(broker::close).as("close is idempotent").doesNotThrowAnyException();
    }

    private static KafkaProducer<String, String> transactionalProducer(final EmbeddedKafkaBroker broker) {
        final Map<String, Object> props = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "embedded-broker-it",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    private static void sendAll(final KafkaProducer<String, String> producer, final String valuePrefix) {
        IntStream.range(0, RECORDS_PER_TRANSACTION).forEach(i ->
                producer.send(new ProducerRecord<>(TOPIC, "key-" + i, valuePrefix + "-" + i)));
    }

    /** Reads every partition from the start up to its end offset as seen at the given isolation level. */
    private static List<ConsumerRecord<String, String>> readAll(final EmbeddedKafkaBroker broker, final String isolationLevel) {
        final Map<String, Object> props = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolationLevel,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            final Set<TopicPartition> partitions = IntStream.range(0, PARTITIONS)
                    .mapToObj(partition -> new TopicPartition(TOPIC, partition)).collect(Collectors.toSet());
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // With read_committed the end offset is the last stable offset, past the abort markers once abort returned.
            final Map<TopicPartition, Long> endOffsets = consumer.endOffsets(partitions, READ_TIMEOUT);
            final List<ConsumerRecord<String, String>> records = new ArrayList<>();
            final long deadlineNanos = System.nanoTime() + READ_TIMEOUT.toNanos();
            while (!reachedEnd(consumer, endOffsets)) {
                assertThat(System.nanoTime()).as("read %s up to %s in time", isolationLevel, endOffsets)
                        .isLessThan(deadlineNanos);
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }

    private static boolean reachedEnd(final KafkaConsumer<String, String> consumer, final Map<TopicPartition, Long> endOffsets) {
        return endOffsets.entrySet().stream()
                .allMatch(end -> consumer.position(end.getKey(), READ_TIMEOUT) >= end.getValue());
    }

    private static void bindAndRelease(final int port) throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
        }
    }
}
