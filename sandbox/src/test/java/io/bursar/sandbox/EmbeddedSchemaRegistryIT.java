// The serde and the REST client against a real Apicurio Registry started as a child process.
package io.bursar.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.serdes.AvroTestSupport;
import io.bursar.serdes.PaymentSamples;
import io.bursar.serdes.RestSchemaRegistryClient;
import io.bursar.serdes.SchemaRegistryException;
import io.bursar.serdes.SpecificAvroSerde;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(60)
class EmbeddedSchemaRegistryIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static EmbeddedSchemaRegistry registry;

    @BeforeAll
    static void startRegistry() {
        registry = EmbeddedSchemaRegistry.start();
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    @Order(1)
    void roundTripsPaymentRecordsAndRegistersTheirValueSubjects() throws Exception {
        final RestSchemaRegistryClient writerClient = new RestSchemaRegistryClient(registry.url());
        // A second client with empty caches: reading must fetch the writer schema from the server by id.
        final RestSchemaRegistryClient readerClient = new RestSchemaRegistryClient(registry.url());
        final SpecificAvroSerde<PaymentCommand> commandWriter = SpecificAvroSerde.of(PaymentCommand.class, writerClient, false);
        final SpecificAvroSerde<PaymentCommand> commandReader = SpecificAvroSerde.of(PaymentCommand.class, readerClient, false);
        final SpecificAvroSerde<PaymentEvent> eventWriter = SpecificAvroSerde.of(PaymentEvent.class, writerClient, false);
        final SpecificAvroSerde<PaymentEvent> eventReader = SpecificAvroSerde.of(PaymentEvent.class, readerClient, false);

        for (final PaymentCommand command : PaymentSamples.commandOfEveryPayload()) {
            final byte[] bytes = commandWriter.serializer().serialize("payment-commands", command);
            assertThat(commandReader.deserializer().deserialize("payment-commands", bytes)).isEqualTo(command);
        }
        for (final PaymentEvent event : List.of(PaymentSamples.acceptedHoldEvent(), PaymentSamples.rejectedDebitEvent())) {
            final byte[] bytes = eventWriter.serializer().serialize("payment-events", event);
            assertThat(eventReader.deserializer().deserialize("payment-events", bytes)).isEqualTo(event);
        }
        final byte[] eventBytes = eventWriter.serializer().serialize("payment-events", PaymentSamples.acceptedHoldEvent());

        final JsonNode subjects = getJson("/subjects");
        assertThat(subjects.isArray()).isTrue();
        final List<String> names = new ArrayList<>();
        subjects.forEach(subject -> names.add(subject.asText()));
        assertThat(names).contains("payment-commands-value", "payment-events-value");
        final JsonNode latestEvent = getJson("/subjects/payment-events-value/versions/latest");
        assertThat(ByteBuffer.wrap(eventBytes, 1, 4).getInt()).isEqualTo(latestEvent.get("id").asInt());
        assertThat(new Schema.Parser().parse(latestEvent.get("schema").asText())).isEqualTo(PaymentEvent.getClassSchema());

        // An id the server never issued: a SerializationException caused by the server's 404.
        final byte[] unknownId = eventBytes.clone();
        unknownId[1] = 0x7f;
        assertThatThrownBy(() -> eventReader.deserializer().deserialize("payment-events", unknownId))
                .isInstanceOf(SerializationException.class)
                .cause().isInstanceOfSatisfying(SchemaRegistryException.class,
                        e -> assertThat(e.httpStatus()).isEqualTo(404));
    }

    @Test
    @Order(2)
    void evolvesASchemaThroughTheServersCompatibilityCheck() throws Exception {
        final String subject = "widgets-value";
        final Schema v1 = SchemaBuilder.record("Widget").namespace("io.bursar.test").fields()
                .requiredString("name")
                .requiredLong("weightGrams")
                .endRecord();
        final Schema v2 = SchemaBuilder.record("Widget").namespace("io.bursar.test").fields()
                .requiredString("name")
                .requiredLong("weightGrams")
                .name("colour").type().optional().stringType()
                .endRecord();
        final Schema incompatible = SchemaBuilder.record("Widget").namespace("io.bursar.test").fields()
                .requiredString("name")
                .requiredLong("weightGrams")
                .requiredString("sku")
                .endRecord();
        // Apicurio accepts anything by default; the embedded registry is started checking BACKWARD globally.
        assertThat(getJson("/config").get("compatibilityLevel").asText()).isEqualTo("BACKWARD");
        final RestSchemaRegistryClient client = new RestSchemaRegistryClient(registry.url());

        final int v1Id = client.register(subject, v1);
        final GenericRecord widgetV1 = new GenericData.Record(v1);
        widgetV1.put("name", "bolt");
        widgetV1.put("weightGrams", 12L);
        final byte[] v1Bytes = AvroTestSupport.wireBytes(widgetV1, v1Id);

        final int v2Id = client.register(subject, v2);
        assertThat(v2Id).isNotEqualTo(v1Id);
        assertThat(client.latestVersion(subject).version()).isEqualTo(2);
        final GenericRecord widgetV2 = new GenericData.Record(v2);
        widgetV2.put("name", "nut");
        widgetV2.put("weightGrams", 3L);
        widgetV2.put("colour", "brass");
        final byte[] v2Bytes = AvroTestSupport.wireBytes(widgetV2, v2Id);

        final RestSchemaRegistryClient freshClient = new RestSchemaRegistryClient(registry.url());
        final GenericRecord v1ReadAsV2 = AvroTestSupport.readGeneric(v1Bytes, v2, freshClient);
        assertThat(v1ReadAsV2.get("name").toString()).isEqualTo("bolt");
        assertThat(v1ReadAsV2.get("colour")).isNull();
        final GenericRecord v2ReadAsV1 = AvroTestSupport.readGeneric(v2Bytes, v1, freshClient);
        assertThat(v2ReadAsV1.get("name").toString()).isEqualTo("nut");
        assertThat(v2ReadAsV1.get("weightGrams")).isEqualTo(3L);
        assertThat(v2ReadAsV1.getSchema().getField("colour")).isNull();

        assertThatThrownBy(() -> client.register(subject, incompatible))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(409);
                    assertThat(e.getMessage()).contains("409");
                });
    }

    @Test
    @Order(3)
    void closeStopsTheProcess() {
        final long pid = registry.pid();
        final int port = registry.port();
        assertThat(ProcessHandle.of(pid)).isPresent();

        registry.close();

        final Optional<ProcessHandle> after = ProcessHandle.of(pid);
        assertThat(after.isEmpty() || !after.get().isAlive()).as("process %d gone", pid).isTrue();
        assertThat(registry.isRunning()).isFalse();
        assertThatThrownBy(() -> HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()))
                .isInstanceOf(ConnectException.class);
    }

    private static JsonNode getJson(final String path) throws IOException, InterruptedException {
        final HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(registry.url() + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("GET %s: %s", path, response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }
}
