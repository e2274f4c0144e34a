package io.bursar.queries;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiPredicate;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Reads one key of a global store (a GlobalKTable) on this instance: every instance holds all of it, so
 * nothing is routed. A global store is complete only once Streams has been RUNNING: before that the reader
 * throws {@link StoreUnavailableException} rather than answer "missing" for a key not loaded yet. Global
 * stores are not moved by rebalances, so once RUNNING has been seen a rebalance does not stop the reads.
 *
 * <p>Thread-safe; never does network I/O.
 */
public final class GlobalStoreReader<K, V> {

    private final KafkaStreams streams;
    private final String storeName;
    /** The store handle, looked up once and dropped when Streams says it is no longer valid. */
    private volatile ReadOnlyKeyValueStore<K, V> store;
    /** Set once Streams was seen RUNNING: the global store had been fully loaded by then. */
    private volatile boolean loaded;

    public GlobalStoreReader(final KafkaStreams streams, final String storeName) {
        this.streams = Objects.requireNonNull(streams, "streams");
        this.storeName = Objects.requireNonNull(storeName, "storeName");
    }

    /** The store this reader reads. */
    public String storeName() {
        return storeName;
    }

    /**
     * The value of {@code key}, or empty when the store does not have it.
     *
     * @throws StoreUnavailableException while the store cannot be read (Streams not yet RUNNING, shutting down,
     *                                   or failed)
     */
    public Optional<V> read(final K key) {
        Objects.requireNonNull(key, "key");
        checkReadable();
        try {
            return Optional.ofNullable(store().get(key));
        } catch (final InvalidStateStoreException e) {
            store = null;
            throw new StoreUnavailableException("store " + storeName + " not readable now: " + e.getMessage(), e);
        }
    }

    /**
     * Up to {@code limit} values, in key order, of the keys after {@code after} (from the first key when null) whose
     * entry {@code keep} accepts: a page of a scan of the whole store.
     *
     * @throws StoreUnavailableException while the store cannot be read
     */
    public List<V> scan(final K after, final BiPredicate<K, V> keep, final int limit) {
        Objects.requireNonNull(keep, "keep");
        checkReadable();
        final List<V> page = new ArrayList<>(Math.min(limit, 1_000));
        try (KeyValueIterator<K, V> entries = store().range(after, null)) {
            while (entries.hasNext() && page.size() < limit) {
                final KeyValue<K, V> entry = entries.next();
                if ((after == null || !entry.key.equals(after)) && keep.test(entry.key, entry.value)) {
                    page.add(entry.value);
                }
            }
        } catch (final InvalidStateStoreException e) {
            store = null;
            throw new StoreUnavailableException("store " + storeName + " not readable now: " + e.getMessage(), e);
        }
        return page;
    }

    /** Throws while the store may not be complete (see {@link #read}). */
    private void checkReadable() {
        final KafkaStreams.State state = streams.state();
        if (state == KafkaStreams.State.RUNNING) {
            loaded = true;
        } else if (!(loaded && state == KafkaStreams.State.REBALANCING)) {
            throw new StoreUnavailableException("store " + storeName + " not readable: streams " + state);
        }
    }

    private ReadOnlyKeyValueStore<K, V> store() {
        ReadOnlyKeyValueStore<K, V> current = store;
        if (current == null) {
            // A timestamped (DSL) global store is read through a facade that drops the timestamps.
            current = streams.store(StoreQueryParameters.fromNameAndType(storeName,
                    QueryableStoreTypes.<K, V>keyValueStore()));
            store = current;
        }
        return current;
    }
}
