package io.bursar.schemas;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 */
public final class SchemaHistoryCheck {

    private static final int PARSE_ROUNDS_MAX = 32;

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
        for (final Map.Entry<String, List<Path>> released : releasedVersions(history).entrySet()) {
            final Schema reader = current.get(released.getKey());
            if (reader == null) {
                violations.add(released.getKey() + ": released but no longer defined");
                continue;
            }
            for (final Path version : released.getValue()) {
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
