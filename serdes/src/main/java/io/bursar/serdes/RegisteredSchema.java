// One version of a subject as the registry stores it.
package io.bursar.serdes;

import java.util.Objects;
import org.apache.avro.Schema;

/**
 * A schema registered under a subject: its registry-wide id and its version within the subject.
 *
 * @param subject the subject, e.g. {@code payment-commands-value}
 * @param version the version within the subject, from 1
 * @param id the registry-wide id written into every record's header
 * @param schema the schema itself
 */
public record RegisteredSchema(String subject, int version, int id, Schema schema) {

    /** Checks the arguments. */
    public RegisteredSchema {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(schema, "schema");
        if (version < 1) {
            throw new IllegalArgumentException("version must be >= 1: " + version);
        }
    }
}
