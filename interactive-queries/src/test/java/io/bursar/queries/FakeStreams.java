package io.bursar.queries;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.InvalidStateStorePartitionException;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * A never-started {@link KafkaStreams} whose state, key metadata and stores the test decides: the metadata of
 * a key is what the partitioner (or the producer's default, for a serializer) says over {@link #PARTITIONS}
 * partitions, each owned by {@link #ownerOf}; queries answer from {@link #values} for the partitions this
 * instance owns. Nothing dials a broker.
 */
class FakeStreams extends KafkaStreams {

    static final int PARTITIONS = 12;
    static final String SOURCE_TOPIC = "commands";

    volatile State state = State.RUNNING;
    /** Who owns each partition; this instance unless told otherwise. */
    volatile Function<Integer, HostInfo> ownerOf;
    /** Store key → value, answered by any partition this instance owns. */
    final Map<Object, Object> values = new HashMap<>();
    /** Keys metadata was asked for, and through which overload ("serializer" or "partitioner"). */
    final List<String> metadataCalls = new ArrayList<>();
    /** The partition each read of the keyed store asked for. */
    final List<Set<Integer>> queriedPartitions = new CopyOnWriteArrayList<>();
    /** Partitions whose task has left this instance since the metadata was read: their reads fail. */
    final Set<Integer> movedAway = ConcurrentHashMap.newKeySet();
    /** The global store handed out by {@link #store}; null answers as Streams does for an unknown store. */
    volatile Object globalStore;
    volatile int storeLookups;
    /**
     * Partition → the main consumer's records-lag on {@link #SOURCE_TOPIC} (NaN: fetched, lag unknown); a
     * partition missing here has no lag metric yet. Every partition caught up unless told otherwise.
     */
    final Map<Integer, Double> inputLag = new HashMap<>();

    FakeStreams(final Path stateDir, final HostInfo self) {
        super(topology(), properties(stateDir));
        this.ownerOf = partition -> self;
        for (int partition = 0; partition < PARTITIONS; partition++) {
            inputLag.put(partition, 0.0);
        }
    }

    /** The consumer's records-lag metric per partition of {@link #inputLag}, and one of a restore consumer. */
    @Override
    public Map<MetricName, ? extends Metric> metrics() {
        final Map<MetricName, Metric> metrics = new HashMap<>();
        inputLag.forEach((partition, lag) -> metrics.put(lagName("fake-StreamThread-1-consumer", partition),
                gauge(lagName("fake-StreamThread-1-consumer", partition), lag)));
        final MetricName restoring = lagName("fake-StreamThread-1-restore-consumer", 0);
        metrics.put(restoring, gauge(restoring, 1_000.0));
        return metrics;
    }

    private static MetricName lagName(final String clientId, final int partition) {
        return new MetricName("records-lag", "consumer-fetch-manager-metrics", "", Map.of("client-id", clientId,
                "topic", SOURCE_TOPIC, "partition", Integer.toString(partition)));
    }

    private static Metric gauge(final MetricName name, final double value) {
        return new Metric() {
            @Override
            public MetricName metricName() {
                return name;
            }

            @Override
            public Object metricValue() {
                return value;
            }
        };
    }

    private static Topology topology() {
        final StreamsBuilder builder = new StreamsBuilder();
        builder.stream(SOURCE_TOPIC, Consumed.with(Serdes.String(), Serdes.String())).foreach((k, v) -> { });
        return builder.build();
    }

    private static Properties properties(final Path stateDir) {
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "fake-streams");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        return props;
    }

    @Override
    public State state() {
        return state;
    }

    @Override
    public <K> KeyQueryMetadata queryMetadataForKey(final String storeName, final K key,
                                                    final Serializer<K> keySerializer) {
        metadataCalls.add("serializer " + key);
        final int partition = BuiltInPartitioner.partitionForKey(
                keySerializer.serialize(SOURCE_TOPIC, key), PARTITIONS);
        return new KeyQueryMetadata(ownerOf.apply(partition), Set.of(), partition);
    }

    @Override
    public <K> KeyQueryMetadata queryMetadataForKey(final String storeName, final K key,
                                                    final StreamPartitioner<? super K, ?> partitioner) {
        metadataCalls.add("partitioner " + key);
        final Set<Integer> partitions = partitioner.partitions(SOURCE_TOPIC, key, null, PARTITIONS).orElseThrow();
        final int partition = partitions.iterator().next();
        return new KeyQueryMetadata(ownerOf.apply(partition), Set.of(), partition);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T store(final StoreQueryParameters<T> parameters) {
        if (parameters.partition() != null) {
            return (T) partitionStore(parameters.partition());
        }
        storeLookups++;
        if (globalStore == null) {
            throw new InvalidStateStoreException(
                    "store " + parameters.storeName() + " not available");
        }
        return (T) globalStore;
    }

    /** Partition {@code partition} of the keyed store: {@link #values}, or not here once it is in {@link #movedAway}. */
    private ReadOnlyKeyValueStore<Object, Object> partitionStore(final int partition) {
        return new ReadOnlyKeyValueStore<>() {
            @Override
            public Object get(final Object key) {
                queriedPartitions.add(Set.of(partition));
                if (movedAway.contains(partition)) {
                    throw new InvalidStateStorePartitionException("partition " + partition + " is not here");
                }
                return values.get(key);
            }

            @Override
            public KeyValueIterator<Object, Object> range(final Object from, final Object to) {
                throw new UnsupportedOperationException();
            }

            @Override
            public KeyValueIterator<Object, Object> all() {
                throw new UnsupportedOperationException();
            }

            @Override
            public long approximateNumEntries() {
                return values.size();
            }
        };
    }
}
