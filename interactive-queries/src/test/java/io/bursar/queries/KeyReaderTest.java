package io.bursar.queries;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where a key reader looks for a key: the store key's own partition by default, or the partition of the part
 * of the key that the store's input topic is keyed by (items under "category/item", fed by category).
 */
class KeyReaderTest {

    private static final HostInfo SELF = new HostInfo("127.0.0.1", 8080);
    private static final HostInfo PEER = new HostInfo("127.0.0.2", 8080);
    private static final String STORE = "category-stock";

    @TempDir
    Path stateDir;
    private FakeStreams streams;

    @BeforeEach
    void create() {
        streams = new FakeStreams(stateDir, SELF);
    }

    @AfterEach
    void close() {
        streams.close();
    }

    @Test
    void thePartitionOfAKeyIsTheProducersPartitionOfItsPrefix() {
        final StringSerializer serializer = new StringSerializer();
        final StreamPartitioner<String, Object> partitioner =
                KeyReader.partitionedBy(serializer, KeyReader.prefixBefore('/'));
        for (final int partitions : new int[] {1, 3, 12, 50}) {
            for (int category = 0; category < 200; category++) {
                final String categoryId = "cat-" + category;
                final int expected = BuiltInPartitioner.partitionForKey(
                        serializer.serialize("t", categoryId), partitions);
                assertThat(partitioner.partitions("t", categoryId + "/item-" + category, null, partitions))
                        .as(categoryId + " over " + partitions).contains(Set.of(expected));
            }
        }
    }

    @Test
    void thePrefixIsThePartBeforeTheFirstSeparatorOrTheWholeKey() {
        final UnaryOperator<String> prefix = KeyReader.prefixBefore('/');
        assertThat(prefix.apply("books/dune")).isEqualTo("books");
        assertThat(prefix.apply("a/b/c")).isEqualTo("a");
        assertThat(prefix.apply("books")).isEqualTo("books");
        assertThat(prefix.apply("/x")).isEmpty();
    }

    @Test
    void aMissingKeyIsNotFoundOnlyOnceItsPartitionsInputIsRead() {
        final KeyReader<String, String> reader = new KeyReader<>(streams, STORE, new StringSerializer(), SELF,
                KeyReader.prefixBefore('/'));
        final int books = BuiltInPartitioner.partitionForKey(new StringSerializer().serialize("t", "books"),
                FakeStreams.PARTITIONS);
        assertThat(reader.read("books/emma")).as("caught up; the restore consumer's lag is not the input's")
                .isEqualTo(new Read.Missing<>());

        streams.inputLag.put(books, 3.0);
        assertThat(reader.read("books/emma")).as("3 records still to read")
                .isEqualTo(new Read.Unavailable<>("not found yet: the view of partition " + books
                        + " is 3 records behind its input"));

        streams.inputLag.remove(books);
        assertThat(reader.read("books/emma")).as("no fetch since the partition was assigned")
                .isInstanceOf(Read.Unavailable.class);

        streams.values.put("books/emma", "2 in stock");
        assertThat(reader.read("books/emma")).as("a value found is an answer whatever the lag")
                .isEqualTo(new Read.Found<>("2 in stock"));
    }

    @Test
    void withItsInputTopicsKnownAKeyIsNotFoundOnlyOnceEachOfThemWasRead() {
        final KeyReader<String, String> known = new KeyReader<>(streams, STORE, new StringSerializer(), SELF, null,
                Set.of(FakeStreams.SOURCE_TOPIC));
        assertThat(known.read("emma")).isEqualTo(new Read.Missing<>());

        final KeyReader<String, String> oneUnread = new KeyReader<>(streams, STORE, new StringSerializer(), SELF, null,
                Set.of(FakeStreams.SOURCE_TOPIC, "outcomes"));
        assertThat(oneUnread.read("emma")).as("no fetch of 'outcomes' yet on the key's partition")
                .isInstanceOf(Read.Unavailable.class);
    }

    @Test
    void theInputTopicsOfAStoreAreTheSourcesOfItsSubTopology() {
        final org.apache.kafka.streams.StreamsBuilder builder = new org.apache.kafka.streams.StreamsBuilder();
        builder.table("balances-in", org.apache.kafka.streams.kstream.Materialized.as("balances"));
        builder.stream("other-in").foreach((key, value) -> { });

        assertThat(KeyReader.inputTopicsOf(builder.build().describe(), "balances")).containsExactly("balances-in");
    }

