package io.bursar.schemas;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;

/**
 * Build-time BACKWARD compatibility check: every schema in the source folder must read data written
 * with each of its released versions, kept in the history folder as
 * {@code history/<full.Name>/v<N>.avsc} (self-contained, nested types inlined).
 *
 * <p>The build runs {@link #main} in the {@code process-classes} phase; an incompatible change throws
 * and so fails {@code mvn verify}. {@code --release} appends the current version of every schema that
 * differs from its newest released version.
 *
 * <p>A deliberate break is declared in {@code history/<full.Name>/breaks.txt}, one line per break:
 * {@code v<N> <why>}. Versions before the newest declared break are no longer checked; the break
 * and its reason stay in the history. The check also refuses a union whose record branches a writer
 * could confuse by their shape ({@link #confusableBranches}).
 */
public final class SchemaHistoryCheck {

    private static final int PARSE_ROUNDS_MAX = 32;
    /** Where a schema's history declares its deliberate breaks. */
    static final String BREAKS_FILE = "breaks.txt";

    private SchemaHistoryCheck() {
    }

    /** Arguments: {@code <source dir> <history dir> [--release]}. */
    public static void main(final String[] args) {
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: SchemaHistoryCheck <source dir> <history dir> [--release]");
        }
        final Path sources = Path.of(args[0]);
        final Path history = Path.of(args[1]);
        final Map<String, Schema> current = parseSources(sources);
        final List<String> violations = check(current, history);
        if (!violations.isEmpty()) {
            throw new IllegalStateException("Incompatible schema changes (BACKWARD):\n  - "
                    + String.join("\n  - ", violations));
        }
        if (args.length > 2 && "--release".equals(args[2])) {
            release(current, history).forEach(p -> System.out.println("released " + p));
        }
        System.out.println("Schema compatibility: " + current.size() + " schemas BACKWARD-compatible with "
                + countReleased(history) + " released versions");
    }

    /** Returns one line per incompatibility between the current schemas and the released ones. */
    public static List<String> check(final Map<String, Schema> current, final Path history) {
        final List<String> violations = new ArrayList<>();
        for (final Schema schema : current.values()) {
            violations.addAll(confusableBranches(schema));
        }
        for (final Map.Entry<String, List<Path>> released : releasedVersions(history).entrySet()) {
            final Schema reader = current.get(released.getKey());
            if (reader == null) {
                violations.add(released.getKey() + ": released but no longer defined");
                continue;
            }
            final int checkedFrom = newestBreak(history.resolve(released.getKey()));
            for (final Path version : released.getValue()) {
                if (versionNumber(version) < checkedFrom) {
                    continue;
                }
                final Schema writer = parseFile(version);
                final SchemaCompatibility.SchemaPairCompatibility result =
                        SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
                if (result.getType() != SchemaCompatibilityType.COMPATIBLE) {
                    for (final SchemaCompatibility.Incompatibility problem : result.getResult().getIncompatibilities()) {
                        violations.add(released.getKey() + " cannot read " + history.relativize(version) + ": "
                                + problem.getType() + " at " + problem.getLocation() + " (" + problem.getMessage() + ")");
                    }
                }
            }
        }
        return violations;
    }

    /**
     * One line per record branch of a union in {@code schema} that a writer choosing a branch by the datum's
     * shape could take for another. Writers differ: Apache Avro's Python writer first picks the first record
     * whose field names include every key of the datum, then writes the last branch that validates; others
     * take the first match, some after filling in defaults. All of them pick the intended branch when every
     * record branch has a required field (no default, not nullable) that no other branch of the union has.
     */
    public static List<String> confusableBranches(final Schema schema) {
        final List<String> problems = new ArrayList<>();
        walk(schema, schema.getFullName(), new HashSet<>(), problems);
        return problems;
    }

    private static void walk(final Schema schema, final String path, final Set<String> seen,
                             final List<String> problems) {
        switch (schema.getType()) {
            case RECORD -> {
                if (!seen.add(schema.getFullName())) {
                    return;
                }
                for (final Schema.Field field : schema.getFields()) {
                    walk(field.schema(), schema.getFullName() + "." + field.name(), seen, problems);
                }
            }
            case ARRAY -> walk(schema.getElementType(), path + "[]", seen, problems);
            case MAP -> walk(schema.getValueType(), path + "{}", seen, problems);
            case UNION -> {
                final List<Schema> records = schema.getTypes().stream()
                        .filter(branch -> branch.getType() == Schema.Type.RECORD).toList();
                if (records.size() > 1) {
                    for (final Schema record : records) {
                        if (!hasOwnRequiredField(record, records)) {
                            problems.add(path + ": union branch " + record.getName() + " can be confused with another "
                                    + "branch by a writer that picks a branch by shape (give it a required field that no "
                                    + "other branch has)");
                        }
                    }
                }
                schema.getTypes().forEach(branch -> walk(branch, path, seen, problems));
            }
            default -> {
                // Primitives, enums and fixed hold no unions.
            }
        }
    }

    private static boolean hasOwnRequiredField(final Schema record, final List<Schema> branches) {
        for (final Schema.Field field : record.getFields()) {
            if (field.hasDefaultValue() || field.schema().isNullable()) {
                continue;
            }
            final boolean shared = branches.stream()
                    .anyMatch(other -> other != record && other.getField(field.name()) != null);
            if (!shared) {
                return true;
            }
        }
        return false;
    }

    /** The version number of the newest declared break of one schema's history, or 0 when it has none. */
    private static int newestBreak(final Path schemaHistory) {
        final Path breaks = schemaHistory.resolve(BREAKS_FILE);
        if (!Files.exists(breaks)) {
            return 0;
        }
        int newest = 0;
        for (final String line : read(breaks).split("\n")) {
            final String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            final String version = trimmed.split("\\s+", 2)[0];
            if (!version.matches("v[1-9][0-9]*") || trimmed.equals(version)) {
                throw new IllegalStateException(breaks + ": expected 'v<N> <why>', got: " + line);
            }
            newest = Math.max(newest, Integer.parseInt(version.substring(1)));
        }
        return newest;
    }

    /** Parses every {@code .avsc} below {@code sources}, in whatever order resolves named references. */
    public static Map<String, Schema> parseSources(final Path sources) {
        List<Path> pending = listAvsc(sources);
        final Map<String, Schema> parsed = new LinkedHashMap<>();
        final Map<String, Schema> namedTypes = new LinkedHashMap<>();
        for (int round = 0; !pending.isEmpty(); round++) {
            if (round == PARSE_ROUNDS_MAX) {
                throw new IllegalStateException("unresolvable schema references in " + pending);
            }
            final List<Path> deferred = new ArrayList<>();
            for (final Path file : pending) {
                try {
                    // A fresh parser per attempt: a failed parse may leave half-defined names behind.
                    final Schema.Parser parser = new Schema.Parser().addTypes(namedTypes);
                    final Schema schema = parser.parse(read(file));
                    parsed.put(schema.getFullName(), schema);
                    namedTypes.putAll(parser.getTypes());
                } catch (final AvroRuntimeException e) {
                    // A reference to a type defined in a file not parsed yet (Avro reports it as a parse or a
                    // type error, depending on where the name is used): try again next round.
                    deferred.add(file);
                }
            }
            if (deferred.size() == pending.size()) {
                throw new IllegalStateException("cannot parse " + deferred + " (undefined types?)");
            }
            pending = deferred;
        }
        return parsed;
    }

    static List<Path> release(final Map<String, Schema> current, final Path history) {
        final Map<String, List<Path>> released = releasedVersions(history);
        final List<Path> written = new ArrayList<>();
        for (final Schema schema : current.values()) {
            final List<Path> versions = released.getOrDefault(schema.getFullName(), List.of());
            if (!versions.isEmpty() && parseFile(versions.get(versions.size() - 1)).equals(schema)) {
                continue;
            }
            final Path target = history.resolve(schema.getFullName()).resolve("v" + (versions.size() + 1) + ".avsc");
            try {
                Files.createDirectories(target.getParent());
                Files.writeString(target, schema.toString(true) + "\n", StandardCharsets.UTF_8);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
            written.add(target);
        }
        return written;
    }

    private static Map<String, List<Path>> releasedVersions(final Path history) {
        final Map<String, List<Path>> versions = new LinkedHashMap<>();
        if (!Files.isDirectory(history)) {
            return versions;
        }
        for (final Path file : listAvsc(history)) {
            versions.computeIfAbsent(file.getParent().getFileName().toString(), k -> new ArrayList<>()).add(file);
        }
        versions.values().forEach(list -> list.sort(Comparator.comparingInt(SchemaHistoryCheck::versionNumber)));
        return versions;
    }

    private static int versionNumber(final Path file) {
        final String name = file.getFileName().toString();
        return Integer.parseInt(name.substring(1, name.length() - ".avsc".length()));
    }

    private static int countReleased(final Path history) {
        return releasedVersions(history).values().stream().mapToInt(List::size).sum();
    }

    private static Schema parseFile(final Path file) {
        return new Schema.Parser().parse(read(file));
    }

    private static List<Path> listAvsc(final Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.toString().endsWith(".avsc")).sorted().toList();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(final Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
