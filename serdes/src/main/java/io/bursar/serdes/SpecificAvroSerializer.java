// Writes generated Avro records in Confluent's wire format, registering or looking up their schema by subject.
package io.bursar.serdes;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serializes a {@link SpecificRecord} as magic byte 0, the 4-byte big-endian id of its schema, then
 * its Avro binary encoding. The schema's subject is {@code <topic>-key} or {@code <topic>-value}.
 *
 * <p>Thread-safe once configured: Kafka Streams shares one instance between stream threads.
 * {@code null} is written as {@code null} (a tombstone).
 */
public final class SpecificAvroSerializer<T extends SpecificRecord> implements Serializer<T> {

    /** Generated classes per serializer; a topic carries one, a handful at most. */
    private static final int WRITER_CLASSES_MAX = 64;
    /** (topic, schema) pairs whose ids are kept; a serializer sees a handful. */
    private static final int SCHEMA_USES_MAX = 64;
    /** Most of our records are small; the buffer grows for the rest. */
    private static final int BUFFER_BYTES_INITIAL = 128;

    private final Cache<Class<?>, DatumWriter<SpecificRecord>> writersByClass =
            Caffeine.newBuilder().maximumSize(WRITER_CLASSES_MAX).build();
    /**
     * Schema ids by topic and schema, looked up on every record without building the subject's name: ids never
     * change once assigned, and a serializer sees a handful of (topic, schema) pairs.
     */
    private final ConcurrentMap<SchemaUse, Integer> idsByUse = new ConcurrentHashMap<>();
    private SchemaRegistryClient client;
    private boolean isKey;
    private boolean autoRegister;

    /** An unconfigured serializer, for Kafka to {@link #configure}; it fails until configured. */
    public SpecificAvroSerializer() {
    }

    /** A configured serializer that uses {@code client} directly. */
    public SpecificAvroSerializer(final SchemaRegistryClient client, final boolean isKey, final boolean autoRegister) {
        this.client = Objects.requireNonNull(client, "client");
        this.isKey = isKey;
        this.autoRegister = autoRegister;
    }

    /** Reads {@link AvroSerdeConfig} from {@code configs}, replacing any client given before. */
    @Override
    public void configure(final Map<String, ?> configs, final boolean isKey) {
        final AvroSerdeConfig config = new AvroSerdeConfig(configs);
        this.client = SchemaRegistryClients.forUrl(config.schemaRegistryUrl());
        idsByUse.clear();
        this.isKey = isKey;
        this.autoRegister = config.autoRegisterSchemas();
    }

    @Override
    public byte[] serialize(final String topic, final T record) {
        if (record == null) {
            return null;
        }
        if (client == null) {
            throw new IllegalStateException("SpecificAvroSerializer used before configure()");
        }
        final Schema schema = record.getSchema();
        final SchemaUse use = new SchemaUse(topic, schema);
        Integer schemaId = idsByUse.get(use);
        if (schemaId == null) {
            schemaId = schemaId(TopicNameStrategy.subject(topic, isKey), schema);
            if (idsByUse.size() < SCHEMA_USES_MAX) {
                idsByUse.put(use, schemaId);
            }
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream(BUFFER_BYTES_INITIAL);
        ConfluentWireFormat.writeHeader(out, schemaId);
        try {
            // Unbuffered: the output is a byte array already, and a buffered encoder allocates 2 KiB per record.
            final BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writerFor(record).write(record, encoder);
            encoder.flush();
        } catch (final IOException | RuntimeException e) {
            // A record that breaks its own schema (a null in a required field, say) lands here.
            throw new SerializationException("Cannot encode " + schema.getFullName() + " for topic " + topic
                    + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    private int schemaId(final String subject, final Schema schema) {
        try {
            return autoRegister ? client.register(subject, schema) : client.lookup(subject, schema);
        } catch (final SchemaRegistryException e) {
            final String action = autoRegister ? "register" : "find (auto.register.schemas=false)";
            throw new SerializationException("Cannot " + action + " schema " + schema.getFullName()
                    + " under subject " + subject + ": " + e.getMessage(), e);
        }
    }

    /** A topic and a schema written to it. */
    private record SchemaUse(String topic, Schema schema) {
    }

    private DatumWriter<SpecificRecord> writerFor(final SpecificRecord record) {
        // The class's own model carries its logical-type conversions (Instant for timestamp-millis).
        return writersByClass.get(record.getClass(),
                type -> new SpecificDatumWriter<>(record.getSchema(), SpecificData.getForClass(type)));
    }
}
