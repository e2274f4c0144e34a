// The embedded registry: a real Apicurio Registry server in a child process on a free loopback port.
package io.bursar.sandbox;

import io.bursar.serdes.RestSchemaRegistryClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts Apicurio Registry (in-memory storage) as a child process and stops it, by its PID, in
 * {@link #close()}; a JVM shutdown hook stops it too if the owner forgets or crashes.
 *
 * <p>Ready means the Confluent-compatible API answered 200. The child's output goes to
 * {@link #logFile()}, never to this process's console. Both of its ports (HTTP and Quarkus's
 * management interface) are chosen free on 127.0.0.1, so several registries can run side by side.
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {

    /** Where Apicurio serves the Confluent schema-registry API. */
    public static final String CCOMPAT_PATH = "/apis/ccompat/v7";
    /** Startup takes about 6 s on two busy cores; this leaves room for a slow CI machine. */
    public static final Duration STARTUP_TIMEOUT_DEFAULT = Duration.ofSeconds(60);
    /** The registry holds a few schemas; its heap never needs more. */
    public static final int HEAP_MB_DEFAULT = 384;
    /** How long a polite stop (SIGTERM) may take before the process is killed. */
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);
    private static final String LOOPBACK = "127.0.0.1";
    /** Another process may take a free port between our check and the child's bind; retry that few times. */
    private static final int START_ATTEMPTS_MAX = 3;
    private static final Duration POLL_INTERVAL = Duration.ofMillis(100);
    private static final Duration POLL_REQUEST_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(5);
    /** Lines of the child's log quoted when it fails to start. */
    private static final int LOG_TAIL_LINES = 30;
    private static final int LOG_TAIL_BYTES_MAX = 64 * 1024;

    private final Process process;
    private final int port;
    private final Path logFile;
    private final Thread shutdownHook;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EmbeddedSchemaRegistry(final Process process, final int port, final Path logFile) {
        this.process = process;
        this.port = port;
        this.logFile = logFile;
        this.shutdownHook = new Thread(this::stopProcess, "embedded-registry-stop-" + process.pid());
    }

    /** Starts the registry found by {@link EmbeddedRegistryLocator} and waits until it is ready. */
    public static EmbeddedSchemaRegistry start() {
        return start(EmbeddedRegistryLocator.findHome(), EmbeddedRegistryLocator.findJava(), defaultLogDir(),
                STARTUP_TIMEOUT_DEFAULT, HEAP_MB_DEFAULT);
    }

    /** Starts the registry unpacked in {@code home} with {@code java}, logging under {@code logDir}. */
    public static EmbeddedSchemaRegistry start(final Path home, final Path java, final Path logDir,
                                               final Duration startupTimeout, final int heapMb) {
        Objects.requireNonNull(home, "home");
        Objects.requireNonNull(java, "java");
        Objects.requireNonNull(logDir, "logDir");
        if (startupTimeout.isNegative() || startupTimeout.isZero()) {
            throw new IllegalArgumentException("startupTimeout must be positive: " + startupTimeout);
        }
        if (heapMb < 64) {
            throw new IllegalArgumentException("heapMb must be >= 64: " + heapMb);
        }
        if (!Files.isRegularFile(home.resolve(EmbeddedRegistryLocator.RUNNER_JAR))) {
            throw new IllegalStateException(home + " holds no " + EmbeddedRegistryLocator.RUNNER_JAR);
        }
        RuntimeException lastFailure = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS_MAX; attempt++) {
            final int[] ports = freeLoopbackPorts(2);
            final EmbeddedSchemaRegistry registry = launch(home, java, logDir, ports[0], ports[1], heapMb);
            try {
                registry.awaitReady(startupTimeout);
                registry.requireBackwardCompatibility();
                LOG.info("Embedded schema registry ready at {} (pid {}, log {})", registry.url(), registry.pid(),
                        registry.logFile());
                return registry;
            } catch (final RuntimeException e) {
                // Whatever went wrong, the child must not outlive a failed start.
                registry.close();
                lastFailure = e;
                if (!registry.logMentions("Address already in use")) {
                    throw e;
                }
                LOG.warn("Embedded schema registry lost a port race (attempt {} of {}), retrying", attempt,
                        START_ATTEMPTS_MAX);
            }
        }
        throw lastFailure;
    }

    /** Base URL of the Confluent-compatible API, e.g. {@code http://127.0.0.1:41234/apis/ccompat/v7}. */
    public String url() {
        return "http://" + LOOPBACK + ":" + port + CCOMPAT_PATH;
    }

    /** The HTTP port on 127.0.0.1. */
    public int port() {
        return port;
    }

    /** The child's process id. */
    public long pid() {
        return process.pid();
    }

    /** The file the child's stdout and stderr go to. */
    public Path logFile() {
        return logFile;
    }

    /** True until the child exits. */
    public boolean isRunning() {
        return process.isAlive();
    }

    /** Stops the child (SIGTERM, then SIGKILL after {@link #STOP_TIMEOUT}) and waits for it; idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        stopProcess();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (final IllegalStateException shuttingDown) {
            // The JVM is exiting and runs the hook anyway; stopping twice is harmless.
        }
    }

    private static EmbeddedSchemaRegistry launch(final Path home, final Path java, final Path logDir,
                                                 final int httpPort, final int managementPort, final int heapMb) {
        final Path logFile = logDir.resolve("registry-" + httpPort + ".log");
        final List<String> command = new ArrayList<>();
        command.add(java.toString());
        command.add("-Xmx" + heapMb + "m");
        // Quarkus reads its configuration from system properties, which must precede -jar.
        command.add("-Dquarkus.http.host=" + LOOPBACK);
        command.add("-Dquarkus.http.port=" + httpPort);
        // The management interface defaults to 0.0.0.0:9000, which a second registry on the machine would take.
        command.add("-Dquarkus.management.host=" + LOOPBACK);
        command.add("-Dquarkus.management.port=" + managementPort);
        command.add("-jar");
        command.add(EmbeddedRegistryLocator.RUNNER_JAR);
        final Process process;
        try {
            Files.createDirectories(logDir);
            process = new ProcessBuilder(command)
                    .directory(home.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(logFile.toFile()))
                    .start();
        } catch (final IOException e) {
            throw new UncheckedIOException("Cannot start " + String.join(" ", command) + " in " + home, e);
        }
        final EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(process, httpPort, logFile);
        Runtime.getRuntime().addShutdownHook(registry.shutdownHook);
        try {
            // The registry reads no input; closing its stdin means it can never wait on us.
            process.getOutputStream().close();
        } catch (final IOException ignored) {
            // A child that already closed its end needs nothing from us either.
        }
        LOG.info("Started embedded schema registry pid {} on port {} with {}", process.pid(), httpPort, java);
        return registry;
    }

    /**
     * Apicurio accepts any new schema version by default; a production registry checks BACKWARD
     * compatibility, and so must the embedded one, or an incompatible producer would pass the demo.
     */
    private void requireBackwardCompatibility() {
        final HttpClient http = HttpClient.newBuilder().connectTimeout(POLL_REQUEST_TIMEOUT)
                .version(HttpClient.Version.HTTP_1_1).build();
        final HttpRequest put = HttpRequest.newBuilder(URI.create(url() + "/config"))
                .timeout(POLL_REQUEST_TIMEOUT)
                .header("Content-Type", RestSchemaRegistryClient.CONTENT_TYPE)
                .PUT(HttpRequest.BodyPublishers.ofString("{\"compatibility\":\"BACKWARD\"}"))
                .build();
        try {
            final HttpResponse<String> response = http.send(put, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("Embedded schema registry refused BACKWARD compatibility: "
                        + response.statusCode() + " " + response.body());
            }
        } catch (final IOException e) {
            throw new IllegalStateException("Embedded schema registry unreachable while configuring it", e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while configuring the embedded schema registry", e);
        }
    }

    private void awaitReady(final Duration timeout) {
        final HttpClient http = HttpClient.newBuilder()
                .connectTimeout(POLL_REQUEST_TIMEOUT)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        final HttpRequest probe = HttpRequest.newBuilder(URI.create(url() + "/subjects"))
                .timeout(POLL_REQUEST_TIMEOUT)
                .GET()
                .build();
        final long deadlineNanos = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadlineNanos) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Embedded schema registry exited with code " + process.exitValue()
                        + " before it was ready; " + logTail());
            }
            try {
                // While Quarkus boots the port may answer 500 ("No CDI container"): only 200 means ready.
                if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (final IOException notListeningYet) {
                // Connection refused until the HTTP server binds.
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for the embedded schema registry", e);
            }
            sleep(POLL_INTERVAL);
        }
        throw new IllegalStateException("Embedded schema registry not ready within " + timeout.toSeconds() + " s; "
                + logTail());
    }

    private void stopProcess() {
        if (!process.isAlive()) {
            return;
        }
        // SIGTERM first: Quarkus shuts down in well under a second when asked.
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("Embedded schema registry pid {} ignored SIGTERM for {} s, killing it", process.pid(),
                        STOP_TIMEOUT.toSeconds());
                process.destroyForcibly();
                process.waitFor(KILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (final InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private boolean logMentions(final String text) {
        return readLogTail().contains(text);
    }

    private String logTail() {
        final String[] lines = readLogTail().split("\n");
        final int from = Math.max(0, lines.length - LOG_TAIL_LINES);
        return "last lines of " + logFile + ":\n" + String.join("\n", List.of(lines).subList(from, lines.length));
    }

    private String readLogTail() {
        try (InputStream in = Files.newInputStream(logFile)) {
            final long size = Files.size(logFile);
            in.skipNBytes(Math.max(0, size - LOG_TAIL_BYTES_MAX));
            return new String(in.readNBytes(LOG_TAIL_BYTES_MAX), StandardCharsets.UTF_8);
        } catch (final IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    private static int[] freeLoopbackPorts(final int count) {
        // All sockets stay open until every port is picked, so the ports differ from one another.
        final ServerSocket[] sockets = new ServerSocket[count];
        try {
            for (int i = 0; i < count; i++) {
                sockets[i] = new ServerSocket();
                sockets[i].bind(new InetSocketAddress(InetAddress.getByName(LOOPBACK), 0));
            }
            final int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ports[i] = sockets[i].getLocalPort();
            }
            return ports;
        } catch (final IOException e) {
            throw new UncheckedIOException("Cannot find a free port on " + LOOPBACK, e);
        } finally {
            for (final ServerSocket socket : sockets) {
                closeQuietly(socket);
            }
        }
    }

    private static void closeQuietly(final ServerSocket socket) {
        if (socket == null) {
            return;
        }
        try {
            socket.close();
        } catch (final IOException ignored) {
            // Closing a listening socket we own does not fail in practice, and the port is released either way.
        }
    }

    private static Path defaultLogDir() {
        // Inside a Maven module the working dir has target/; elsewhere the temp dir keeps the logs out of the way.
        final Path target = Path.of(System.getProperty("user.dir"), "target");
        return Files.isDirectory(target)
                ? target.resolve("embedded-registry")
                : Path.of(System.getProperty("java.io.tmpdir"), "bursar-embedded-registry");
    }

    private static void sleep(final Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for the embedded schema registry", e);
        }
    }
}
