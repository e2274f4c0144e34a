// What every TopologyTestDriver test of the topology module sets up and reads back, written once.
package io.bursar.topology.testing;

import io.bursar.serdes.Topics;
import io.bursar.topology.StreamsSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.BiConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Set-up and read-back helpers for TopologyTestDriver tests: the topic catalog, the driver's settings,
 * and test topics typed by the catalog's serdes, so a test never spells a topic name or a serde.
 */
public final class TestDrivers {

    private TestDrivers() {
    }

    /** A topic catalog whose Avro serdes use a mock registry of its own, so tests never share schemas. */
    public static Topics topics(final int partitions) {
        return Topics.create(Map.of("schema.registry.url", "mock://" + UUID.randomUUID()), partitions);
    }

    /**
     * The settings every Bursar topology runs with ({@link StreamsSettings#required}), for a driver with
     * its own application id and state directory; the bootstrap address is never dialled.
     */
    public static Properties properties(final String applicationId, final Path stateDir, final Topics topics) {
        final Properties props = new Properties();
        props.putAll(StreamsSettings.required(topics));
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        // The driver's exactly-once emulation drops records produced before any transaction of the task's has
        // begun, such as dead letters produced while a record is enqueued; exactly-once, dead letters
        // included, is proven on a real broker by PartnerBalanceExactlyOnceIT.
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
        return props;
    }

    /** The topology that {@code build} adds to one StreamsBuilder over {@code topics}. */
    public static Topology topology(final Topics topics, final BiConsumer<StreamsBuilder, Topics> build) {
        final StreamsBuilder builder = new StreamsBuilder();
        build.accept(builder, topics);
        return builder.build();
    }

    /**
     * A driver of {@code topology} with {@link #properties}, its wall clock starting at {@code wallClock}, or at
     * the system's time when {@code wallClock} is null.
     */
    public static TopologyTestDriver driver(final Topology topology, final String applicationId, final Path stateDir,
                                            final Topics topics, final Instant wallClock) {
        return new TopologyTestDriver(topology, properties(applicationId, stateDir, topics), wallClock);
    }

    /** A topic the test writes to, with the catalog's serializers. */
    public static <K, V> TestInputTopic<K, V> input(final TopologyTestDriver driver, final Topics.Topic<K, V> topic) {
        return driver.createInputTopic(topic.name(), topic.keySerde().serializer(), topic.valueSerde().serializer());
    }

    /** A topic the test reads from, with the catalog's deserializers. */
    public static <K, V> TestOutputTopic<K, V> output(final TopologyTestDriver driver, final Topics.Topic<K, V> topic) {
        return driver.createOutputTopic(topic.name(), topic.keySerde().deserializer(), topic.valueSerde().deserializer());
    }

    /** How many entries {@code store} holds. */
    public static long count(final KeyValueStore<?, ?> store) {
        return count(store.all());
    }

    /** How many entries {@code store} holds, in every window. */
    public static long count(final WindowStore<?, ?> store) {
        return count(store.all());
    }

    private static long count(final KeyValueIterator<?, ?> entries) {
        try (KeyValueIterator<?, ?> all = entries) {
            long count = 0;
            for (; all.hasNext(); all.next()) {
                count++;
            }
            return count;
        }
    }

    /** The last value of header {@code name} as UTF-8 text, or null when {@code record} has no such header. */
    public static String header(final TestRecord<?, ?> record, final String name) {
        final Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
