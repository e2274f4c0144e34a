// The Avro serdes' configuration keys, each declared once with its type, default and documentation.
package io.bursar.serdes;

import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.NonEmptyString;
import org.apache.kafka.common.config.ConfigDef.Type;

/** Typed view of the serde settings found in the map Kafka passes to {@code configure}. */
public final class AvroSerdeConfig extends AbstractConfig {

    /** Base URL of the registry's Confluent-compatible API, or {@code mock://<scope>} for the in-memory one. */
    public static final String SCHEMA_REGISTRY_URL_CONFIG = "schema.registry.url";
    private static final String SCHEMA_REGISTRY_URL_DOC = "Base URL of a Confluent-compatible schema registry API"
            + " (for Apicurio: http://host:port/apis/ccompat/v7). " + SchemaRegistryClients.MOCK_URL_PREFIX
            + "<scope> selects an in-memory registry shared by every serde of this JVM that names the same scope.";

    /** Whether serializers register the record's schema themselves. */
    public static final String AUTO_REGISTER_SCHEMAS_CONFIG = "auto.register.schemas";
    /** Registering on first use keeps development and tests free of a separate registration step. */
    public static final boolean AUTO_REGISTER_SCHEMAS_DEFAULT = true;
    private static final String AUTO_REGISTER_SCHEMAS_DOC = "When true, a serializer registers the schema of the"
            + " records it writes under <topic>-key or <topic>-value. When false, the schema must already be"
            + " registered there (by the build or an operator); writing a record whose schema is not fails.";

    /** Every key with its type, default, validation and documentation; docs are generated from it. */
    public static final ConfigDef CONFIG_DEF = new ConfigDef()
            .define(SCHEMA_REGISTRY_URL_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new NonEmptyString(),
                    Importance.HIGH, SCHEMA_REGISTRY_URL_DOC)
            .define(AUTO_REGISTER_SCHEMAS_CONFIG, Type.BOOLEAN, AUTO_REGISTER_SCHEMAS_DEFAULT,
                    Importance.MEDIUM, AUTO_REGISTER_SCHEMAS_DOC);

    /** Parses and validates {@code props}; keys it does not know (all of Kafka's own) are ignored. */
    public AvroSerdeConfig(final Map<String, ?> props) {
        // No logging: Kafka hands every serde the whole client config, which would be logged once per serde.
        super(CONFIG_DEF, props, false);
    }

    /** The registry URL, trimmed. */
    public String schemaRegistryUrl() {
        return getString(SCHEMA_REGISTRY_URL_CONFIG).trim();
    }

    /** Whether serializers register schemas themselves. */
    public boolean autoRegisterSchemas() {
        return getBoolean(AUTO_REGISTER_SCHEMAS_CONFIG);
    }
}
