// Writes records the way other clients or older versions of Bursar would, to test what the deserializer accepts.
package io.bursar.serdes;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/** Generic-record helpers: schema variants, conversion of a specific record, wire-format encoding. */
public final class AvroTestSupport {

    private AvroTestSupport() {
    }

    /** An older version of {@code schema}: the same record without the fields that have defaults. */
    public static Schema withoutDefaultedFields(final Schema schema) {
        final List<Schema.Field> kept = new ArrayList<>();
        for (final Schema.Field field : schema.getFields()) {
            if (!field.hasDefaultValue()) {
                kept.add(new Schema.Field(field, field.schema()));
            }
        }
        return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, kept);
    }

    /** A newer version of {@code schema}: the same record plus an optional string field defaulting to null. */
    public static Schema withOptionalStringField(final Schema schema, final String name) {
        final List<Schema.Field> fields = new ArrayList<>();
        for (final Schema.Field field : schema.getFields()) {
            fields.add(new Schema.Field(field, field.schema()));
        }
        final Schema optionalString = Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.STRING));
        fields.add(new Schema.Field(name, optionalString, "Added in a later version.", Schema.Field.NULL_DEFAULT_VALUE));
        return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    }

    /** {@code record} as a generic record of {@code target}, a compatible version of its schema. */
    public static GenericRecord asGeneric(final SpecificRecord record, final Schema target) {
        // Encoding with the record's own schema and decoding into the target is how a record really
        // crosses versions: dropped fields vanish, added fields take their defaults.
        final byte[] bytes = avroBinary(new SpecificDatumWriter<>(record.getSchema(),
                SpecificData.getForClass(record.getClass())), record);
        try {
            return new GenericDatumReader<GenericRecord>(record.getSchema(), target)
                    .read(null, DecoderFactory.get().binaryDecoder(bytes, null));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code record} in Confluent's wire format with schema id {@code schemaId}. */
    public static byte[] wireBytes(final GenericRecord record, final int schemaId) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        ConfluentWireFormat.writeHeader(out, schemaId);
        out.writeBytes(avroBinary(new GenericDatumWriter<>(record.getSchema()), record));
        return out.toByteArray();
    }

    /** Reads wire-format {@code bytes} as a generic record of {@code reader}, the writer schema fetched by id. */
    public static GenericRecord readGeneric(final byte[] bytes, final Schema reader, final SchemaRegistryClient client) {
        final Schema writer = client.schemaById(ConfluentWireFormat.schemaId(bytes, "test"));
        try {
            return new GenericDatumReader<GenericRecord>(writer, reader).read(null, DecoderFactory.get()
                    .binaryDecoder(bytes, ConfluentWireFormat.HEADER_BYTES,
                            bytes.length - ConfluentWireFormat.HEADER_BYTES, null));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <R> byte[] avroBinary(final org.apache.avro.io.DatumWriter<R> writer, final R record) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        try {
            writer.write(record, encoder);
            encoder.flush();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
