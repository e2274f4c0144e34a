package io.bursar.queries;

/** Reads one store by key on this instance: what {@link OwnerRouter} needs of a {@link KeyReader}. */
public interface KeyLookup<K, V> {

    /** Reads {@code key} from its active owner if that is this instance; never throws for a store not queryable now. */
    Read<V> read(K key);

    /** Reads {@code key} from this instance's standby replica of its partition, with the replica's lag. */
    Read<V> readStandby(K key);

    /** Forgets every cached owner. */
    void invalidateOwners();
}
