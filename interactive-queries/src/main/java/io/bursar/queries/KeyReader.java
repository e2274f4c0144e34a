package io.bursar.queries;

import java.util.Set;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.query.StateQueryRequest;
import org.apache.kafka.streams.query.StateQueryResult;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Reads one key of one key-value store: finds the key's owning instance through the Streams metadata
 * and, when it is this instance, reads the active store partition with IQv2.
 *
 * <p>Thread-safe; never blocks on the network. Forwarding a read to its owner is the caller's job.
 */
public final class KeyReader<K, V> {

    private final KafkaStreams streams;
    private final String storeName;
    private final Serializer<K> keySerializer;
    private final HostInfo self;

    public KeyReader(final KafkaStreams streams, final String storeName, final Serializer<K> keySerializer,
                     final HostInfo self) {
        this.streams = streams;
        this.storeName = storeName;
        this.keySerializer = keySerializer;
        this.self = self;
    }

    /** Reads {@code key}. Never throws for a store that is not queryable now: answers {@link Read.Unavailable}. */
    public Read<V> read(final K key) {
        if (streams.state() != KafkaStreams.State.RUNNING) {
            return new Read.Unavailable<>("streams " + streams.state());
        }
        final KeyQueryMetadata owner = streams.queryMetadataForKey(storeName, key, keySerializer);
        if (owner == null || owner.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
            return new Read.Unavailable<>("no owner known for the key");
        }
        if (!self.equals(owner.activeHost())) {
            return new Read.Elsewhere<>(owner.activeHost(), owner.standbyHosts(), owner.partition());
        }
        final StateQueryRequest<V> request = StateQueryRequest.inStore(storeName)
                .withQuery(KeyQuery.<K, V>withKey(key))
                .withPartitions(Set.of(owner.partition()))
                .requireActive();
        final StateQueryResult<V> result = streams.query(request);
        final QueryResult<V> partitionResult = result.getPartitionResults().get(owner.partition());
        if (partitionResult == null) {
            return new Read.Unavailable<>("partition " + owner.partition() + " not queryable");
        }
        if (partitionResult.isFailure()) {
            return new Read.Unavailable<>(partitionResult.getFailureReason() + ": " + partitionResult.getFailureMessage());
        }
        final V value = partitionResult.getResult();
        return value == null ? new Read.Missing<>() : new Read.Found<>(value);
    }
}
