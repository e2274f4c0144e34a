// Avro 1.12 refuses our generated classes by default; the serde makes them trusted without any JVM flag.
package io.bursar.serdes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.avro.util.ClassSecurityValidator.ClassSecurityPredicate;
import org.junit.jupiter.api.Test;

class TrustedAvroPackagesTest {

    @Test
    void avroAloneDoesNotTrustOurClassesHere() {
        // The premise of the other tests: nothing in this JVM trusts our package by configuration.
        assertThat(System.getProperty("org.apache.avro.SERIALIZABLE_PACKAGES")).isNull();
        assertThat(ClassSecurityValidator.DEFAULT.isTrusted(PaymentCommand.class)).isFalse();
    }

    @Test
    void creatingADeserializerTrustsTheSchemasPackageOnly() {
        new SpecificAvroDeserializer<>(PaymentCommand.class, new InMemorySchemaRegistry());

        final ClassSecurityPredicate global = ClassSecurityValidator.getGlobal();
        assertThat(global.isTrusted(PaymentCommand.class)).isTrue();
        assertThat(global.isTrusted(Money.class)).isTrue();
        assertThat(global.isTrusted(String.class)).isTrue();
        assertThat(global.isTrusted(SpecificAvroSerde.class)).isFalse();
    }

    @Test
    void withoutTheTrustReadingAGeneratedClassFails() {
        final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
        final SpecificAvroSerde<PaymentEvent> serde = SpecificAvroSerde.of(PaymentEvent.class, registry, false);
        final byte[] bytes = serde.serializer().serialize("e", PaymentSamples.acceptedHoldEvent());
        final ClassSecurityPredicate installed = ClassSecurityValidator.getGlobal();
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.DEFAULT);
        try {
            // A fresh model, because a model remembers classes it already resolved.
            final org.apache.avro.specific.SpecificDatumReader<PaymentEvent> plain =
                    new org.apache.avro.specific.SpecificDatumReader<>(PaymentEvent.getClassSchema(),
                            PaymentEvent.getClassSchema(), new org.apache.avro.specific.SpecificData());
            assertThatThrownBy(() -> plain.read(null, org.apache.avro.io.DecoderFactory.get().binaryDecoder(bytes,
                    ConfluentWireFormat.HEADER_BYTES, bytes.length - ConfluentWireFormat.HEADER_BYTES, null)))
                    .isInstanceOf(SecurityException.class);
        } finally {
            ClassSecurityValidator.setGlobal(installed);
        }
        assertThat(serde.deserializer().deserialize("e", bytes)).isEqualTo(PaymentSamples.acceptedHoldEvent());
    }
}
