// Finds what the embedded registry needs on this machine: the unpacked Apicurio server and a Java 21+ to run it.
package io.bursar.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Locates the Apicurio Registry installation and a JDK able to run it.
 *
 * <p>Apicurio Registry 3.3 needs Java 21 while Bursar itself targets Java 17, so the registry runs
 * in a child process on whichever JDK 21+ the machine has.
 */
public final class EmbeddedRegistryLocator {

    /** System property naming the unpacked registry folder (the one holding {@value #RUNNER_JAR}). */
    public static final String HOME_PROPERTY = "bursar.registry.home";
    /** System property naming the java binary (or JDK folder) to run the registry with. */
    public static final String JAVA_PROPERTY = "bursar.registry.java";
    /** Environment variable naming the java binary (or JDK folder), used when the property is not set. */
    public static final String JAVA_ENV = "BURSAR_REGISTRY_JAVA";
    /** The oldest Java the registry runs on. */
    public static final int JAVA_FEATURE_MIN = 21;
    /** Where Debian-style systems install JDKs. */
    public static final Path JVM_DIR = Path.of("/usr/lib/jvm");
    /** The launcher jar of the unpacked Quarkus application. */
    public static final String RUNNER_JAR = "quarkus-run.jar";
    /** Where the build unpacks the registry, relative to the reactor root. */
    public static final Path HOME_RELATIVE = Path.of("target", "registry");

