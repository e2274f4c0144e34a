package io.bursar.app;

import io.bursar.app.kafka.EmbeddedKafkaBroker;
import io.bursar.gateway.ApiKeys;
import io.bursar.gateway.GatewayConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What a test started (broker, simulator, nodes), stopped in reverse order after it: each one even when an
 * earlier one fails to stop, so no process a test started outlives it. Registered as an extension
 * ({@code @RegisterExtension}), it stops them after each test by itself.
 */
final class Started implements AutoCloseable, AfterEachCallback {

    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private final String adminKey = ApiKeys.newKey();

    /** Remembers {@code resource} for {@link #close()} and returns it. */
    <T extends AutoCloseable> T track(final T resource) {
        resources.push(resource);
        return resource;
    }

    /** The admin key of the instances {@link #node(EmbeddedKafkaBroker, String, Map)} starts. */
    String adminKey() {
        return adminKey;
    }

    /** A broker with the default settings, started and tracked. */
    EmbeddedKafkaBroker broker() {
        return track(EmbeddedKafkaBroker.builder().build().start());
    }

    /**
     * The settings of one instance on {@code broker}, to add to: an in-memory registry and a state folder of its
     * own (both named after {@code applicationId}), a free port, and {@code adminKey} as its admin key.
     */
    static Map<String, String> settings(final EmbeddedKafkaBroker broker, final String applicationId,
                                        final String adminKey) throws IOException {
        return new HashMap<>(Map.of(
                BursarConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers(),
                BursarConfig.SCHEMA_REGISTRY_URL, "mock://" + applicationId,
                BursarConfig.APPLICATION_ID, applicationId,
                BursarConfig.STATE_DIR, Files.createTempDirectory("bursar-" + applicationId).toString(),
                GatewayConfig.HTTP_PORT, "0",
                GatewayConfig.AUTH_API_KEYS, ApiKeys.sha256Hex(adminKey) + ":admin"));
    }

    /** The configuration of one instance on {@code broker}: its {@link #settings} with {@code extra} on top. */
    static BursarConfig config(final EmbeddedKafkaBroker broker, final String applicationId, final String adminKey,
                               final Map<String, String> extra) throws IOException {
        final Map<String, String> all = settings(broker, applicationId, adminKey);
        all.putAll(extra);
        return new BursarConfig(all);
    }

    /**
     * One instance on {@code broker} with {@link #adminKey()} as its admin key (see {@link #config}, with
     * {@code settings} on top), tracked and RUNNING.
     */
    BursarNode node(final EmbeddedKafkaBroker broker, final String applicationId, final Map<String, String> settings)
            throws Exception {
        return node(config(broker, applicationId, adminKey, settings));
    }

    /** One instance of {@code config}, tracked and RUNNING. */
    BursarNode node(final BursarConfig config) throws InterruptedException {
        final BursarNode node = track(BursarNode.start(config));
        node.awaitRunning(Duration.ofSeconds(60));
        return node;
    }

    @Override
    public void afterEach(final ExtensionContext context) {
        close();
    }

    @Override
    public void close() {
        while (!resources.isEmpty()) {
            try {
                resources.pop().close();
            } catch (final Exception e) {
                System.err.println("while stopping: " + e);
            }
        }
    }
}
