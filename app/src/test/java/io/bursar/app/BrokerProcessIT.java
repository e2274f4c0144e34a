package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bursar broker} as a real process: records acknowledged before it is stopped — politely or with
 * SIGKILL — are there when it starts again on the same data folder and port.
 */
class BrokerProcessIT {

    private static final Path JAR = Path.of("target/bursar.jar");
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    private static final String TOPIC = "survives";

    @TempDir
    Path dataDir;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void stopEverythingStarted() throws InterruptedException {
        for (final Process process : started) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void acknowledgedRecordsSurviveAStopAndAKill() throws Exception {
        final int port = freePort();
        final int controllerPort = freePort();
        final String bootstrap = "127.0.0.1:" + port;

        Process broker = start(port, controllerPort);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        produce(bootstrap, 0, 50);
        broker.destroy(); // SIGTERM: the broker closes cleanly
        assertThat(broker.waitFor(60, TimeUnit.SECONDS)).isTrue();
        // The JVM reports a SIGTERM as 128 + 15 once its shutdown hook (which closes the broker) has run.
        assertThat(broker.exitValue()).isEqualTo(143);

        broker = start(port, controllerPort);
        assertThat(values(bootstrap, 50)).hasSize(50);
        produce(bootstrap, 50, 100);
        broker.destroyForcibly(); // SIGKILL: no shutdown at all
        assertThat(broker.waitFor(60, TimeUnit.SECONDS)).isTrue();

        start(port, controllerPort);
        final List<String> values = values(bootstrap, 100);
        assertThat(values).hasSize(100);
        assertThat(values.get(0)).isEqualTo("value-0");
        assertThat(values.get(99)).isEqualTo("value-99");
    }

    /** Starts {@code bursar broker} and returns once it says it is ready. */
    private Process start(final int port, final int controllerPort) throws Exception {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final Process process = new ProcessBuilder(java, "-jar", JAR.toAbsolutePath().toString(), "broker",
                "--data-dir", dataDir.toString(), "--port", Integer.toString(port),
                "--controller-port", Integer.toString(controllerPort))
                .redirectErrorStream(true).start();
        started.add(process);
        final BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        final CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
            try {
                for (String line; (line = output.readLine()) != null; ) {
                    if (line.startsWith("Kafka broker ready at")) {
                        return line;
                    }
                }
                return null;
            } catch (final IOException e) {
                return null;
            }
        });
        final String line = ready.get(READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertThat(line).as("the broker's ready line").contains("127.0.0.1:" + port).contains(dataDir.toString());
        // Keep reading so the process never blocks on a full pipe.
        CompletableFuture.runAsync(() -> {
            try {
                while (output.readLine() != null) {
                    // discarded
                }
            } catch (final IOException ended) {
                // the process ended
            }
        });
        return process;
    }

    private static void produce(final String bootstrap, final int from, final int to) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(), new StringSerializer())) {
            for (int i = from; i < to; i++) {
                producer.send(new ProducerRecord<>(TOPIC, "key", "value-" + i)).get(30, TimeUnit.SECONDS);
            }
        }
    }

    /** Reads the topic from its start until {@code expected} values arrived or 60 s passed. */
    private static List<String> values(final String bootstrap, final int expected) {
        final List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringDeserializer(), new StringDeserializer())) {
            final TopicPartition partition = new TopicPartition(TOPIC, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (values.size() < expected && System.nanoTime() < deadline) {
                for (final ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