    @Test
    void aKeyIsReadFromThePartitionOfItsPrefixAndOwnersAreCachedPerPrefix() {
        streams.values.put("books/dune", "12 in stock");
        final KeyReader<String, String> reader = new KeyReader<>(streams, STORE, new StringSerializer(), SELF,
                KeyReader.prefixBefore('/'));
        final int books = BuiltInPartitioner.partitionForKey(new StringSerializer().serialize("t", "books"),
                FakeStreams.PARTITIONS);

        assertThat(reader.read("books/dune")).isEqualTo(new Read.Found<>("12 in stock"));
        assertThat(reader.read("books/emma")).isEqualTo(new Read.Missing<>());
        assertThat(streams.queriedPartitions).containsExactly(Set.of(books), Set.of(books));
        // One metadata look-up for the category, through the partitioner, not one per item.
        assertThat(streams.metadataCalls).containsExactly("partitioner books/dune");

        reader.read("toys/kite");
        assertThat(streams.metadataCalls).containsExactly("partitioner books/dune", "partitioner toys/kite");
        reader.invalidateOwners();
        reader.read("books/emma");
        assertThat(streams.metadataCalls).hasSize(3);
    }

    @Test
    void withoutAPartitionKeyTheStoreKeyDecidesAsBefore() {
        streams.values.put("books/dune", "12 in stock");
        final KeyReader<String, String> reader = new KeyReader<>(streams, STORE, new StringSerializer(), SELF);

        assertThat(reader.read("books/dune")).isEqualTo(new Read.Found<>("12 in stock"));
        assertThat(streams.metadataCalls).containsExactly("serializer books/dune");
        assertThat(streams.queriedPartitions).containsExactly(Set.of(BuiltInPartitioner.partitionForKey(
                new StringSerializer().serialize("t", "books/dune"), FakeStreams.PARTITIONS)));
    }

    @Test
    void aCategoryOwnedElsewhereIsReportedWithItsOwnerAndNothingIsQueriedHere() {
        final int books = BuiltInPartitioner.partitionForKey(new StringSerializer().serialize("t", "books"),
                FakeStreams.PARTITIONS);
        streams.ownerOf = partition -> partition == books ? PEER : SELF;
        final KeyReader<String, String> reader = new KeyReader<>(streams, STORE, new StringSerializer(), SELF,
                KeyReader.prefixBefore('/'));

        assertThat(reader.read("books/dune")).isEqualTo(new Read.Elsewhere<>(PEER, Set.of(), books));
        assertThat(streams.queriedPartitions).isEmpty();
    }

    @Test
    void nothingIsReadWhileStreamsIsNotRunning() {
        streams.state = KafkaStreams.State.REBALANCING;
        final KeyReader<String, String> reader = new KeyReader<>(streams, STORE, new StringSerializer(), SELF,
                KeyReader.prefixBefore('/'));

        assertThat(reader.read("books/dune")).isInstanceOf(Read.Unavailable.class);
        assertThat(streams.metadataCalls).isEmpty();
    }

    @Test
    void aPartitionThatLeftSinceTheMetadataWasReadIsUnavailableAndItsOwnerIsAskedAfresh() {
        streams.values.put("dune", "12 in stock");
        final KeyReader<String, String> reader = new KeyReader<>(streams, STORE, new StringSerializer(), SELF);
        final int partition = BuiltInPartitioner.partitionForKey(new StringSerializer().serialize("t", "dune"),
                FakeStreams.PARTITIONS);
        assertThat(reader.read("dune")).isEqualTo(new Read.Found<>("12 in stock"));

        streams.movedAway.add(partition);
        assertThat(reader.read("dune")).isInstanceOf(Read.Unavailable.class);
        streams.movedAway.remove(partition);
        assertThat(reader.read("dune")).isEqualTo(new Read.Found<>("12 in stock"));
        assertThat(streams.metadataCalls).as("the owner read again after the failed read")
                .containsExactly("serializer dune", "serializer dune");
    }
}
