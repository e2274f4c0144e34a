// A schema registry held in memory, for unit tests: selected by mock://<scope> URLs as Confluent's clients do.
package io.bursar.serdes;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;

/**
 * Registers schemas like a real registry would: ids are registry-wide and shared by equal schemas,
 * versions count per subject, and a new version must be BACKWARD compatible with the latest one
 * (the default rule of Confluent's registry), so tests see the refusals production would.
 *
 * <p>Scopes: every {@code mock://<scope>} URL in this JVM with the same scope reaches the same
 * instance; tests call {@link #dropScope} (or {@link #dropAllScopes}) to start clean.
 */
public final class InMemorySchemaRegistry implements SchemaRegistryClient {

    /** More scopes than this means tests create one per run without dropping it; an empty one costs ~1 KB. */
    public static final int SCOPES_MAX = 10_000;
    /** More schemas than this in one registry means a test registers in a loop by mistake. */
    public static final int SCHEMAS_MAX = 10_000;

    private static final Map<String, InMemorySchemaRegistry> SCOPES = new ConcurrentHashMap<>();

    private final Map<Integer, Schema> schemasById = new HashMap<>();
    private final Map<Schema, Integer> idsBySchema = new HashMap<>();
    private final Map<String, List<Schema>> versionsBySubject = new HashMap<>();
    private int nextId = 1;

    /** A fresh registry not reachable through any scope. */
    public InMemorySchemaRegistry() {
    }

    /** Returns the registry of {@code scope}, creating it on first use. */
    public static InMemorySchemaRegistry forScope(final String scope) {
        Objects.requireNonNull(scope, "scope");
        final InMemorySchemaRegistry existing = SCOPES.get(scope);
        if (existing != null) {
            return existing;
        }
        if (SCOPES.size() >= SCOPES_MAX) {
            throw new IllegalStateException("More than " + SCOPES_MAX + " in-memory registry scopes: drop them"
                    + " between tests with InMemorySchemaRegistry.dropScope");
        }
        return SCOPES.computeIfAbsent(scope, ignored -> new InMemorySchemaRegistry());
    }

    /** Forgets the registry of {@code scope}; the next use of the scope starts empty. */
    public static void dropScope(final String scope) {
        SCOPES.remove(scope);
    }

    /** Forgets every scope. */
    public static void dropAllScopes() {
        SCOPES.clear();
    }

    @Override
    public synchronized int register(final String subject, final Schema schema) {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(schema, "schema");
        final List<Schema> versions = versionsBySubject.computeIfAbsent(subject, ignored -> new ArrayList<>());
        if (versions.contains(schema)) {
            return idsBySchema.get(schema);
        }
        if (!versions.isEmpty()) {
            requireBackwardCompatible(subject, schema, versions.get(versions.size() - 1));
        }
        final int id = idsBySchema.computeIfAbsent(schema, this::assignId);
        versions.add(schema);
        return id;
    }

    @Override
    public synchronized int lookup(final String subject, final Schema schema) {
        final List<Schema> versions = versionsOf(subject);
        if (!versions.contains(schema)) {
            throw new SchemaRegistryException("Schema " + schema.getFullName() + " is not registered under subject "
                    + subject, 404, SchemaRegistryException.SCHEMA_NOT_FOUND);
        }
        return idsBySchema.get(schema);
    }

    @Override
    public synchronized Schema schemaById(final int id) {
        final Schema schema = schemasById.get(id);
        if (schema == null) {
            throw new SchemaRegistryException("Schema " + id + " not found", 404, SchemaRegistryException.SCHEMA_NOT_FOUND);
        }
        return schema;
    }

    @Override
    public synchronized RegisteredSchema latestVersion(final String subject) {
        final List<Schema> versions = versionsOf(subject);
        final Schema latest = versions.get(versions.size() - 1);
        return new RegisteredSchema(subject, versions.size(), idsBySchema.get(latest), latest);
    }

    private List<Schema> versionsOf(final String subject) {
        final List<Schema> versions = versionsBySubject.get(subject);
        if (versions == null || versions.isEmpty()) {
            throw new SchemaRegistryException("Subject '" + subject + "' not found", 404,
                    SchemaRegistryException.SUBJECT_NOT_FOUND);
        }
        return versions;
    }

    private int assignId(final Schema schema) {
        if (schemasById.size() >= SCHEMAS_MAX) {
            throw new IllegalStateException("In-memory registry holds " + SCHEMAS_MAX + " schemas already");
        }
        final int id = nextId++;
        schemasById.put(id, schema);
        return id;
    }

    private static void requireBackwardCompatible(final String subject, final Schema candidate, final Schema latest) {
        // BACKWARD: consumers on the new schema must read data written with the latest one.
        final SchemaCompatibility.SchemaPairCompatibility result =
                SchemaCompatibility.checkReaderWriterCompatibility(candidate, latest);
        if (result.getType() != SchemaCompatibilityType.COMPATIBLE) {
            throw new SchemaRegistryException("Schema being registered is incompatible with the latest version of "
                    + subject + ": " + result.getDescription(), 409, SchemaRegistryException.INCOMPATIBLE_SCHEMA);
        }
    }
}
