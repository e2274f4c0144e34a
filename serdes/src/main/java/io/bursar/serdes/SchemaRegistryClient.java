// The few schema-registry operations the serdes and tools need, in the Confluent API's terms.
package io.bursar.serdes;

import org.apache.avro.Schema;

/**
 * Registers and looks up Avro schemas by subject and id.
 *
 * <p>Implementations are thread-safe: one client is shared by every serde that uses the same
 * registry URL (see {@link SchemaRegistryClients}). Every failure is a {@link SchemaRegistryException}.
 */
public interface SchemaRegistryClient {

    /** Registers {@code schema} under {@code subject} (a no-op when already there) and returns its id. */
    int register(String subject, Schema schema);

    /** Returns the id of {@code schema} if it is registered under {@code subject}; throws (not found) otherwise. */
    int lookup(String subject, Schema schema);

    /** Returns the schema registered with {@code id}; throws (not found) for an unknown id. */
    Schema schemaById(int id);

    /** Returns the newest version registered under {@code subject}; throws (not found) for an unknown subject. */
    RegisteredSchema latestVersion(String subject);
}
