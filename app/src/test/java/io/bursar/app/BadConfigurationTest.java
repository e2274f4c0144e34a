// bursar meets bad configuration with one line naming what to fix, and exit code 2: never a stack trace.
package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BadConfigurationTest {

    @TempDir
    Path dir;

    private record Outcome(int exit, String err) {
    }

    private static Outcome run(final String... args) {
        final StringWriter err = new StringWriter();
        final int exit = Bursar.commandLine().setErr(new PrintWriter(err, true)).execute(args);
        return new Outcome(exit, err.toString());
    }

    private Path config(final String properties) throws Exception {
        final Path file = dir.resolve("bursar.properties");
        Files.writeString(file, properties);
        return file;
    }

    @Test
    void aMissingConfigFileIsNamed() {
        final Outcome outcome = run("run", "--config", dir.resolve("nope.properties").toString());

        assertThat(outcome.exit()).isEqualTo(Bursar.CONFIGURATION_ERROR);
        assertThat(outcome.err()).isEqualTo("bursar run: no such file: " + dir.resolve("nope.properties")
                + System.lineSeparator());
    }

    @Test
    void aValueOutOfRangeNamesTheKeyTheValueAndWhatIsAllowed() throws Exception {
        final Outcome outcome = run("run", "--config", config("""
                bootstrap.servers=127.0.0.1:9092
                schema.registry.url=http://127.0.0.1:8081
                http.port=99999
                """).toString());

        assertThat(outcome.exit()).isEqualTo(Bursar.CONFIGURATION_ERROR);
        assertThat(outcome.err()).startsWith("bursar run: bad configuration: ").contains("99999", "http.port", "65535")
                .doesNotContain("Exception").hasLineCount(1);
    }

    @Test
    void anEmptyBootstrapIsRefusedByName() throws Exception {
        final Outcome outcome = run("run", "--config", config("""
                bootstrap.servers=
                schema.registry.url=http://127.0.0.1:8081
                """).toString());

        assertThat(outcome.exit()).isEqualTo(Bursar.CONFIGURATION_ERROR);
        assertThat(outcome.err()).contains("bootstrap.servers").hasLineCount(1);
    }

    @Test
    void aKafkaThatDoesNotAnswerIsNamedWithinTheStartupTimeout() throws Exception {
        final int port = closedPort();
        final long start = System.nanoTime();
        final Outcome outcome = run("run", "--config", config("bootstrap.servers=127.0.0.1:" + port + "\n"
                + "schema.registry.url=mock://bad-config\n"
                + "state.dir=" + dir.resolve("state").toString().replace("\\", "/") + "\n"
                + "startup.timeout.ms=2000\nhttp.port=0\n").toString());

        assertThat(outcome.exit()).isEqualTo(Bursar.CONFIGURATION_ERROR);
        assertThat(outcome.err()).startsWith("bursar run: Kafka at 127.0.0.1:" + port + " did not answer within 2000 ms")
                .contains("bootstrap.servers").hasLineCount(1);
        assertThat(System.nanoTime() - start).as("bounded by the startup timeout").isLessThan(20_000_000_000L);
    }

    @Test
    void aRegistryThatDoesNotAnswerIsNamedWithinTheStartupTimeout() throws Exception {
        final int port = closedPort();
        final long start = System.nanoTime();
        final Outcome outcome = run("run", "--config", config("bootstrap.servers=127.0.0.1:9\n"
                + "schema.registry.url=http://127.0.0.1:" + port + "/apis/ccompat/v7\n"
                + "state.dir=" + dir.resolve("state").toString().replace("\\", "/") + "\n"
                + "startup.timeout.ms=2000\nhttp.port=0\n").toString());

        assertThat(outcome.exit()).isEqualTo(Bursar.CONFIGURATION_ERROR);
        assertThat(outcome.err()).startsWith("bursar run: the schema registry at http://127.0.0.1:" + port
                        + "/apis/ccompat/v7 did not answer within 2000 ms")
                .contains("schema.registry.url", "startup.timeout.ms").doesNotContain("Exception").hasLineCount(1);
        assertThat(System.nanoTime() - start).as("bounded by the startup timeout").isLessThan(20_000_000_000L);
    }

    @Test
    void aSimulatorOptionOutOfRangeIsNamed() {
        final Outcome outcome = run("simulator", "--server-errors", "0.7", "--too-many", "0.5");

        assertThat(outcome.exit()).isEqualTo(Bursar.CONFIGURATION_ERROR);
        assertThat(outcome.err()).startsWith("bursar simulator: bad option: ").contains("failure rates")
                .hasLineCount(1);
    }

    /** A loopback port nothing listens on. */
    private static int closedPort() throws Exception {
        try (ServerSocket free = new ServerSocket(0)) {
            return free.getLocalPort();
        }
    }
}
