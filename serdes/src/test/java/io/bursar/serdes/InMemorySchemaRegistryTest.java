// The in-memory registry behaves like a real one: shared ids, per-subject versions, BACKWARD checks, scopes.
package io.bursar.serdes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;

class InMemorySchemaRegistryTest {

    private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();

    @Test
    void registeringIsIdempotentAndIdsAreSharedAcrossSubjects() {
        final int first = registry.register("a-value", PaymentCommand.getClassSchema());
        assertThat(registry.register("a-value", PaymentCommand.getClassSchema())).isEqualTo(first);
        assertThat(registry.register("b-value", PaymentCommand.getClassSchema())).isEqualTo(first);
        assertThat(registry.register("a-key", Money.getClassSchema())).isNotEqualTo(first);
        assertThat(registry.schemaById(first)).isEqualTo(PaymentCommand.getClassSchema());
        assertThat(registry.latestVersion("a-value").version()).isEqualTo(1);
    }

    @Test
    void lookupsOfUnknownThingsAreNotFound() {
        registry.register("a-value", PaymentCommand.getClassSchema());
        assertThatThrownBy(() -> registry.lookup("nope", PaymentCommand.getClassSchema()))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.isNotFound()).isTrue();
                    assertThat(e.errorCode()).isEqualTo(SchemaRegistryException.SUBJECT_NOT_FOUND);
                });
        assertThatThrownBy(() -> registry.lookup("a-value", PaymentEvent.getClassSchema()))
                .isInstanceOfSatisfying(SchemaRegistryException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(SchemaRegistryException.SCHEMA_NOT_FOUND));
        assertThatThrownBy(() -> registry.schemaById(99))
                .isInstanceOfSatisfying(SchemaRegistryException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(SchemaRegistryException.SCHEMA_NOT_FOUND));
    }

    @Test
    void aNewVersionMustReadTheLatestOne() {
        final Schema v1 = SchemaBuilder.record("Widget").namespace("t").fields().requiredString("name").endRecord();
        final Schema v2 = SchemaBuilder.record("Widget").namespace("t").fields().requiredString("name")
                .optionalLong("weight").endRecord();
        final Schema requiredAdded = SchemaBuilder.record("Widget").namespace("t").fields().requiredString("name")
                .requiredLong("weight").endRecord();
        registry.register("w-value", v1);
        final int v2Id = registry.register("w-value", v2);

        assertThatThrownBy(() -> registry.register("w-value", requiredAdded))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(409);
                    assertThat(e.getMessage()).contains("w-value");
                });
        final RegisteredSchema latest = registry.latestVersion("w-value");
        assertThat(latest.version()).isEqualTo(2);
        assertThat(latest.id()).isEqualTo(v2Id);
        assertThat(latest.schema()).isEqualTo(v2);
    }

    @Test
    void scopesShareARegistryUntilDropped() {
        final InMemorySchemaRegistry scoped = InMemorySchemaRegistry.forScope("scope-test");
        try {
            assertThat(InMemorySchemaRegistry.forScope("scope-test")).isSameAs(scoped);
            assertThat(InMemorySchemaRegistry.forScope("another-scope-test")).isNotSameAs(scoped);
            scoped.register("x-value", Money.getClassSchema());

            InMemorySchemaRegistry.dropScope("scope-test");

            final InMemorySchemaRegistry fresh = InMemorySchemaRegistry.forScope("scope-test");
            assertThat(fresh).isNotSameAs(scoped);
            assertThatThrownBy(() -> fresh.latestVersion("x-value")).isInstanceOf(SchemaRegistryException.class);
        } finally {
            InMemorySchemaRegistry.dropScope("scope-test");
            InMemorySchemaRegistry.dropScope("another-scope-test");
        }
    }
}
