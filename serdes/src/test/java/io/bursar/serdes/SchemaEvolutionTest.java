// Records written with older and newer versions of a schema read as the current generated class.
package io.bursar.serdes;

import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.schemas.payments.PaymentEvent;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.api.Test;

class SchemaEvolutionTest {

    private static final String SUBJECT = "payment-events-value";

    @Test
    void anOlderWriterSchemaReadsWithTheNewFieldsDefaults() {
        final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
        // The previous version: every field that has a default now did not exist yet.
        final Schema previous = AvroTestSupport.withoutDefaultedFields(PaymentEvent.getClassSchema());
        assertThat(previous.getFields()).hasSizeLessThan(PaymentEvent.getClassSchema().getFields().size());
        final int previousId = registry.register(SUBJECT, previous);
        // The registry accepts the current version as BACKWARD compatible with the previous one.
        final int currentId = registry.register(SUBJECT, PaymentEvent.getClassSchema());
        assertThat(currentId).isNotEqualTo(previousId);

        final PaymentEvent original = PaymentSamples.rejectedDebitEvent();
        final byte[] oldBytes = AvroTestSupport.wireBytes(AvroTestSupport.asGeneric(original, previous), previousId);
        final PaymentEvent read = new SpecificAvroDeserializer<>(PaymentEvent.class, registry)
                .deserialize("payment-events", oldBytes);

        final SpecificData model = SpecificData.getForClass(PaymentEvent.class);
        for (final Schema.Field field : PaymentEvent.getClassSchema().getFields()) {
            final Object expected = field.hasDefaultValue() ? model.getDefaultValue(field) : original.get(field.pos());
            assertThat(read.get(field.pos())).as(field.name()).isEqualTo(expected);
        }
        // The sample sets a non-default value there, so the default visibly replaced it.
        assertThat(original.getDuplicate()).isTrue();
        assertThat(read.getDuplicate()).isFalse();
    }

    @Test
    void aNewerWriterSchemaReadsWithoutTheFieldsTheClassDoesNotKnow() {
        final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
        registry.register(SUBJECT, PaymentEvent.getClassSchema());
        final Schema next = AvroTestSupport.withOptionalStringField(PaymentEvent.getClassSchema(), "memo");
        final int nextId = registry.register(SUBJECT, next);

        final PaymentEvent original = PaymentSamples.acceptedHoldEvent();
        final GenericRecord newer = AvroTestSupport.asGeneric(original, next);
        newer.put("memo", "written by a newer producer");
        final PaymentEvent read = new SpecificAvroDeserializer<>(PaymentEvent.class, registry)
                .deserialize("payment-events", AvroTestSupport.wireBytes(newer, nextId));

        assertThat(read).isEqualTo(original);
    }
}
