// Cache key of a schema under a subject.
package io.bursar.serdes;

import org.apache.avro.Schema;

/** A subject and a schema; cheap to hash because Avro caches a schema's hash code. */
record SubjectSchemaKey(String subject, Schema schema) {
}
