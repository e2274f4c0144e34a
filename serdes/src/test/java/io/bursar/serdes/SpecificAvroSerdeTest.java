// Round trips, wire format and registration behaviour of the Avro serde on the in-memory registry.
package io.bursar.serdes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SpecificAvroSerdeTest {

    private static final String SCOPE = "serde-test";
    private static final Map<String, Object> CONFIG = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://" + SCOPE);

    @AfterEach
    void dropRegistry() {
        InMemorySchemaRegistry.dropScope(SCOPE);
    }

    @Test
    void roundTripsACommandOfEveryPayloadBranch() {
        final SpecificAvroSerde<PaymentCommand> serde = SpecificAvroSerde.configured(PaymentCommand.class, CONFIG, false);
        for (final PaymentCommand command : PaymentSamples.commandOfEveryPayload()) {
            final byte[] bytes = serde.serializer().serialize("payment-commands", command);
            final PaymentCommand read = serde.deserializer().deserialize("payment-commands", bytes);
            assertThat(read).isEqualTo(command);
            assertThat(read.getPayload()).isExactlyInstanceOf(command.getPayload().getClass());
        }
    }

    @Test
    void roundTripsEventsWithAndWithoutOptionalFields() {
        final SpecificAvroSerde<PaymentEvent> serde = SpecificAvroSerde.configured(PaymentEvent.class, CONFIG, false);
        for (final PaymentEvent event : List.of(PaymentSamples.acceptedHoldEvent(), PaymentSamples.rejectedDebitEvent())) {
            final byte[] bytes = serde.serializer().serialize("payment-events", event);
            assertThat(serde.deserializer().deserialize("payment-events", bytes)).isEqualTo(event);
        }
    }

    @Test
    void writesMagicByteThenTheBigEndianIdRegisteredUnderTheValueSubject() {
        final InMemorySchemaRegistry registry = InMemorySchemaRegistry.forScope(SCOPE);
        // Take id 1 with another schema so that the id in the header is not trivially 1.
        registry.register("other-value", PaymentEvent.getClassSchema());
        final SpecificAvroSerde<PaymentCommand> serde = SpecificAvroSerde.configured(PaymentCommand.class, CONFIG, false);

        final byte[] bytes = serde.serializer().serialize("payment-commands", PaymentSamples.commandOfEveryPayload().get(0));

        final int registeredId = registry.lookup("payment-commands-value", PaymentCommand.getClassSchema());
        assertThat(registeredId).isEqualTo(2);
        assertThat(bytes[0]).isZero();
        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(registeredId);
        assertThat(registry.latestVersion("payment-commands-value").version()).isEqualTo(1);
    }

    @Test
    void keySerdesRegisterUnderTheKeySubject() {
        final InMemorySchemaRegistry registry = InMemorySchemaRegistry.forScope(SCOPE);
        final SpecificAvroSerde<PaymentCommand> serde = SpecificAvroSerde.configured(PaymentCommand.class, CONFIG, true);

        serde.serializer().serialize("payment-commands", PaymentSamples.commandOfEveryPayload().get(0));

        assertThat(registry.latestVersion("payment-commands-key").schema()).isEqualTo(PaymentCommand.getClassSchema());
        assertThatThrownBy(() -> registry.latestVersion("payment-commands-value"))
                .isInstanceOf(SchemaRegistryException.class);
    }

    @Test
    void nullIsATombstoneBothWays() {
        final SpecificAvroSerde<PaymentCommand> serde = SpecificAvroSerde.configured(PaymentCommand.class, CONFIG, false);
        assertThat(serde.serializer().serialize("payment-commands", null)).isNull();
        assertThat(serde.deserializer().deserialize("payment-commands", null)).isNull();
    }

    @Test
    void serdesOfTheSameScopeShareOneRegistry() {
        final SpecificAvroSerde<PaymentCommand> writer = SpecificAvroSerde.configured(PaymentCommand.class, CONFIG, false);
        final SpecificAvroSerde<PaymentCommand> reader = new SpecificAvroSerde<>(PaymentCommand.class);
        reader.configure(CONFIG, false);
        final PaymentCommand command = PaymentSamples.commandOfEveryPayload().get(2);

        assertThat(reader.deserializer().deserialize("t", writer.serializer().serialize("t", command))).isEqualTo(command);
    }

    @Test
    void factoryTakesAClientDirectly() {
        final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
        final SpecificAvroSerde<PaymentEvent> serde = SpecificAvroSerde.of(PaymentEvent.class, registry, false);
        final PaymentEvent event = PaymentSamples.acceptedHoldEvent();

        assertThat(serde.deserializer().deserialize("e", serde.serializer().serialize("e", event))).isEqualTo(event);
        assertThat(registry.lookup("e-value", PaymentEvent.getClassSchema())).isPositive();
    }

    @Test
    void withoutAutoRegisterAnUnregisteredSchemaCannotBeWritten() {
        final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
        final SpecificAvroSerde<PaymentCommand> serde = SpecificAvroSerde.of(PaymentCommand.class, registry, false, false);
        final PaymentCommand command = PaymentSamples.commandOfEveryPayload().get(0);
        // Registered, but under another subject: subjects are per topic.
        registry.register("other-topic-value", PaymentCommand.getClassSchema());

        assertThatThrownBy(() -> serde.serializer().serialize("payment-commands", command))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("payment-commands-value")
                .hasMessageContaining("auto.register.schemas=false")
                .hasCauseInstanceOf(SchemaRegistryException.class);
        assertThatThrownBy(() -> registry.latestVersion("payment-commands-value"))
                .isInstanceOf(SchemaRegistryException.class);
    }

    @Test
    void withoutAutoRegisterARegisteredSchemaIsUsed() {
        final InMemorySchemaRegistry registry = InMemorySchemaRegistry.forScope(SCOPE);
        final int id = registry.register("payment-commands-value", PaymentCommand.getClassSchema());
        final Map<String, Object> config = Map.of(
                AvroSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://" + SCOPE,
                AvroSerdeConfig.AUTO_REGISTER_SCHEMAS_CONFIG, "false");
        final SpecificAvroSerde<PaymentCommand> serde = SpecificAvroSerde.configured(PaymentCommand.class, config, false);
        final PaymentCommand command = PaymentSamples.commandOfEveryPayload().get(1);

        final byte[] bytes = serde.serializer().serialize("payment-commands", command);

        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(id);
        assertThat(serde.deserializer().deserialize("payment-commands", bytes)).isEqualTo(command);
        assertThat(registry.latestVersion("payment-commands-value").version()).isEqualTo(1);
    }

    @Test
    void reconfiguringForAnotherRegistryForgetsTheIdsOfThePreviousOne() {
        final String otherScope = "serde-test-other";
        try {
            // In the other registry id 1 is Money, not PaymentCommand.
            InMemorySchemaRegistry.forScope(otherScope).register("money-value", Money.getClassSchema());
            final SpecificAvroSerde<PaymentCommand> serde = SpecificAvroSerde.configured(PaymentCommand.class, CONFIG, false);
            final byte[] bytes = serde.serializer().serialize("payment-commands", PaymentSamples.commandOfEveryPayload().get(0));
            assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(1);
            assertThat(serde.deserializer().deserialize("payment-commands", bytes)).isNotNull();

            serde.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://" + otherScope), false);

            assertThatThrownBy(() -> serde.deserializer().deserialize("payment-commands", bytes))
                    .isInstanceOf(SerializationException.class);
        } finally {
            InMemorySchemaRegistry.dropScope(otherScope);
        }
    }

    @Test
    void configurationRequiresTheRegistryUrl() {
        final SpecificAvroSerde<PaymentCommand> serde = new SpecificAvroSerde<>(PaymentCommand.class);
        assertThatThrownBy(() -> serde.configure(Map.of(), false))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(AvroSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG);
        assertThatThrownBy(() -> serde.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, ""), false))
                .isInstanceOf(ConfigException.class);
    }

    @Test
    void configurationDefaultsToAutoRegister() {
        final AvroSerdeConfig config = new AvroSerdeConfig(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, " mock://x "));
        assertThat(config.autoRegisterSchemas()).isTrue();
        assertThat(config.schemaRegistryUrl()).isEqualTo("mock://x");
    }

    @Test
    void unconfiguredSerdeFailsFast() {
        final SpecificAvroSerde<PaymentCommand> serde = new SpecificAvroSerde<>(PaymentCommand.class);
        final PaymentCommand command = PaymentSamples.commandOfEveryPayload().get(0);
        assertThatThrownBy(() -> serde.serializer().serialize("t", command)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", new byte[] {0, 0, 0, 0, 1}))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aRecordBreakingItsSchemaIsASerializationException() {
        final SpecificAvroSerde<PaymentCommand> serde = SpecificAvroSerde.configured(PaymentCommand.class, CONFIG, false);
        final PaymentCommand broken = PaymentSamples.commandOfEveryPayload().get(0);
        broken.setPartnerId(null);

        assertThatThrownBy(() -> serde.serializer().serialize("payment-commands", broken))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining(PaymentCommand.class.getName());
    }

    @Test
    void aSerializerWithoutTopicCannotChooseASubject() {
        final SpecificAvroSerde<PaymentCommand> serde = SpecificAvroSerde.configured(PaymentCommand.class, CONFIG, false);
        assertThatThrownBy(() -> serde.serializer().serialize(null, PaymentSamples.commandOfEveryPayload().get(0)))
                .isInstanceOf(SerializationException.class);
    }

    @Test
    void oneSerdeIsSafeToShareBetweenThreads() throws Exception {
        // Kafka Streams hands one serde instance to every stream thread.
        final SpecificAvroSerde<PaymentCommand> serde = SpecificAvroSerde.configured(PaymentCommand.class, CONFIG, false);
        final List<PaymentCommand> commands = PaymentSamples.commandOfEveryPayload();
        final int threads = 4;
        final int roundsPerThread = 2_000;
        final ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            final List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    int equal = 0;
                    for (int i = 0; i < roundsPerThread; i++) {
                        final PaymentCommand command = commands.get(i % commands.size());
                        final byte[] bytes = serde.serializer().serialize("payment-commands", command);
                        equal += serde.deserializer().deserialize("payment-commands", bytes).equals(command) ? 1 : 0;
                    }
                    return equal;
                }));
            }
            for (final Future<Integer> result : results) {
                assertThat(result.get(30, TimeUnit.SECONDS)).isEqualTo(roundsPerThread);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
