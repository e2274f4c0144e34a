package io.bursar.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DeadlineIndexTest {

    private KeyValueStore<String, String> store;
    private DeadlineIndex index;

    @BeforeEach
    void setUp() {
        store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("deadlines"), Serdes.String(),
                Serdes.String()).withLoggingDisabled().build();
        store.init(new MockProcessorContext<String, String>().getStateStoreContext(), store);
        index = new DeadlineIndex(store);
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    @Test
    void indexKeysAreNineteenDigitsThenTheEntry() {
        assertThat(DeadlineIndex.indexKey(0, "a")).isEqualTo("0000000000000000000/a");
        assertThat(DeadlineIndex.indexKey(1_700_000_000_123L, "c/o#0")).isEqualTo("0000001700000000123/c/o#0");
        assertThat(DeadlineIndex.indexKey(Long.MAX_VALUE, "z")).isEqualTo(Long.MAX_VALUE + "/z");
        assertThatThrownBy(() -> DeadlineIndex.indexKey(-1, "a")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void lanesShareAStoreWithoutSeeingEachOther() {
        final DeadlineIndex slow = new DeadlineIndex(store, "slow/");
        final DeadlineIndex fast = new DeadlineIndex(store, "fast/");
        for (int i = 0; i < 5; i++) {
            slow.add(10 + i, "s" + i);
        }
        fast.add(50, "f0");
        index.add(5, "plain");

        assertThat(store.get("slow/0000000000000000010/s0")).isEqualTo("s0");
        assertThat(fast.hasDue(49)).isFalse();
        assertThat(fast.hasDue(50)).isTrue();
        // The slow lane's backlog, due earlier, does not stand in front of the fast lane's entry.
        assertThat(fast.pollDue(100, 1)).containsExactly("f0");
        assertThat(slow.pollDue(12, 10)).containsExactly("s0", "s1", "s2");
        assertThat(slow.hasDue(12)).isFalse();
        assertThat(slow.hasDue(13)).isTrue();
        assertThat(index.pollDue(100, 10)).containsExactly("plain");
        assertThat(slow.pollDue(100, 10)).containsExactly("s3", "s4");
    }

    @Test
    void pollDueReturnsOnlyPassedDeadlinesEarliestFirstAndAtMostTheLimit() {
        index.add(9, "nine");
        index.add(10, "ten");
        index.add(100, "hundred");
        index.add(1_000, "thousand");
        index.add(Long.MAX_VALUE, "never");

        assertThat(index.pollDue(100, 2)).containsExactly("nine", "ten");
        assertThat(index.pollDue(100, 10)).containsExactly("hundred");
        assertThat(index.pollDue(999, 10)).isEmpty();
        index.remove(1_000, "thousand");
        assertThat(index.pollDue(Long.MAX_VALUE - 1, 10)).isEmpty();
        final List<String> left = new ArrayList<>();
        store.all().forEachRemaining(kv -> left.add(kv.value));
        assertThat(left).containsExactly("never");
    }
}
