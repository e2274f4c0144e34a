// The five-byte header that Confluent-format Avro records start with: magic byte 0, then the schema id.
package io.bursar.serdes;

import java.io.ByteArrayOutputStream;
import org.apache.kafka.common.errors.SerializationException;

/** Writes and reads the header of a record in Confluent's wire format (magic byte, 4-byte big-endian id). */
public final class ConfluentWireFormat {

    /** The only magic byte defined by the format. */
    public static final byte MAGIC_BYTE = 0;
    /** Header length: one magic byte and a four-byte schema id; the Avro binary body follows it. */
    public static final int HEADER_BYTES = 1 + Integer.BYTES;

    private ConfluentWireFormat() {
    }

    /** Appends the header for {@code schemaId} to {@code out}. */
    public static void writeHeader(final ByteArrayOutputStream out, final int schemaId) {
        out.write(MAGIC_BYTE);
        out.write(schemaId >>> 24);
        out.write(schemaId >>> 16);
        out.write(schemaId >>> 8);
        out.write(schemaId);
    }

    /** Returns the schema id in {@code data}'s header; throws when the header is missing or not ours. */
    public static int schemaId(final byte[] data, final String topic) {
        if (data.length < HEADER_BYTES) {
            throw new SerializationException("Record from topic " + topic + " has " + data.length
                    + " bytes, fewer than the " + HEADER_BYTES + "-byte Confluent wire-format header");
        }
        if (data[0] != MAGIC_BYTE) {
            throw new SerializationException(String.format(
                    "Record from topic %s starts with magic byte 0x%02x, expected 0x00 (not Confluent wire format)",
                    topic, data[0] & 0xff));
        }
        return ((data[1] & 0xff) << 24) | ((data[2] & 0xff) << 16) | ((data[3] & 0xff) << 8) | (data[4] & 0xff);
    }
}