    /** From a module folder the reactor root is one level up; a few more cover deeper working dirs. */
    private static final int PARENT_LEVELS_MAX = 8;
    /** A JDK folder holds a handful of JDKs; this bounds a scan of a strange one. */
    private static final int JVM_DIR_ENTRIES_MAX = 256;
    /** A JDK's release file is about 1 KB. */
    private static final int RELEASE_FILE_BYTES_MAX = 64 * 1024;
    private static final Pattern JAVA_VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"?([0-9][^\"\\s]*)\"?\\s*$");

    private EmbeddedRegistryLocator() {
    }

    /** The registry folder: {@value #HOME_PROPERTY}, else {@code target/registry} in the working dir or a parent. */
    public static Path findHome() {
        final String configured = System.getProperty(HOME_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            final Path home = Path.of(configured.trim()).toAbsolutePath().normalize();
            if (!Files.isRegularFile(home.resolve(RUNNER_JAR))) {
                throw new IllegalStateException(HOME_PROPERTY + "=" + home + " has no " + RUNNER_JAR
                        + "; build the serdes module (it unpacks Apicurio Registry there) or fix the property");
            }
            return home;
        }
        final Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath().normalize();
        return findHomeFrom(start).orElseThrow(() -> new IllegalStateException("No unpacked Apicurio Registry in "
                + HOME_RELATIVE + " of " + start + " or its parents: run `mvn -pl serdes -am generate-resources`"
                + " at the project root (it unpacks it to target/registry), or set -D" + HOME_PROPERTY));
    }

    /** The java binary to run the registry: {@value #JAVA_PROPERTY}/{@value #JAVA_ENV}, else the newest JDK 21+. */
    public static Path findJava() {
        final String property = System.getProperty(JAVA_PROPERTY);
        final String configured = property != null && !property.isBlank() ? property : System.getenv(JAVA_ENV);
        if (configured != null && !configured.isBlank()) {
            return explicitJava(Path.of(configured.trim()));
        }
        final List<String> tried = new ArrayList<>();
        tried.add(JVM_DIR + "/*/release");
        final Optional<Path> installed = newestJdkUnder(JVM_DIR, JAVA_FEATURE_MIN);
        if (installed.isPresent()) {
            return installed.get().resolve("bin").resolve("java");
        }
        tried.add("this JVM (" + Runtime.version().feature() + ")");
        if (Runtime.version().feature() >= JAVA_FEATURE_MIN) {
            return Path.of(System.getProperty("java.home"), "bin", "java");
        }
        tried.add("java on PATH");
        final Optional<Path> onPath = javaOnPath().filter(java -> javaHomeOf(java)
                .map(home -> javaFeatureOf(home).orElse(0) >= JAVA_FEATURE_MIN).orElse(false));
        if (onPath.isPresent()) {
            return onPath.get();
        }
        throw new IllegalStateException("Apicurio Registry needs Java " + JAVA_FEATURE_MIN + "+ and none was found"
                + " (tried " + String.join(", ", tried) + "): install one, or set -D" + JAVA_PROPERTY + " or "
                + JAVA_ENV + " to its java binary or JDK folder");
    }

    /** The nearest {@code target/registry} holding {@value #RUNNER_JAR} at {@code start} or above it. */
    static Optional<Path> findHomeFrom(final Path start) {
        Path dir = start;
        for (int level = 0; level <= PARENT_LEVELS_MAX && dir != null; level++) {
            final Path candidate = dir.resolve(HOME_RELATIVE);
            if (Files.isRegularFile(candidate.resolve(RUNNER_JAR))) {
                return Optional.of(candidate);
            }
            dir = dir.getParent();
        }
        return Optional.empty();
    }

    /** The JDK under {@code jvmDir} with the highest feature version, if it is at least {@code featureMin}. */
    static Optional<Path> newestJdkUnder(final Path jvmDir, final int featureMin) {
        if (!Files.isDirectory(jvmDir)) {
            return Optional.empty();
        }
        try (Stream<Path> entries = Files.list(jvmDir)) {
            return entries.limit(JVM_DIR_ENTRIES_MAX)
                    .filter(home -> Files.isExecutable(home.resolve("bin").resolve("java")))
                    .filter(home -> javaFeatureOf(home).orElse(0) >= featureMin)
                    // Highest feature first; the name breaks ties so the choice does not depend on listing order.
                    .max(Comparator.comparingInt((Path home) -> javaFeatureOf(home).orElse(0))
                            .thenComparing(home -> home.getFileName().toString()));
        } catch (final IOException e) {
            return Optional.empty();
        }
    }

    /** The feature version ({@code 25} for 25.0.3, {@code 8} for 1.8.0) from {@code javaHome}'s release file. */
    static OptionalInt javaFeatureOf(final Path javaHome) {
        final Path release = javaHome.resolve("release");
        if (!Files.isRegularFile(release)) {
            return OptionalInt.empty();
        }
        final String text;
        try (InputStream in = Files.newInputStream(release)) {
            text = new String(in.readNBytes(RELEASE_FILE_BYTES_MAX), StandardCharsets.UTF_8);
        } catch (final IOException e) {
            return OptionalInt.empty();
        }
        final Matcher matcher = JAVA_VERSION.matcher(text);
        if (!matcher.find()) {
            return OptionalInt.empty();
        }
        final String[] parts = matcher.group(1).split("[._+-]");
        try {
            final int first = Integer.parseInt(parts[0]);
            // Before Java 9 versions read 1.<feature>.
            return OptionalInt.of(first == 1 && parts.length > 1 ? Integer.parseInt(parts[1]) : first);
        } catch (final NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    private static Path explicitJava(final Path configured) {
        final Path java = Files.isDirectory(configured) ? configured.resolve("bin").resolve("java") : configured;
        if (!Files.isExecutable(java)) {
            throw new IllegalStateException(JAVA_PROPERTY + "/" + JAVA_ENV + " names " + configured
                    + ", which is neither a java binary nor a JDK folder");
        }
        // Checked only when the JDK says its version: an unusual layout is the user's explicit choice.
        final OptionalInt feature = javaHomeOf(java).map(EmbeddedRegistryLocator::javaFeatureOf)
                .orElse(OptionalInt.empty());
        if (feature.isPresent() && feature.getAsInt() < JAVA_FEATURE_MIN) {
            throw new IllegalStateException(java + " is Java " + feature.getAsInt() + "; Apicurio Registry needs "
                    + JAVA_FEATURE_MIN + "+");
        }
        return java;
    }

    private static Optional<Path> javaHomeOf(final Path java) {
        try {
            // /usr/bin/java is a chain of links to <home>/bin/java.
            final Path real = java.toRealPath();
            return Optional.ofNullable(real.getParent()).map(Path::getParent);
        } catch (final IOException e) {
            return Optional.empty();
        }
    }

    private static Optional<Path> javaOnPath() {
        final String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (final String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            final Path java = Path.of(dir, "java");
            if (Files.isExecutable(java)) {
                return Optional.of(java);
            }
        }
        return Optional.empty();
    }
}
