// A real single-node KRaft Kafka broker (broker and controller in one) inside this JVM, for `bursar demo` and the *IT tests.
package io.bursar.app.kafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node KRaft Kafka broker running in this JVM, on loopback, with its data in a temporary folder.
 *
 * <p>Lifecycle: {@link #builder()} → {@link Builder#build()} → {@link #start()} once → use → {@link #close()}.
 * {@code start()} returns only when clients can connect; {@code close()} stops the broker, releases both ports and
 * deletes the data folder, and may be called any number of times. Any thread may call the accessors and
 * {@code createTopics} while the broker runs.
 * Configured for exactly-once on one node: every internal topic has replication factor 1 and min ISR 1.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

    private static final String HOST = "127.0.0.1";
    private static final int NODE_ID = 1;
    private static final String BROKER_LISTENER = "PLAINTEXT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";

    /** Automatically chosen ports can be taken by another process between choosing and binding: try again, a few times. */
    private static final int START_ATTEMPTS_MAX = 3;
    private static final Duration POLL_INTERVAL = Duration.ofMillis(50);
    private static final Duration ADMIN_CALL_TIMEOUT_MAX = Duration.ofSeconds(5);

    /** Keys this class sets itself; overriding them would break the single-node layout, so builders may not. */
    private static final Set<String> MANAGED_KEYS = Set.of(
            "process.roles", "node.id", "controller.quorum.voters", "controller.quorum.bootstrap.servers",
            "controller.listener.names", "listeners", "advertised.listeners", "listener.security.protocol.map",
            "inter.broker.listener.name", "log.dirs", "log.dir", "metadata.log.dir", "server.max.startup.time.ms");

    private final int requestedPort;
    private final int requestedControllerPort;
    private final Path baseDir;
    private final Map<String, String> overrides;
    private final Duration startTimeout;
    private final Duration operationTimeout;
    private final Duration closeTimeout;

    private KafkaRaftServer server;
    private Admin admin;
    private Path tempDir;
    /** The folder kept across starts, or null for a temporary one. */
    private final Path persistentDir;
    private String clusterId;
    private int port;
    private int controllerPort;
    private boolean started;
    private boolean closed;
    /** Written last by start() and first by close(): the accessors may be called from any thread. */
    private volatile boolean running;

    private EmbeddedKafkaBroker(final Builder builder) {
        this.requestedPort = builder.port;
        this.requestedControllerPort = builder.controllerPort;
        this.baseDir = builder.baseDir;
        this.persistentDir = builder.dataDir;
        this.overrides = Map.copyOf(builder.overrides);
        this.startTimeout = builder.startTimeout;
        this.operationTimeout = builder.operationTimeout;
        this.closeTimeout = builder.closeTimeout;
    }

    /** A builder with free loopback ports, the system temporary folder and default timeouts. */
    public static Builder builder() {
        return new Builder();
    }

    /** Formats a fresh data folder and starts the broker; returns when a client can describe the cluster. */
    public synchronized EmbeddedKafkaBroker start() {
        if (started || closed) {
            throw new IllegalStateException("an EmbeddedKafkaBroker starts once; build a new one");
        }
        started = true;
        final long deadlineNanos = System.nanoTime() + startTimeout.toNanos();
        final boolean portsChosenHere = requestedPort == 0 || requestedControllerPort == 0;
        for (int attempt = 1; ; attempt++) {
            final int[] ports;
            try {
                // A requested port that is in use fails here, at once and without a retry.
                ports = choosePorts();
            } catch (final UncheckedIOException e) {
                closed = true;
                throw e;
            }
            try {
                startOnce(ports, deadlineNanos);
                running = true;
                log.info("Kafka broker {} ready at {} (data in {})", clusterId, bootstrapServers(), tempDir);
                return this;
            } catch (final RuntimeException e) {
                stopQuietly();
                final boolean retry = portsChosenHere && attempt < START_ATTEMPTS_MAX
                        && causedByBindFailure(e) && System.nanoTime() < deadlineNanos;
                if (!retry) {
                    closed = true;
                    throw e;
                }
                log.warn("port {} or {} was taken before the broker bound it; retrying with other ports",
                        port, controllerPort);
            }
        }
    }

    /** The {@code bootstrap.servers} value for clients of this broker; only after {@link #start()}. */
    public String bootstrapServers() {
        requireRunning();
        return HOST + ":" + port;
    }

    /** The port of the client (PLAINTEXT) listener; only after {@link #start()}. */
    public int port() {
        requireRunning();
        return port;
    }

    /** The port of the KRaft controller listener; only after {@link #start()}. */
    public int controllerPort() {
        requireRunning();
        return controllerPort;
    }

    /** The cluster id written when the data folder was formatted; only after {@link #start()}. */
    public String clusterId() {
        requireRunning();
        return clusterId;
    }

    /** The temporary folder holding all broker data, deleted by {@link #close()}; only after {@link #start()}. */
    public Path dataDir() {
        requireRunning();
        return tempDir;
    }

    /** Creates topics with replication factor 1 and the given partition counts; returns when every partition has a leader. */
    public void createTopics(final Map<String, Integer> partitionsByName) {
        Objects.requireNonNull(partitionsByName, "partitionsByName");
        final List<NewTopic> topics = new ArrayList<>(partitionsByName.size());
        partitionsByName.forEach((name, partitions) -> {
            if (partitions == null || partitions < 1) {
                throw new IllegalArgumentException("topic " + name + " needs at least one partition, got " + partitions);
            }
            topics.add(new NewTopic(name, partitions, (short) 1));
        });
        createTopics(topics);
    }

    /**
     * Creates the topics and returns when every partition of each has a leader, so producers do not race the metadata.
     *
     * <p>Fails if a topic already exists or a replication factor other than 1 (or the broker default) is asked for.
     */
    public void createTopics(final Collection<NewTopic> topics) {
        Objects.requireNonNull(topics, "topics");
        requireRunning();
        if (topics.isEmpty()) {
            return;
        }
        for (final NewTopic topic : topics) {
            if (topic.replicationFactor() > 1) {
                throw new IllegalArgumentException("a single broker cannot hold " + topic.replicationFactor()
                        + " replicas of " + topic.name());
            }
        }
        final long deadlineNanos = System.nanoTime() + operationTimeout.toNanos();
        final int timeoutMs = Math.max(1, remainingMs(deadlineNanos));
        await(admin.createTopics(topics, new CreateTopicsOptions().timeoutMs(timeoutMs)).all(), deadlineNanos,
                "create topics " + names(topics));
        awaitLeaders(topics, deadlineNanos);
    }

    /** Stops the broker, waits for it to finish, releases its ports and deletes its data folder; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        running = false;
        if (!started) {
            return;
        }
        final long startNanos = System.nanoTime();
        stopQuietly();
        log.info("Kafka broker {} stopped in {} ms", clusterId, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
    }

    private void startOnce(final int[] ports, final long deadlineNanos) {
        port = ports[0];
        controllerPort = ports[1];
        tempDir = persistentDir != null ? persistentDir : createTempDir();
        final Path dataDir = tempDir.resolve("kraft");
        final String formattedAs = formattedClusterId(dataDir);
        if (formattedAs != null) {
            clusterId = formattedAs;
        } else {
            clusterId = Uuid.randomUuid().toString();
            format(dataDir);
        }
        server = new KafkaRaftServer(new KafkaConfig(brokerProperties(dataDir, deadlineNanos), false), Time.SYSTEM);
        // Blocks until the controller has elected itself and the broker is unfenced, bounded by
        // server.max.startup.time.ms; a failure here leaves the half-started parts for stopQuietly().
        server.startup();
        admin = Admin.create(adminProperties());
        awaitClusterVisible(deadlineNanos);
    }

    private int[] choosePorts() {
        // Both sockets stay open until both ports are known, so the two cannot be the same port.
        try (ServerSocket brokerSocket = open(requestedPort); ServerSocket controllerSocket = open(requestedControllerPort)) {
            return new int[] {brokerSocket.getLocalPort(), controllerSocket.getLocalPort()};
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot bind " + HOST + " ports " + requestedPort + " and " + requestedControllerPort, e);
        }
    }

    private static ServerSocket open(final int requested) throws IOException {
        final ServerSocket socket = new ServerSocket();
        try {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), requested), 1);
            return socket;
        } catch (final IOException e) {
            socket.close();
            throw e;
        }
    }

    private Path createTempDir() {
        try {
            return baseDir == null
                    ? Files.createTempDirectory("bursar-kafka-")
                    : Files.createTempDirectory(Files.createDirectories(baseDir), "bursar-kafka-");
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create the broker's data folder", e);
        }
    }

    /** The cluster id of a data folder formatted before ({@code meta.properties}), or null for a new one. */
    private static String formattedClusterId(final Path dataDir) {
        final Path meta = dataDir.resolve("meta.properties");
        if (!Files.exists(meta)) {
            return null;
        }
        final Properties properties = new Properties();
        try (var reader = Files.newBufferedReader(meta)) {
            properties.load(reader);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read " + meta, e);
        }
        final String id = properties.getProperty("cluster.id");
        if (id == null || id.isBlank()) {
            throw new IllegalStateException(meta + " names no cluster.id");
        }
        return id;
    }

    private void format(final Path dataDir) {
        final Formatter formatter = new Formatter()
                // The formatter reports to stdout by default, which would clutter `bursar demo`.
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .setNodeId(NODE_ID)
                .setClusterId(clusterId)
                .setDirectories(List.of(dataDir.toString()))
                .setMetadataLogDirectory(dataDir.toString())
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .setControllerListenerName(CONTROLLER_LISTENER);
        try {
            formatter.run();
        } catch (final Exception e) {
            throw new IllegalStateException("cannot format KRaft storage in " + dataDir, e);
        }
    }

    private Map<String, String> brokerProperties(final Path dataDir, final long deadlineNanos) {
        final Map<String, String> props = new LinkedHashMap<>();
        props.put("process.roles", "broker,controller");
        props.put("node.id", Integer.toString(NODE_ID));
        props.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        props.put("controller.listener.names", CONTROLLER_LISTENER);
        props.put("listeners", BROKER_LISTENER + "://" + HOST + ":" + port + "," + CONTROLLER_LISTENER + "://" + HOST + ":" + controllerPort);
        props.put("advertised.listeners", BROKER_LISTENER + "://" + HOST + ":" + port);
        props.put("listener.security.protocol.map", BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        props.put("inter.broker.listener.name", BROKER_LISTENER);
        props.put("log.dirs", dataDir.toString());
        props.put("metadata.log.dir", dataDir.toString());
        // Kafka waits for the broker to be unfenced without a limit by default; ours is the start timeout.
        props.put("server.max.startup.time.ms", Long.toString(Math.max(1, remainingMs(deadlineNanos))));

        // One node: every internal topic must fit on one replica, or transactions and groups never start.
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "4");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", "4");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("share.coordinator.state.topic.num.partitions", "1");
        props.put("default.replication.factor", "1");
        props.put("min.insync.replicas", "1");
        props.put("num.partitions", "1");

        // Topics are declared by the application; a typo must fail rather than create a topic.
        props.put("auto.create.topics.enable", "false");
        // Nobody else will join a group here, so waiting for them only slows every Streams start.
        props.put("group.initial.rebalance.delay.ms", "0");

        // Sized for a laptop or a 2-core CI machine rather than a production host.
        props.put("num.network.threads", "2");
        props.put("num.io.threads", "4");
        props.put("background.threads", "2");
        props.put("log.cleaner.threads", "1");
        props.put("log.cleaner.dedupe.buffer.size", Integer.toString(8 * 1024 * 1024));
        props.put("log.index.size.max.bytes", Integer.toString(1024 * 1024));
        props.put("log.segment.bytes", Integer.toString(64 * 1024 * 1024));
        props.putAll(overrides);
        return props;
    }

    private Map<String, Object> adminProperties() {
        final Map<String, Object> props = new HashMap<>();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, HOST + ":" + port);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "bursar-embedded-kafka-admin");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) ADMIN_CALL_TIMEOUT_MAX.toMillis());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) operationTimeout.toMillis());
        return props;
    }

    private void awaitClusterVisible(final long deadlineNanos) {
        Exception last = null;
        while (System.nanoTime() < deadlineNanos) {
            final int callTimeoutMs = callTimeoutMs(deadlineNanos);
            try {
                final Collection<Node> nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs(callTimeoutMs))
                        .nodes().get(callTimeoutMs, TimeUnit.MILLISECONDS);
                if (nodes.stream().anyMatch(node -> node.id() == NODE_ID)) {
                    return;
                }
            } catch (final ExecutionException | TimeoutException e) {
                last = e;
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the broker", e);
            }
            sleep(POLL_INTERVAL);
        }
        throw new IllegalStateException("the broker did not accept clients within " + startTimeout, last);
    }

    private void awaitLeaders(final Collection<NewTopic> topics, final long deadlineNanos) {
        final List<String> names = names(topics);
        while (true) {
            final int callTimeoutMs = callTimeoutMs(deadlineNanos);
            try {
                final Map<String, TopicDescription> descriptions = admin
                        .describeTopics(names, new DescribeTopicsOptions().timeoutMs(callTimeoutMs))
                        .allTopicNames().get(callTimeoutMs, TimeUnit.MILLISECONDS);
                if (descriptions.values().stream().allMatch(EmbeddedKafkaBroker::allPartitionsLed)) {
                    return;
                }
            } catch (final ExecutionException | TimeoutException e) {
                // The broker may not have applied the new metadata yet: ask again until the deadline.
                if (System.nanoTime() >= deadlineNanos) {
                    throw new IllegalStateException("topics " + names + " got no leaders within " + operationTimeout, e);
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for topics " + names, e);
            }
            if (System.nanoTime() >= deadlineNanos) {
                throw new IllegalStateException("topics " + names + " got no leaders within " + operationTimeout);
            }
            sleep(POLL_INTERVAL);
        }
    }

    private static boolean allPartitionsLed(final TopicDescription description) {
        return description.partitions().stream()
                .map(TopicPartitionInfo::leader)
                .allMatch(leader -> leader != null && !leader.isEmpty());
    }

    private static <T> void await(final KafkaFuture<T> future, final long deadlineNanos,
                                  final String what) {
        try {
            future.get(Math.max(1, remainingMs(deadlineNanos)), TimeUnit.MILLISECONDS);
        } catch (final ExecutionException e) {
            throw new IllegalStateException("cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (final TimeoutException e) {
            throw new IllegalStateException("cannot " + what + " within the time allowed", e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while trying to " + what, e);
        }
    }

    /** Closes the admin client, stops the server within the close timeout and deletes the data folder; never throws. */
    private void stopQuietly() {
        if (admin != null) {
            try {
                admin.close(ADMIN_CALL_TIMEOUT_MAX);
            } catch (final RuntimeException e) {
                log.warn("closing the admin client failed", e);
            }
            admin = null;
        }
        if (server != null) {
            stopServer(server);
            server = null;
        }
        if (tempDir != null && persistentDir == null) {
            deleteRecursively(tempDir);
        }
    }

    private void stopServer(final KafkaRaftServer toStop) {
        // Shutdown has no limit of its own; a separate thread lets close() give up after closeTimeout
        // instead of hanging the demo or a test run forever.
        final Thread stopper = new Thread(() -> {
            try {
                toStop.shutdown();
                toStop.awaitShutdown();
            } catch (final RuntimeException e) {
                log.warn("the broker failed while shutting down", e);
            }
        }, "embedded-kafka-shutdown");
        stopper.setDaemon(true);
        stopper.start();
        try {
            stopper.join(closeTimeout.toMillis());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (stopper.isAlive()) {
            log.warn("the broker did not stop within {}; its ports may stay bound until the JVM exits", closeTimeout);
        }
    }

    private static void deleteRecursively(final Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(final Path file, final IOException e) throws IOException {
                    // A file the broker removed between listing and visiting is already where we want it.
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw e;
                }

                @Override
                public FileVisitResult postVisitDirectory(final Path dir, final IOException e) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (final NoSuchFileException e) {
            // Already gone.
        } catch (final IOException e) {
            log.warn("cannot delete the broker's data folder {}", root, e);
        }
    }

    private static boolean causedByBindFailure(final Throwable error) {
        // Bounded: a cause chain can loop back on itself.
        Throwable cause = error;
        for (int depth = 0; cause != null && depth < 32; depth++, cause = cause.getCause()) {
            if (cause instanceof BindException) {
                return true;
            }
        }
        return false;
    }

    private static List<String> names(final Collection<NewTopic> topics) {
        return topics.stream().map(NewTopic::name).toList();
    }

    private static int callTimeoutMs(final long deadlineNanos) {
        return (int) Math.max(1, Math.min(ADMIN_CALL_TIMEOUT_MAX.toMillis(), remainingMs(deadlineNanos)));
    }

    private static int remainingMs(final long deadlineNanos) {
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime())));
    }

    private static void sleep(final Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the broker", e);
        }
    }

    private void requireRunning() {
        if (!running) {
            throw new IllegalStateException("the broker is not running: call start() first, and not after close()");
        }
    }

    /** Settings of an {@link EmbeddedKafkaBroker}; every setting has a default that suits tests. */
    public static final class Builder {

        private int port;
        private int controllerPort;
        private Path baseDir;
        private Path dataDir;
        private final Map<String, String> overrides = new LinkedHashMap<>();
        private Duration startTimeout = Duration.ofSeconds(60);
        private Duration operationTimeout = Duration.ofSeconds(30);
        private Duration closeTimeout = Duration.ofSeconds(30);

        private Builder() {
        }

        /** The client listener's port on 127.0.0.1; 0 (the default) picks a free one. */
        public Builder port(final int port) {
            this.port = requirePort(port);
            return this;
        }

        /** The controller listener's port on 127.0.0.1; 0 (the default) picks a free one. */
        public Builder controllerPort(final int controllerPort) {
            this.controllerPort = requirePort(controllerPort);
            return this;
        }

        /** The folder under which the temporary data folder is made; by default the system temporary folder. */
        public Builder baseDir(final Path baseDir) {
            this.baseDir = Objects.requireNonNull(baseDir, "baseDir");
            return this;
        }

        /**
         * A data folder that outlives the broker: formatted on the first start, reused with its cluster id and
         * data on every later one, and kept on {@link #close()}, so a broker can be stopped (or killed) and
         * started again on the same data. Without it, each broker has a temporary folder of its own.
         */
        public Builder dataDir(final Path dataDir) {
            this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
            return this;
        }

        /** Sets a broker configuration key, e.g. {@code log.retention.ms}; the listener, node and folder keys are fixed. */
        public Builder config(final String key, final String value) {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            if (MANAGED_KEYS.contains(key)) {
                throw new IllegalArgumentException(key + " is set by EmbeddedKafkaBroker itself");
            }
            overrides.put(key, value);
            return this;
        }

        /** How long {@link EmbeddedKafkaBroker#start()} may take before it fails; default 60 s. */
        public Builder startTimeout(final Duration startTimeout) {
            this.startTimeout = requirePositive(startTimeout, "startTimeout");
            return this;
        }

        /** How long one admin operation such as {@code createTopics} may take; default 30 s. */
        public Builder operationTimeout(final Duration operationTimeout) {
            this.operationTimeout = requirePositive(operationTimeout, "operationTimeout");
            return this;
        }

        /** How long {@link EmbeddedKafkaBroker#close()} waits for the broker to stop; default 30 s. */
        public Builder closeTimeout(final Duration closeTimeout) {
            this.closeTimeout = requirePositive(closeTimeout, "closeTimeout");
            return this;
        }

        /** A broker with these settings, not yet started. */
        public EmbeddedKafkaBroker build() {
            if (port != 0 && port == controllerPort) {
                throw new IllegalArgumentException("the client and controller listeners need different ports, both are " + port);
            }
            return new EmbeddedKafkaBroker(this);
        }

        private static int requirePort(final int port) {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port must be 0..65535, got " + port);
            }
            return port;
        }

        private static Duration requirePositive(final Duration duration, final String name) {
            Objects.requireNonNull(duration, name);
            if (duration.isNegative() || duration.isZero() || duration.compareTo(Duration.ofDays(1)) > 0) {
                throw new IllegalArgumentException(name + " must be positive and at most a day, got " + duration);
            }
            return duration;
        }
    }
}
