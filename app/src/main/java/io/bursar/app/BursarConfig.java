package io.bursar.app;

import io.bursar.connectors.ProviderConnectors;
import io.bursar.connectors.ProviderSetting;
import io.bursar.gateway.GatewayConfig;
import io.bursar.topology.dispatch.ProviderDispatchConfig;
import io.bursar.topology.orders.OrderTopologyConfig;
import io.bursar.topology.payments.PartnerTopologyConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * Settings of one Bursar instance: each key declared once with type, default, unit and validation,
 * and turned into typed values here. Keys prefixed {@code kafka.} go, without the prefix, to every
 * Kafka client (security settings, for example).
 */
public final class BursarConfig extends AbstractConfig {

    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String APPLICATION_ID = "application.id";
    public static final String STATE_DIR = "state.dir";
    public static final String TOPIC_PARTITIONS = "topics.partitions";
    public static final String TOPICS_CREATE = "topics.create";
    public static final String STANDBY_REPLICAS = "streams.num.standby.replicas";
    public static final String FORWARD_TIMEOUT_MS = "reads.forward.timeout.ms";
    public static final String REBALANCE_WAIT_MS = "reads.rebalance.wait.ms";
    public static final String STARTUP_TIMEOUT_MS = "startup.timeout.ms";
    public static final String KAFKA_CLIENT_PREFIX = "kafka.";

    /** Bursar's own keys plus those of the topology and the gateway, each declared once where it is used. */
    public static final ConfigDef DEFINITION = withKeysOf(OrderTopologyConfig.DEFINITION, withKeysOf(ProviderDispatchConfig.DEFINITION,
            withKeysOf(GatewayConfig.DEFINITION, new ConfigDef(PartnerTopologyConfig.DEFINITION)
            .define(BOOTSTRAP_SERVERS, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
                    Importance.HIGH, "Kafka bootstrap servers, host:port[,host:port...].")
            .define(SCHEMA_REGISTRY_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
                    Importance.HIGH, "Schema registry base URL speaking the Confluent REST API "
                            + "(for Apicurio: http://host:port/apis/ccompat/v7).")
            .define(APPLICATION_ID, Type.STRING, "bursar", new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Kafka Streams application id: consumer group, and prefix of internal topics.")
            .define(STATE_DIR, Type.STRING, Path.of(System.getProperty("java.io.tmpdir"), "bursar-state").toString(),
                    Importance.MEDIUM, "Directory of the RocksDB state stores.")
            .define(TOPIC_PARTITIONS, Type.INT, 4, Range.between(1, 1_024), Importance.MEDIUM,
                    "Partitions of the command and event topics when Bursar creates them.")
            .define(STARTUP_TIMEOUT_MS, Type.LONG, 30_000L, Range.between(1_000L, 600_000L), Importance.MEDIUM,
                    "How long, in ms, an instance waits at start for the schema registry (schema.registry.url) and "
                            + "Kafka (bootstrap.servers) to answer before it stops, saying which did not answer.")
            .define(TOPICS_CREATE, Type.BOOLEAN, true, Importance.LOW,
                    "Create missing topics at start-up.")
            .define(STANDBY_REPLICAS, Type.INT, 1, Range.between(0, 3), Importance.MEDIUM,
                    "Standby replicas of every state store on other instances: faster failover, and reads "
                            + "answered (with their lag) when the owner cannot be reached.")
            .define(FORWARD_TIMEOUT_MS, Type.LONG, 2_000L, Range.between(50L, 30_000L), Importance.LOW,
                    "How long, in ms, a read forwarded to the instance owning the key may take.")
            .define(REBALANCE_WAIT_MS, Type.LONG, 3_000L, Range.between(0L, 60_000L), Importance.LOW,
                    "How long, in ms, a read retries while no owner of its key is known (rebalancing) "
                            + "before answering 503 with Retry-After."))));

    private static ConfigDef withKeysOf(final ConfigDef other, final ConfigDef into) {
        other.configKeys().values().forEach(into::define);
        return into;
    }

    public BursarConfig(final Map<?, ?> originals) {
        super(DEFINITION, originals, false);
    }

    /** Settings shared by every Kafka client: bootstrap servers plus the {@code kafka.*} pass-through. */
    public Map<String, Object> kafkaClientConfig() {
        final Map<String, Object> config = new HashMap<>(originalsWithPrefix(KAFKA_CLIENT_PREFIX));
        config.put(BOOTSTRAP_SERVERS, getString(BOOTSTRAP_SERVERS));
        return config;
    }

    /** Settings of the Avro serdes. */
    public Map<String, Object> serdeConfig() {
        return Map.of(SCHEMA_REGISTRY_URL, getString(SCHEMA_REGISTRY_URL));
    }

    public PartnerTopologyConfig paymentTopology() {
        return new PartnerTopologyConfig(originals());
    }

    public OrderTopologyConfig orderTopology() {
        return new OrderTopologyConfig(originals());
    }

    public ProviderDispatchConfig dispatch() {
        return new ProviderDispatchConfig(originals());
    }

    /** The {@code providers.<id>.*} blocks (docs/configuration.md, Providers) as connectors; the caller closes them. */
    public ProviderConnectors providers() {
        final Map<String, String> properties = new TreeMap<>();
        originals().forEach((key, value) -> {
            if (key.startsWith(ProviderSetting.PREFIX)) {
                properties.put(key, String.valueOf(value));
            }
        });
        return ProviderConnectors.fromProperties(properties);
    }

    public GatewayConfig gateway() {
        return new GatewayConfig(originals());
    }
}
