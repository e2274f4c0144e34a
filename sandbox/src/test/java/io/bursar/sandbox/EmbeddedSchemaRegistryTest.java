// The launcher's failure paths, with a stand-in "java" script instead of the real registry.
package io.bursar.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedSchemaRegistryTest {

    @TempDir
    Path dir;

    @Test
    void aChildThatExitsEarlyFailsTheStartWithItsLog() throws IOException {
        final Path java = script("fake-java-exits", "echo 'cannot start: boom'\nexit 3\n");

        assertThatThrownBy(() -> EmbeddedSchemaRegistry.start(home(), java, dir.resolve("logs"),
                Duration.ofSeconds(20), 64))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exited with code 3")
                .hasMessageContaining("cannot start: boom");
    }

    @Test
    void aChildThatNeverAnswersIsStoppedAfterTheTimeout() throws IOException {
        final Path java = script("fake-java-hangs", "echo started\nwhile true; do sleep 0.1; done\n");

        final long startNanos = System.nanoTime();
        assertThatThrownBy(() -> EmbeddedSchemaRegistry.start(home(), java, dir.resolve("logs"),
                Duration.ofSeconds(1), 64))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not ready within 1 s")
                .hasMessageContaining("started");

        assertThat(Duration.ofNanos(System.nanoTime() - startNanos)).isLessThan(Duration.ofSeconds(15));
        final String scriptPath = java.toString();
        assertThat(ProcessHandle.current().descendants()
                .filter(ProcessHandle::isAlive)
                .filter(child -> child.info().commandLine().orElse("").contains(scriptPath)))
                .as("the stand-in child is stopped")
                .isEmpty();
    }

    @Test
    void aFolderWithoutTheRegistryIsRefusedBeforeStartingAnything() {
        assertThatThrownBy(() -> EmbeddedSchemaRegistry.start(dir, Path.of("java"), dir, Duration.ofSeconds(1), 64))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(EmbeddedRegistryLocator.RUNNER_JAR);
    }

    private Path home() throws IOException {
        final Path home = Files.createDirectories(dir.resolve("registry"));
        Files.writeString(home.resolve(EmbeddedRegistryLocator.RUNNER_JAR), "");
        return home;
    }

    private Path script(final String name, final String body) throws IOException {
        final Path script = dir.resolve(name);
        Files.writeString(script, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }
}
