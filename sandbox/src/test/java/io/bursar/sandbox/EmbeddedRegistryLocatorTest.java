// The locator's choices of JDK and registry folder, on fake folder trees.
package io.bursar.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedRegistryLocatorTest {

    @TempDir
    Path dir;

    @Test
    void readsTheFeatureVersionFromTheReleaseFile() throws IOException {
        assertThat(EmbeddedRegistryLocator.javaFeatureOf(jdk("temurin-25", "25.0.3"))).hasValue(25);
        assertThat(EmbeddedRegistryLocator.javaFeatureOf(jdk("jdk-21", "21"))).hasValue(21);
        assertThat(EmbeddedRegistryLocator.javaFeatureOf(jdk("jdk-8", "1.8.0_402"))).hasValue(8);
        assertThat(EmbeddedRegistryLocator.javaFeatureOf(Files.createDirectories(dir.resolve("no-release"))))
                .isEqualTo(OptionalInt.empty());
    }

    @Test
    void picksTheNewestJdkAtLeastTheMinimum() throws IOException {
        jdk("java-17-openjdk", "17.0.15");
        jdk("jdk-21", "21.0.5");
        final Path newest = jdk("temurin-25", "25.0.3");
        // A folder claiming 26 without a java binary does not count.
        Files.createDirectories(dir.resolve("broken-26"));
        Files.writeString(dir.resolve("broken-26").resolve("release"), "JAVA_VERSION=\"26\"\n");

        assertThat(EmbeddedRegistryLocator.newestJdkUnder(dir, 21)).hasValue(newest);
        assertThat(EmbeddedRegistryLocator.newestJdkUnder(dir, 26)).isEmpty();
        assertThat(EmbeddedRegistryLocator.newestJdkUnder(dir.resolve("missing"), 21)).isEmpty();
    }

    @Test
    void findsTheRegistryInTargetOfTheWorkingDirOrAParent() throws IOException {
        final Path home = Files.createDirectories(dir.resolve("target").resolve("registry"));
        Files.writeString(home.resolve(EmbeddedRegistryLocator.RUNNER_JAR), "");
        final Path module = Files.createDirectories(dir.resolve("serdes").resolve("src"));

        assertThat(EmbeddedRegistryLocator.findHomeFrom(module)).hasValue(home);
        assertThat(EmbeddedRegistryLocator.findHomeFrom(dir)).hasValue(home);
        assertThat(EmbeddedRegistryLocator.findHomeFrom(Files.createTempDirectory("elsewhere"))).isEqualTo(Optional.empty());
    }

    private Path jdk(final String name, final String version) throws IOException {
        final Path home = Files.createDirectories(dir.resolve(name));
        Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"" + version + "\"\n");
        final Path java = Files.createDirectories(home.resolve("bin")).resolve("java");
        Files.writeString(java, "#!/bin/sh\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        return home;
    }
}
