package io.bursar.topology.payments;

import static io.bursar.topology.testing.TestDrivers.count;
import static io.bursar.topology.testing.TestDrivers.header;
import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.serdes.ConfluentWireFormat;
import io.bursar.serdes.SchemaRegistryClients;
import io.bursar.serdes.Topics;
import io.bursar.topology.DeadLetterHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands written with a schema whose union a shape-matching writer could misread — the released versions
 * before the branch tags, or a writer schema whose tag says another branch than its record's name — are
 * never applied: they cannot be read into the current schema, so they go to the dead-letter topic.
 */
class UntaggedCommandsTopologyTest {

    private static final Path HISTORY = Path.of("../schemas/history/io.bursar.schemas.payments.PaymentCommand");
    private static final Instant START = Instant.parse("2026-12-06T10:00:00Z");

    private final String registryUrl = "mock://" + UUID.randomUUID();

    @AutoClose
    private final PartnerDriver partner;

    UntaggedCommandsTopologyTest(@TempDir final Path stateDir) {
        partner = PartnerDriver.builder(stateDir).applicationId("bursar-untagged-test").startingAt(START)
                .topics(Topics.create(Map.of("schema.registry.url", registryUrl), 1)).start();
    }

    @Test
    void aCreditWrittenWithTheUntaggedSchemaIsDeadLettered() throws IOException {
        final Schema untagged = new Schema.Parser().parse(Files.readString(HISTORY.resolve("v3.avsc")));
        final GenericRecord credit = new GenericData.Record(branch(untagged, "Credit"));
        credit.put("amount", money(untagged));

        send(untagged, credit);

        assertDeadLetteredAndNothingApplied("missing required field credit");
    }

    @Test
    void aBranchWhoseTagNamesAnotherBranchIsDeadLettered() throws IOException {
        // A writer schema in which the record called Credit carries Debit's tag value.
        final Schema lying = new Schema.Parser().parse(Files.readString(HISTORY.resolve("v4.avsc"))
                .replace("\"symbols\" : [ \"CREDIT\" ]", "\"symbols\" : [ \"DEBIT\" ]"));
        final Schema creditBranch = branch(lying, "Credit");
        assertThat(creditBranch.getField("credit").schema().getEnumSymbols()).containsExactly("DEBIT");
        final GenericRecord credit = new GenericData.Record(creditBranch);
        credit.put("credit", new GenericData.EnumSymbol(creditBranch.getField("credit").schema(), "DEBIT"));
        credit.put("amount", money(lying));

        send(lying, credit);

        assertDeadLetteredAndNothingApplied("No match for DEBIT");
    }

    private void assertDeadLetteredAndNothingApplied(final String why) {
        final TestRecord<byte[], byte[]> dead = partner.deadLetters.readRecord();
        assertThat(header(dead, DeadLetterHandler.HEADER_ORIGIN_TOPIC))
                .isEqualTo(partner.topics.paymentCommands.name());
        assertThat(header(dead, DeadLetterHandler.HEADER_ERROR_MESSAGE)).contains(why);
        assertThat(partner.events.isEmpty()).isTrue();
        assertThat(count(partner.driver.getKeyValueStore(PartnerProcessor.BALANCES_STORE))).isZero();
        assertThat(count(partner.driver.getWindowStore(PartnerProcessor.RESULTS_STORE))).isZero();
    }

    private void send(final Schema writer, final GenericRecord payload) throws IOException {
        final GenericRecord command = new GenericData.Record(writer);
        command.put("commandId", "c1");
        command.put("partnerId", "p1");
        command.put("issuedAt", START.toEpochMilli());
        command.put("payload", payload);
        final int id = SchemaRegistryClients.forUrl(registryUrl).register(
                partner.topics.paymentCommands.name() + "-value", writer);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        ConfluentWireFormat.writeHeader(out, id);
        final BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(writer).write(command, encoder);
        encoder.flush();
        partner.rawCommands.pipeInput("p1".getBytes(StandardCharsets.UTF_8), out.toByteArray());
    }

    private static Schema branch(final Schema command, final String name) {
        return command.getField("payload").schema().getTypes().stream()
                .filter(branch -> branch.getName().equals(name)).findFirst().orElseThrow();
    }

    private static GenericRecord money(final Schema command) {
        final GenericRecord money = new GenericData.Record(branch(command, "Credit").getField("amount").schema());
        money.put("amountMinor", 100L);
        money.put("currency", "EUR");
        return money;
    }
}
