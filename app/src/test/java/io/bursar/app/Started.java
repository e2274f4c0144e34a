package io.bursar.app;

import io.bursar.app.kafka.EmbeddedKafkaBroker;
import io.bursar.gateway.ApiKeys;
import io.bursar.gateway.GatewayConfig;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * What a test started (broker, simulator, nodes), stopped in reverse order after it: each one even when an
 * earlier one fails to stop, so no process a test started outlives it.
 */
final class Started implements AutoCloseable {

    private final Deque<AutoCloseable> resources = new ArrayDeque<>();

    /** Remembers {@code resource} for {@link #close()} and returns it. */
    <T extends AutoCloseable> T track(final T resource) {
        resources.push(resource);
        return resource;
    }

    /**
     * One instance on {@code broker} (in-memory registry, its own state folder, a free port, {@code adminKey} as its
     * admin key, and {@code settings} on top), tracked and RUNNING.
     */
    BursarNode node(final EmbeddedKafkaBroker broker, final String applicationId, final String adminKey,
                    final Map<String, String> settings) throws Exception {
        final Map<String, String> all = new HashMap<>(Map.of(
                BursarConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers(),
                BursarConfig.SCHEMA_REGISTRY_URL, "mock://" + applicationId,
                BursarConfig.APPLICATION_ID, applicationId,
                BursarConfig.STATE_DIR, Files.createTempDirectory("bursar-" + applicationId).toString(),
                GatewayConfig.HTTP_PORT, "0",
                GatewayConfig.AUTH_API_KEYS, ApiKeys.sha256Hex(adminKey) + ":admin"));
        all.putAll(settings);
        final BursarNode node = track(BursarNode.start(new BursarConfig(all)));
        node.awaitRunning(Duration.ofSeconds(60));
        return node;
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
