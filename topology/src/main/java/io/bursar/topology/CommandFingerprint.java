package io.bursar.topology;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * What makes two commands with one commandId "the same request": SHA-256 over the key the command is
 * scoped to (its partner, its category), the payload's type and its Avro binary encoding.
 * {@code issuedAt} is left out on purpose: a client retrying a request stamps it anew. The one rule for
 * every command topic's idempotency.
 */
public final class CommandFingerprint {

    private CommandFingerprint() {
    }

    /** The fingerprint of {@code payload} sent for {@code scope}. */
    public static ByteBuffer of(final String scope, final SpecificRecord payload) {
        final MessageDigest digest = sha256();
        digest.update(scope.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
        digest.update(payload.getSchema().getFullName().getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
        digest.update(encode(payload));
        return ByteBuffer.wrap(digest.digest());
    }

    private static byte[] encode(final SpecificRecord payload) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        final BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            new SpecificDatumWriter<SpecificRecord>(payload.getSchema()).write(payload, encoder);
            encoder.flush();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
