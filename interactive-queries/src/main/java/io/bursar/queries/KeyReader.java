package io.bursar.queries;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.LagInfo;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * Reads one key of one key-value store: finds the key's owning instance through the Streams metadata
 * (cached, and forgotten on every rebalance) and, when it is this instance, reads the active store
 * partition. A standby replica can be read on request, with its lag.
 *
 * <p>A read goes through a handle of the store's partition ({@link KafkaStreams#store} with the partition set),
 * made once per partition: each get finds the partition's running task afresh, so the handle outlives
 * rebalances, and answers {@link InvalidStateStoreException} while the partition is not here. Unlike an IQv2
 * query, it builds no list of every task (with the state updater's lock) and merges no position per read.
 *
 * <p>By default a key's partition is the one Kafka's default partitioner gives the store key itself. A store
 * whose tasks are fed by a topic keyed by a part of the store key (items stored under
 * {@code categoryId + "/" + itemId}, from a topic keyed by categoryId) names that part with a
 * {@code partitionKey} function: the partition is then the default partitioner's for that part, serialized
 * with the same serializer, and owners are cached per part.
 *
 * <p>Thread-safe; never does network I/O. Forwarding a read to its owner is the caller's job.
 */
public final class KeyReader<K, V> implements KeyLookup<K, V> {

    private static final String RECORDS_LAG = "records-lag";
    /**
     * A view this many records or more behind its input on the key's partition is rebuilding (after
     * {@code bursar reset --views}, or a store restored from nothing): its values may be old, so it answers
     * Unavailable instead. Far above the lag of a view under load, which answers as usual.
     */
    public static final long REBUILDING_LAG_MIN = 10_000;
    /** How long a partition's lag, read from the consumer's metrics, is reused by the reads of found keys. */
    private static final long LAG_REUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final String FETCH_GROUP = "consumer-fetch-manager-metrics";

    /** Metadata entries kept; each is a few dozen bytes. */
    public static final long METADATA_CACHE_ENTRIES_MAX = 100_000;

    private final KafkaStreams streams;
    private final String storeName;
    private final Serializer<K> keySerializer;
    private final HostInfo self;
    /** Null when the store key decides the partition itself. */
    private final UnaryOperator<K> partitionKey;
    private final StreamPartitioner<K, Object> partitioner;
    /** Keyed by the part of the key that decides the partition. */
    /** The topics feeding the store; empty when unknown. */
    private final Set<String> inputTopics = new HashSet<>();
    /** The lags of every partition as last read, for the reads of keys found (see {@link #recentLag}). */
    private volatile LagSnapshot lags = new LagSnapshot(System.nanoTime() - LAG_REUSE_NANOS, Map.of());
    private final AtomicBoolean refreshingLags = new AtomicBoolean();
    private final Cache<K, KeyQueryMetadata> owners = Caffeine.newBuilder()
            .maximumSize(METADATA_CACHE_ENTRIES_MAX).build();
    /** The handles of the store's active partitions, by partition. */
    private final Map<Integer, ReadOnlyKeyValueStore<K, Object>> active = new ConcurrentHashMap<>();
    /** The handles of the store's partitions as replicas (standby or active), by partition. */
    private final Map<Integer, ReadOnlyKeyValueStore<K, Object>> replicas = new ConcurrentHashMap<>();

    /** A reader of a store whose partition is the default partitioner's for the store key. */
    public KeyReader(final KafkaStreams streams, final String storeName, final Serializer<K> keySerializer,
                     final HostInfo self) {
        this(streams, storeName, keySerializer, self, null);
    }

    /**
     * As {@link #KeyReader(KafkaStreams, String, Serializer, HostInfo, UnaryOperator)}, knowing the topics that
     * feed the store (see {@link #inputTopicsOf}): a key is then not found only once every one of them has been
     * read on the key's partition; without them, once any topic of that partition number has.
     */
    public KeyReader(final KafkaStreams streams, final String storeName, final Serializer<K> keySerializer,
                     final HostInfo self, final UnaryOperator<K> partitionKey, final Set<String> inputTopics) {
        this(streams, storeName, keySerializer, self, partitionKey);
        this.inputTopics.addAll(inputTopics);
    }

    /**
     * The source topics of the sub-topology that holds {@code storeName} in {@code topology}; internal
     * (repartition) topics appear under their name without the application id.
     */
    public static Set<String> inputTopicsOf(final TopologyDescription topology, final String storeName) {
        for (final TopologyDescription.Subtopology subtopology : topology.subtopologies()) {
            final boolean holdsStore = subtopology.nodes().stream().anyMatch(node ->
                    node instanceof TopologyDescription.Processor processor && processor.stores().contains(storeName));
            if (holdsStore) {
                return Set.copyOf(sourcesOf(subtopology));
            }
        }
        throw new IllegalArgumentException("no sub-topology holds store " + storeName);
    }

    /** The topics {@code subtopology} reads, as the description names them (internal ones without the application id). */
    static Set<String> sourcesOf(final TopologyDescription.Subtopology subtopology) {
        final Set<String> topics = new TreeSet<>();
        subtopology.nodes().forEach(node -> {
            if (node instanceof TopologyDescription.Source source && source.topicSet() != null) {
                topics.addAll(source.topicSet());
            }
        });
        return topics;
    }

    /**
     * A reader of a store whose partition is the default partitioner's for {@code partitionKey} of the store
     * key, serialized with {@code keySerializer}; {@code partitionKey} must match how the topic feeding the
     * store is keyed (see {@link #prefixBefore}).
     */
    public KeyReader(final KafkaStreams streams, final String storeName, final Serializer<K> keySerializer,
                     final HostInfo self, final UnaryOperator<K> partitionKey) {
        this.streams = Objects.requireNonNull(streams, "streams");
        this.storeName = Objects.requireNonNull(storeName, "storeName");
        this.keySerializer = Objects.requireNonNull(keySerializer, "keySerializer");
        this.self = Objects.requireNonNull(self, "self");
        this.partitionKey = partitionKey;
        this.partitioner = partitionKey == null ? null : partitionedBy(keySerializer, partitionKey);
    }

    /**
     * The part of a key before the first {@code separator} (the whole key when it has none): the partition
     * key of stores keyed {@code "<topic key><separator><rest>"}.
     */
    public static UnaryOperator<String> prefixBefore(final char separator) {
        return key -> {
            final int end = key.indexOf(separator);
            return end < 0 ? key : key.substring(0, end);
        };
    }

    /**
     * The partitioner that puts a store key where the producer's default partitioner puts its
     * {@code partitionKey}: murmur2 of the serialized bytes, modulo the partitions.
     */
    static <K> StreamPartitioner<K, Object> partitionedBy(final Serializer<K> keySerializer,
                                                          final UnaryOperator<K> partitionKey) {
        return (topic, key, value, partitions) -> {
            final byte[] bytes = keySerializer.serialize(topic, partitionKey.apply(key));
            return Optional.of(Set.of(Utils.toPositive(Utils.murmur2(bytes)) % partitions));
        };
    }

    /** The store this reader reads. */
    public String storeName() {
        return storeName;
    }

    /** Forgets every cached owner; called when the Streams instance starts rebalancing. */
    @Override
    public void invalidateOwners() {
        owners.invalidateAll();
    }

    @Override
    public Read<V> read(final K key) {
        try {
            return readActive(key);
        } catch (final InvalidStateStoreException e) {
            // Not started yet (its gateway answers first), or the state moved between the check and the query
            // (a rebalance): not now, not an error.
            return new Read.Unavailable<>(e.getMessage());
        }
    }

    private Read<V> readActive(final K key) {
        if (streams.state() != KafkaStreams.State.RUNNING) {
            return new Read.Unavailable<>("streams " + streams.state());
        }
        final KeyQueryMetadata owner = owner(key);
        if (owner == null) {
            return new Read.Unavailable<>("no owner known for the key");
        }
        if (!self.equals(owner.activeHost())) {
            return new Read.Elsewhere<>(owner.activeHost(), owner.standbyHosts(), owner.partition());
        }
        final V value;
        try {
            value = get(key, owner.partition(), true);
        } catch (final InvalidStateStoreException e) {
            // The cached owner may be stale: ask the metadata afresh next time.
            owners.invalidate(cacheKey(key));
            return new Read.Unavailable<>("partition " + owner.partition() + " not queryable here: " + e.getMessage());
        }
        if (value != null) {
            final double behind = recentLag(owner.partition());
            return behind >= REBUILDING_LAG_MIN ? new Read.Unavailable<>("the view of partition " + owner.partition()
                    + " is rebuilding: " + (long) behind + " records behind its input") : new Read.Found<>(value);
        }
        // Absent here proves absence only once this task has read its input: a task just taken over from a
        // crashed instance reprocesses what the crash left uncommitted, and a key written then is not in it yet.
        final double behind = inputLag(owner.partition());
        return behind > 0 || Double.isNaN(behind) ? new Read.Unavailable<>("not found yet: the view of partition " + owner.partition()
                + " is " + (Double.isNaN(behind) ? "catching up" : (long) behind + " records behind its input"))
                : new Read.Missing<>();
    }

    /**
     * {@link #inputLag} of {@code partition} as last seen, at most 250 ms ago: the lags of every partition are read
     * in one pass over the metrics (a copy of all of them, costly per read), by one reader at a time.
     */
    private double recentLag(final int partition) {
        LagSnapshot snapshot = lags;
        if (System.nanoTime() - snapshot.takenAtNanos() >= LAG_REUSE_NANOS && refreshingLags.compareAndSet(false, true)) {
            try {
                snapshot = new LagSnapshot(System.nanoTime(), inputLags());
                lags = snapshot;
            } finally {
                refreshingLags.set(false);
            }
        }
        return snapshot.byPartition().getOrDefault(partition, Double.NaN);
    }

    /** The lags of every partition, and when they were read. */
    private record LagSnapshot(long takenAtNanos, Map<Integer, Double> byPartition) {
    }

    /**
     * The most records the main consumer has yet to read on partition {@code partition} of the store's input
     * topics (of any topic when they are not known), from its {@code records-lag} metric; 0 when it has read
     * everything; NaN when it does not know yet: no fetch of an input since the partition was assigned (a task
     * just restored has not looked at its input).
     */
    private double inputLag(final int partition) {
        return inputLags().getOrDefault(partition, Double.NaN);
    }

    /** {@link #inputLag} of every partition this instance reads; partitions it does not read are absent. */
    private Map<Integer, Double> inputLags() {
        final Map<Integer, Set<String>> seen = new HashMap<>();
        final Map<Integer, Double> most = new HashMap<>();
        for (final Map.Entry<MetricName, ? extends Metric> metric : streams.metrics().entrySet()) {
            final MetricName name = metric.getKey();
            if (!RECORDS_LAG.equals(name.name()) || !FETCH_GROUP.equals(name.group())
                    || String.valueOf(name.tags().get("client-id")).endsWith("restore-consumer")) {
                continue;
            }
            final String input = inputOf(String.valueOf(name.tags().get("topic")));
            final String partitionTag = name.tags().get("partition");
            if (input == null || partitionTag == null) {
                continue;
            }
            final int partition = Integer.parseInt(partitionTag);
            seen.computeIfAbsent(partition, p -> new HashSet<>()).add(input);
            final Object value = metric.getValue().metricValue();
            final double lag = value instanceof Number number ? number.doubleValue() : Double.NaN;
            // NaN (not fetched yet) on any input makes the partition's lag unknown.
            most.merge(partition, lag, (a, b) -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b));
        }
        most.replaceAll((partition, lag) -> seen.get(partition).containsAll(inputTopics) ? lag : Double.NaN);
        return most;
    }

    /** The input topic a consumed topic is ({@code <application.id>-<name>} for internal ones), or null. */
    private String inputOf(final String topic) {
        if (inputTopics.isEmpty() || inputTopics.contains(topic)) {
            return topic;
        }
        for (final String input : inputTopics) {
            if (topic.endsWith("-" + input)) {
                return input;
            }
        }
        return null;
    }

    @Override
    public Read<V> readStandby(final K key) {
        try {
            return readReplica(key);
        } catch (final InvalidStateStoreException e) {
            return new Read.Unavailable<>(e.getMessage());
        }
    }

    private Read<V> readReplica(final K key) {
        final KafkaStreams.State state = streams.state();
        if (state != KafkaStreams.State.RUNNING && state != KafkaStreams.State.REBALANCING) {
            return new Read.Unavailable<>("streams " + state);
        }
        final KeyQueryMetadata owner = owner(key);
        if (owner == null || !owner.standbyHosts().contains(self)) {
            return new Read.Unavailable<>("no standby of the key's partition here");
        }
        return new Read.FromStandby<>(get(key, owner.partition(), false), lag(owner.partition()));
    }

    private KeyQueryMetadata owner(final K key) {
        final K cacheKey = cacheKey(key);
        final KeyQueryMetadata cached = owners.getIfPresent(cacheKey);
        if (cached != null) {
            return cached;
        }
        final KeyQueryMetadata fresh = partitioner == null
                ? streams.queryMetadataForKey(storeName, key, keySerializer)
                : streams.queryMetadataForKey(storeName, key, partitioner);
        if (fresh == null || fresh.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
            return null;
        }
        owners.put(cacheKey, fresh);
        return fresh;
    }

    /** Keys of one partition key share one owner: cached once. */
    private K cacheKey(final K key) {
        return partitionKey == null ? key : partitionKey.apply(key);
    }

    /**
     * The value of {@code key} in {@code partition} of the store: of its active task, or ({@code active} false) of
     * its standby or active task; null when absent. DSL tables' timestamped values are unwrapped.
     */
    @SuppressWarnings("unchecked")
    private V get(final K key, final int partition, final boolean active) {
        final ReadOnlyKeyValueStore<K, Object> store = (active ? this.active : replicas).computeIfAbsent(partition,
                p -> {
                    final StoreQueryParameters<ReadOnlyKeyValueStore<K, Object>> parameters = StoreQueryParameters
                            .fromNameAndType(storeName, QueryableStoreTypes.<K, Object>keyValueStore()).withPartition(p);
                    return streams.store(active ? parameters : parameters.enableStaleStores());
                });
        final Object value = store.get(key);
        return (V) (value instanceof ValueAndTimestamp<?> timestamped ? timestamped.value() : value);
    }

    private long lag(final int partition) {
        final Map<Integer, LagInfo> lags = streams.allLocalStorePartitionLags().get(storeName);
        final LagInfo lag = lags == null ? null : lags.get(partition);
        return lag == null ? -1 : lag.offsetLag();
    }
}
