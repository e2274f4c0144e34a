package io.bursar.queries;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A global store is read locally once Streams has been RUNNING, and is unavailable, not empty, before. */
class GlobalStoreReaderTest {

    private static final String STORE = "catalog";

    @TempDir
    Path stateDir;
    private FakeStreams streams;
    private final MapStore store = new MapStore();

    @BeforeEach
    void create() {
        streams = new FakeStreams(stateDir, new HostInfo("127.0.0.1", 8080));
        streams.globalStore = store;
        store.values.put("dune", "books");
    }

    @AfterEach
    void close() {
        streams.close();
    }

    @Test
    void aRunningInstanceAnswersFromItsOwnCopy() {
        final GlobalStoreReader<String, String> reader = new GlobalStoreReader<>(streams, STORE);

        assertThat(reader.read("dune")).contains("books");
        assertThat(reader.read("kite")).isEmpty();
        assertThat(reader.storeName()).isEqualTo(STORE);
        assertThat(streams.storeLookups).as("the handle is looked up once").isEqualTo(1);
    }

    @Test
    void beforeRunningTheStoreMayBeIncompleteSoItIsUnavailable() {
        final GlobalStoreReader<String, String> reader = new GlobalStoreReader<>(streams, STORE);
        for (final KafkaStreams.State state : new KafkaStreams.State[] {KafkaStreams.State.CREATED,
                KafkaStreams.State.REBALANCING}) {
            streams.state = state;
            assertThatThrownBy(() -> reader.read("dune")).as(state.name())
                    .isInstanceOf(StoreUnavailableException.class).hasMessageContaining(state.name());
        }
        assertThat(streams.storeLookups).isZero();
    }

    @Test
    void aRebalanceAfterRunningDoesNotStopReadsButShuttingDownDoes() {
        final GlobalStoreReader<String, String> reader = new GlobalStoreReader<>(streams, STORE);
        assertThat(reader.read("dune")).contains("books");

        streams.state = KafkaStreams.State.REBALANCING;
        assertThat(reader.read("dune")).contains("books");

        for (final KafkaStreams.State state : new KafkaStreams.State[] {KafkaStreams.State.PENDING_SHUTDOWN,
                KafkaStreams.State.NOT_RUNNING, KafkaStreams.State.PENDING_ERROR, KafkaStreams.State.ERROR}) {
            streams.state = state;
            assertThatThrownBy(() -> reader.read("dune")).as(state.name())
                    .isInstanceOf(StoreUnavailableException.class);
        }
    }

    @Test
    void aStoreThatIsNotQueryableIsUnavailableAndLookedUpAgainNextTime() {
        final GlobalStoreReader<String, String> reader = new GlobalStoreReader<>(streams, STORE);
        streams.globalStore = null;
        assertThatThrownBy(() -> reader.read("dune")).isInstanceOf(StoreUnavailableException.class)
                .hasCauseInstanceOf(InvalidStateStoreException.class);

        streams.globalStore = store;
        assertThat(reader.read("dune")).contains("books");
        store.failing = true;
        assertThatThrownBy(() -> reader.read("dune")).isInstanceOf(StoreUnavailableException.class);
        store.failing = false;
        assertThat(reader.read("dune")).contains("books");
        assertThat(streams.storeLookups).isEqualTo(3);
    }

    /** A read-only store over a map; {@code failing} makes it answer as a closed store does. */
    private static final class MapStore implements ReadOnlyKeyValueStore<String, String> {
        final Map<String, String> values = new HashMap<>();
        volatile boolean failing;

        @Override
        public String get(final String key) {
            if (failing) {
                throw new InvalidStateStoreException("closed");
            }
            return values.get(key);
        }

        @Override
        public KeyValueIterator<String, String> range(final String from, final String to) {
            throw new UnsupportedOperationException();
        }

        @Override
        public KeyValueIterator<String, String> all() {
            throw new UnsupportedOperationException();
        }

        @Override
        public long approximateNumEntries() {
            return values.size();
        }
    }
}
