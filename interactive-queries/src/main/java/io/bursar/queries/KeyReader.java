package io.bursar.queries;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.LagInfo;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.query.StateQueryRequest;
import org.apache.kafka.streams.query.StateQueryResult;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * Reads one key of one key-value store: finds the key's owning instance through the Streams metadata
 * (cached, and forgotten on every rebalance) and, when it is this instance, reads the active store
 * partition with IQv2. A standby replica can be read on request, with its lag.
 *
 * <p>Thread-safe; never does network I/O. Forwarding a read to its owner is the caller's job.
 */
public final class KeyReader<K, V> implements KeyLookup<K, V> {

    /** Metadata entries kept; each is a few dozen bytes. */
    public static final long METADATA_CACHE_ENTRIES_MAX = 100_000;

    private final KafkaStreams streams;
    private final String storeName;
    private final Serializer<K> keySerializer;
    private final HostInfo self;
    private final Cache<K, KeyQueryMetadata> owners = Caffeine.newBuilder()
            .maximumSize(METADATA_CACHE_ENTRIES_MAX).build();

    public KeyReader(final KafkaStreams streams, final String storeName, final Serializer<K> keySerializer,
                     final HostInfo self) {
        this.streams = streams;
        this.storeName = storeName;
        this.keySerializer = keySerializer;
        this.self = self;
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
        final QueryResult<V> result = query(key, owner.partition(), true);
        if (result == null || result.isFailure()) {
            // The cached owner may be stale: ask the metadata afresh next time.
            owners.invalidate(key);
            return new Read.Unavailable<>(result == null ? "partition " + owner.partition() + " not queryable"
                    : result.getFailureReason() + ": " + result.getFailureMessage());
        }
        final V value = result.getResult();
        return value == null ? new Read.Missing<>() : new Read.Found<>(value);
    }

    @Override
    public Read<V> readStandby(final K key) {
        final KeyQueryMetadata owner = owner(key);
        if (owner == null || !owner.standbyHosts().contains(self)) {
            return new Read.Unavailable<>("no standby of the key's partition here");
        }
        final QueryResult<V> result = query(key, owner.partition(), false);
        if (result == null || result.isFailure()) {
            return new Read.Unavailable<>("standby not queryable");
        }
        return new Read.FromStandby<>(result.getResult(), lag(owner.partition()));
    }

    private KeyQueryMetadata owner(final K key) {
        final KeyQueryMetadata cached = owners.getIfPresent(key);
        if (cached != null) {
            return cached;
        }
        final KeyQueryMetadata fresh = streams.queryMetadataForKey(storeName, key, keySerializer);
        if (fresh == null || fresh.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
            return null;
        }
        owners.put(key, fresh);
        return fresh;
    }

    @SuppressWarnings("unchecked")
    private QueryResult<V> query(final K key, final int partition, final boolean active) {
        StateQueryRequest<Object> request = StateQueryRequest.inStore(storeName)
                .withQuery(KeyQuery.<K, Object>withKey(key))
                .withPartitions(Set.of(partition));
        if (active) {
            request = request.requireActive();
        }
        final StateQueryResult<Object> result = streams.query(request);
        final QueryResult<Object> partitionResult = result.getPartitionResults().get(partition);
        if (partitionResult == null || partitionResult.isFailure()) {
            return (QueryResult<V>) (QueryResult<?>) partitionResult;
        }
        // DSL-materialized tables are timestamped stores: their values come wrapped.
        final Object value = partitionResult.getResult();
        final Object unwrapped = value instanceof ValueAndTimestamp<?> vt ? vt.value() : value;
        return QueryResult.forResult((V) unwrapped);
    }

    private long lag(final int partition) {
        final Map<Integer, LagInfo> lags = streams.allLocalStorePartitionLags().get(storeName);
        final LagInfo lag = lags == null ? null : lags.get(partition);
        return lag == null ? -1 : lag.offsetLag();
    }
}
