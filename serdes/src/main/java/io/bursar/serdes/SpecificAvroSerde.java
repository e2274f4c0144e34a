// The serde Bursar's topics and state stores use for generated Avro records.
package io.bursar.serdes;

import java.util.Map;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Pairs a {@link SpecificAvroSerializer} and a {@link SpecificAvroDeserializer} of {@code T}.
 *
 * <p>Either {@code new SpecificAvroSerde<>(PaymentCommand.class)} then {@link #configure} (what
 * Kafka does with {@link AvroSerdeConfig} keys), or one of the factories, which return a serde ready
 * to use. {@link #configure} always reconfigures from the map, also after a factory.
 */
public final class SpecificAvroSerde<T extends SpecificRecord> implements Serde<T> {

    private final SpecificAvroSerializer<T> serializer;
    private final SpecificAvroDeserializer<T> deserializer;

    /** An unconfigured serde of {@code type}; call {@link #configure} before use. */
    public SpecificAvroSerde(final Class<T> type) {
        this.serializer = new SpecificAvroSerializer<>();
        this.deserializer = new SpecificAvroDeserializer<>(type);
    }

    private SpecificAvroSerde(final Class<T> type, final SchemaRegistryClient client, final boolean isKey,
                              final boolean autoRegister) {
        this.serializer = new SpecificAvroSerializer<>(client, isKey, autoRegister);
        this.deserializer = new SpecificAvroDeserializer<>(type, client);
    }

    /** A serde of {@code type} on {@code client} that registers schemas on first use. */
    public static <T extends SpecificRecord> SpecificAvroSerde<T> of(final Class<T> type,
                                                                     final SchemaRegistryClient client,
                                                                     final boolean isKey) {
        return of(type, client, isKey, AvroSerdeConfig.AUTO_REGISTER_SCHEMAS_DEFAULT);
    }

    /** A serde of {@code type} on {@code client}; with {@code autoRegister} false, schemas must be registered. */
    public static <T extends SpecificRecord> SpecificAvroSerde<T> of(final Class<T> type,
                                                                     final SchemaRegistryClient client,
                                                                     final boolean isKey,
                                                                     final boolean autoRegister) {
        return new SpecificAvroSerde<>(Objects.requireNonNull(type, "type"), Objects.requireNonNull(client, "client"),
                isKey, autoRegister);
    }

    /** A serde of {@code type} configured from {@code configs} ({@link AvroSerdeConfig} keys). */
    public static <T extends SpecificRecord> SpecificAvroSerde<T> configured(final Class<T> type,
                                                                             final Map<String, ?> configs,
                                                                             final boolean isKey) {
        final SpecificAvroSerde<T> serde = new SpecificAvroSerde<>(type);
        serde.configure(configs, isKey);
        return serde;
    }

    @Override
    public void configure(final Map<String, ?> configs, final boolean isKey) {
        serializer.configure(configs, isKey);
        deserializer.configure(configs, isKey);
    }

    @Override
    public Serializer<T> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<T> deserializer() {
        return deserializer;
    }
}
