// Reads Confluent wire-format records into a generated Avro class, resolving the writer's schema to the class's.
package io.bursar.serdes;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Deserializes records written by {@link SpecificAvroSerializer} (or any Confluent-format client):
 * the writer's schema is fetched by the id in the header and resolved to {@code T}'s schema, so data
 * written with an older or newer compatible schema reads as {@code T} (missing fields get defaults).
 *
 * <p>Every malformed input (short or foreign header, unknown id, incompatible writer schema,
 * truncated or trailing bytes) is a {@link SerializationException}, which is what Kafka Streams'
 * deserialization exception handler catches to dead-letter a record instead of crashing.
 * Thread-safe once configured; {@code null} reads as {@code null}.
 */
public final class SpecificAvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {

    static {
        TrustedAvroPackages.install();
    }

    /** Writer schemas per deserializer: one per version of the topic's schema that is still in the log. */
    private static final int READERS_MAX = 256;

    private final Class<T> type;
    private final Schema readerSchema;
    private final SpecificData model;
    private final Cache<Integer, DatumReader<T>> readersByWriterId =
            Caffeine.newBuilder().maximumSize(READERS_MAX).build();
    private SchemaRegistryClient client;

    /** An unconfigured deserializer of {@code type}, for {@link #configure}; it fails until configured. */
    public SpecificAvroDeserializer(final Class<T> type) {
        this.type = Objects.requireNonNull(type, "type");
        // The class's own model carries its logical-type conversions (Instant for timestamp-millis).
        this.model = SpecificData.getForClass(type);
        this.readerSchema = model.getSchema(type);
    }

    /** A configured deserializer of {@code type} that uses {@code client} directly. */
    public SpecificAvroDeserializer(final Class<T> type, final SchemaRegistryClient client) {
        this(type);
        this.client = Objects.requireNonNull(client, "client");
    }

    /** Reads {@link AvroSerdeConfig} from {@code configs}, replacing any client given before. */
    @Override
    public void configure(final Map<String, ?> configs, final boolean isKey) {
        this.client = SchemaRegistryClients.forUrl(new AvroSerdeConfig(configs).schemaRegistryUrl());
        // Ids are per registry: readers resolved against the previous registry's ids would misread.
        readersByWriterId.invalidateAll();
    }

    /** The schema records are read as. */
    public Schema readerSchema() {
        return readerSchema;
    }

    @Override
    public T deserialize(final String topic, final byte[] data) {
        if (data == null) {
            return null;
        }
        if (client == null) {
            throw new IllegalStateException("SpecificAvroDeserializer used before configure()");
        }
        final int writerId = ConfluentWireFormat.schemaId(data, topic);
        final DatumReader<T> reader = readerFor(writerId, topic);
        final BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(
                data, ConfluentWireFormat.HEADER_BYTES, data.length - ConfluentWireFormat.HEADER_BYTES, null);
        final T value;
        final boolean fullyRead;
        try {
            value = reader.read(null, decoder);
            fullyRead = decoder.isEnd();
        } catch (final IOException | RuntimeException e) {
            // Truncated bytes are an EOFException; garbage is an AvroRuntimeException or an index error.
            throw new SerializationException("Cannot decode record from topic " + topic + " written with schema id "
                    + writerId + " as " + type.getName() + ": " + e, e);
        }
        if (!fullyRead) {
            throw new SerializationException("Record from topic " + topic + " written with schema id " + writerId
                    + " has bytes left after a complete " + type.getName() + "; it is not what its header claims");
        }
        return value;
    }

    private DatumReader<T> readerFor(final int writerId, final String topic) {
        final DatumReader<T> cached = readersByWriterId.getIfPresent(writerId);
        if (cached != null) {
            return cached;
        }
        final Schema writerSchema;
        try {
            writerSchema = client.schemaById(writerId);
        } catch (final SchemaRegistryException e) {
            throw new SerializationException("Cannot fetch writer schema id " + writerId + " of record from topic "
                    + topic + ": " + e.getMessage(), e);
        }
        final DatumReader<T> reader = new SpecificDatumReader<>(writerSchema, readerSchema, model);
        readersByWriterId.put(writerId, reader);
        return reader;
    }
}
