package io.bursar.topology.orders;

import io.bursar.schemas.orders.OrderCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * What makes two order commands with one commandId "the same request": SHA-256 over the category and
 * the payload in Avro's single-object encoding (its schema's fingerprint, so its type, then its
 * fields). {@code issuedAt} is left out on purpose: a client retrying a request stamps it anew.
 */
final class OrderCommandFingerprint {

    private OrderCommandFingerprint() {
    }

    static ByteBuffer of(final OrderCommand command) {
        final SpecificRecord payload = (SpecificRecord) command.getPayload();
        final MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
        digest.update(command.getCategoryId().getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
        try {
            digest.update(new BinaryMessageEncoder<SpecificRecord>(SpecificData.get(), payload.getSchema())
                    .encode(payload));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return ByteBuffer.wrap(digest.digest());
    }
}
