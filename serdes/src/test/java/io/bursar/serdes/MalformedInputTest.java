// Every kind of bad input to the deserializer is a SerializationException, which Kafka Streams can dead-letter.
package io.bursar.serdes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.PaymentCommand;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MalformedInputTest {

    private static final String TOPIC = "payment-commands";

    private InMemorySchemaRegistry registry;
    private SpecificAvroSerializer<PaymentCommand> serializer;
    private SpecificAvroDeserializer<PaymentCommand> deserializer;
    private byte[] valid;

    @BeforeEach
    void setUp() {
        registry = new InMemorySchemaRegistry();
        serializer = new SpecificAvroSerializer<>(registry, false, true);
        deserializer = new SpecificAvroDeserializer<>(PaymentCommand.class, registry);
        valid = serializer.serialize(TOPIC, PaymentSamples.commandOfEveryPayload().get(2));
    }

    @Test
    void inputShorterThanTheHeader() {
        for (int length = 0; length < ConfluentWireFormat.HEADER_BYTES; length++) {
            final byte[] shortInput = Arrays.copyOf(valid, length);
            assertThatThrownBy(() -> deserializer.deserialize(TOPIC, shortInput))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageContaining(length + " bytes");
        }
    }

    @Test
    void aMagicByteOtherThanZero() {
        final byte[] json = "{\"commandId\":\"c-1\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThatThrownBy(() -> deserializer.deserialize(TOPIC, json))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("magic byte 0x7b");
    }

    @Test
    void anUnknownSchemaId() {
        final byte[] unknownId = valid.clone();
        unknownId[1] = 0x7f;
        assertThatThrownBy(() -> deserializer.deserialize(TOPIC, unknownId))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("schema id " + (0x7f000000 + 1))
                .hasCauseInstanceOf(SchemaRegistryException.class);
    }

    @Test
    void everyTruncationOfAValidRecord() {
        for (int length = ConfluentWireFormat.HEADER_BYTES; length < valid.length; length++) {
            final byte[] truncated = Arrays.copyOf(valid, length);
            assertThatThrownBy(() -> deserializer.deserialize(TOPIC, truncated))
                    .as("truncated to %d of %d bytes", length, valid.length)
                    .isInstanceOf(SerializationException.class);
        }
    }

    @Test
    void bytesLeftAfterACompleteRecord() {
        final byte[] trailing = Arrays.copyOf(valid, valid.length + 3);
        assertThatThrownBy(() -> deserializer.deserialize(TOPIC, trailing))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("bytes left");
    }

    @Test
    void aStringLengthFarBeyondTheInput() {
        // A corrupt length must fail on the missing bytes, not allocate a buffer of that size first.
        for (final long declaredLength : new long[] {100_000_000L, Integer.MAX_VALUE, -1L}) {
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            ConfluentWireFormat.writeHeader(out, registry.lookup(TOPIC + "-value", PaymentCommand.getClassSchema()));
            writeZigZagVarint(out, declaredLength);
            out.write('c');
            assertThatThrownBy(() -> deserializer.deserialize(TOPIC, out.toByteArray()))
                    .as("declared length %d", declaredLength)
                    .isInstanceOf(SerializationException.class);
        }
    }

    @Test
    void aWriterSchemaThatCannotBeReadAsTheClass() {
        // Valid Avro of another record: resolution finds PaymentCommand's required fields missing.
        final int moneyId = registry.register("money-value", Money.getClassSchema());
        final byte[] money = new SpecificAvroSerializer<Money>(registry, false, true)
                .serialize("money", PaymentSamples.eur(5));
        assertThat(money[4]).isEqualTo((byte) moneyId);

        assertThatThrownBy(() -> deserializer.deserialize(TOPIC, money))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining(PaymentCommand.class.getName());
    }

    @Test
    void randomBodiesNeverEscapeAsAnotherException() {
        // Random bytes sometimes decode to some command; anything else must be a SerializationException.
        final Random random = new Random(42);
        int rejected = 0;
        for (int i = 0; i < 2_000; i++) {
            final byte[] body = new byte[1 + random.nextInt(64)];
            random.nextBytes(body);
            final byte[] input = Arrays.copyOf(valid, ConfluentWireFormat.HEADER_BYTES + body.length);
            System.arraycopy(body, 0, input, ConfluentWireFormat.HEADER_BYTES, body.length);
            try {
                assertThat(deserializer.deserialize(TOPIC, input)).isNotNull();
            } catch (final SerializationException expected) {
                rejected++;
            }
        }
        assertThat(rejected).isGreaterThan(1_000);
    }

    private static void writeZigZagVarint(final ByteArrayOutputStream out, final long value) {
        long zigZag = (value << 1) ^ (value >> 63);
        while ((zigZag & ~0x7fL) != 0) {
            out.write((int) ((zigZag & 0x7f) | 0x80));
            zigZag >>>= 7;
        }
        out.write((int) zigZag);
    }
}
