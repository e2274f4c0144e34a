package io.bursar.queries;

import java.util.Set;
import org.apache.kafka.streams.state.HostInfo;

/** The answer to a read by key: found, known missing, owned by another instance, or not answerable now. */
public sealed interface Read<V> {

    /** The owner has the key. */
    record Found<V>(V value) implements Read<V> {
    }

    /** The owner does not have the key. */
    record Missing<V>() implements Read<V> {
    }

    /** A standby replica's answer ({@code value} null when it lacks the key), {@code offsetLag} records behind. */
    record FromStandby<V>(V value, long offsetLag) implements Read<V> {
    }

    /** Another instance owns the key's partition; {@code standbys} hold replicas of it. */
    record Elsewhere<V>(HostInfo active, Set<HostInfo> standbys, int partition) implements Read<V> {
    }

    /** No instance can answer now (rebalancing, store not ready); the caller may retry. */
    record Unavailable<V>(String reason) implements Read<V> {
    }
}
