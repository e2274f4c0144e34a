// What each command processor remembers of the commands it decided: one shape for partners and categories.
package io.bursar.topology;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The memory of decided commands, for idempotency: under {@code <scope>/<commandId>} (the scope is the partner
 * or category the command is for) the record of what it produced, with the {@link CommandFingerprint} of the
 * request, kept for the retention. A command seen again within the retention is a {@link Recall.Repeat} when it
 * asks the same ({@code issuedAt} aside), a {@link Recall.Conflict} when it reuses the id for something else.
 *
 * <p>A window store of one millisecond windows, each record put at its decision time ({@link LogClock}): old
 * segments are dropped whole once the log's time has passed them, with no deadline index and no tombstone per
 * forgotten command. A repeat is looked up from its own time minus the retention upwards, so a repeat stamped by
 * a producer whose clock is behind the first copy's still finds it.
 *
 * @param <P> the stored record: {@code ProcessedCommand} or {@code ProcessedOrderCommand}
 */
public final class CommandMemory<P extends SpecificRecord> {

    /** What the memory says of a command. */
    public sealed interface Recall<P> {
        /** Not seen within the retention: decide it, then {@link #remember} it with this fingerprint. */
        record First<P>(ByteBuffer fingerprint) implements Recall<P> {
        }

        /** Seen, asking the same: answer with what it produced. */
        record Repeat<P>(P earlier) implements Recall<P> {
        }

        /** Seen, asking something else under the same id: refuse it. */
        record Conflict<P>(P earlier) implements Recall<P> {
        }
    }

    private final WindowStore<String, P> store;
    private final long retentionMs;
    private final Function<P, ByteBuffer> fingerprintOf;

    /**
     * @param store         the processor's store, built by {@link #storeBuilder}
     * @param retention     how long a command is remembered (the store's retention)
     * @param fingerprintOf the fingerprint a stored record holds
     */
    public CommandMemory(final WindowStore<String, P> store, final Duration retention,
                         final Function<P, ByteBuffer> fingerprintOf) {
        this.store = store;
        this.retentionMs = retention.toMillis();
        this.fingerprintOf = fingerprintOf;
    }

    /** The store of a command memory named {@code name}, keeping records for {@code retention}. */
    public static <P> StoreBuilder<WindowStore<String, P>> storeBuilder(final String name, final Duration retention,
                                                                        final Serde<P> valueSerde) {
        return Stores.windowStoreBuilder(Stores.persistentWindowStore(name, retention, Duration.ofMillis(1), false),
                Serdes.String(), valueSerde);
    }

    /** What is remembered of {@code commandId} of {@code scope}, asking for {@code payload}, at {@code nowMs}. */
    public Recall<P> recall(final String scope, final String commandId, final SpecificRecord payload,
                            final long nowMs) {
        final ByteBuffer fingerprint = CommandFingerprint.of(scope, payload);
        final P earlier = find(key(scope, commandId), nowMs);
        if (earlier == null) {
            return new Recall.First<>(fingerprint);
        }
        return fingerprintOf.apply(earlier).equals(fingerprint) ? new Recall.Repeat<>(earlier)
                : new Recall.Conflict<>(earlier);
    }

    /** Remembers what {@code commandId} of {@code scope} produced, decided at {@code nowMs}. */
    public void remember(final String scope, final String commandId, final P processed, final long nowMs) {
        store.put(key(scope, commandId), processed, nowMs);
    }

    /** When a command decided at {@code nowMs} is forgotten. */
    public long rememberedUntil(final long nowMs) {
        return nowMs + retentionMs;
    }

    private P find(final String key, final long nowMs) {
        // The long-based fetch: the Instant one formats a message on every call.
        try (WindowStoreIterator<P> found = store.backwardFetch(key, Math.max(0, nowMs - retentionMs),
                Long.MAX_VALUE)) {
            return found.hasNext() ? found.next().value : null;
        }
    }

    private static String key(final String scope, final String commandId) {
        return scope + '/' + commandId;
    }
}
