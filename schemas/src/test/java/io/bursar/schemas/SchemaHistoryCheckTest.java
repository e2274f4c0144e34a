package io.bursar.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The build's compatibility check, run exactly as the build runs it ({@link SchemaHistoryCheck#main}),
 * on copies of the real schemas and history with changes applied.
 */
class SchemaHistoryCheckTest {

    private static final Path SOURCES = Path.of("src/main/avro");
    private static final Path HISTORY = Path.of("history");
    private static final String EVENT = "payments/PaymentEvent.avsc";
    private static final String LAST_FIELD = "{\"name\": \"processedAt\"";

    @TempDir
    Path work;
    private Path sources;
    private Path history;

    @BeforeEach
    void copy() throws IOException {
        sources = copyTree(SOURCES, work.resolve("avro"));
        history = copyTree(HISTORY, work.resolve("history"));
    }

    @Test
    void theCommittedSchemasAreCompatibleWithEveryReleasedVersion() {
        assertThat(SchemaHistoryCheck.check(SchemaHistoryCheck.parseSources(SOURCES), HISTORY)).isEmpty();
        assertThat(HISTORY.resolve("io.bursar.schemas.payments.PaymentCommand/v1.avsc")).exists();
    }

    @Test
    void aNewRequiredFieldFailsTheBuild() throws IOException {
        addFieldToEvent("{\"name\": \"channel\", \"type\": \"string\"}");

        assertThatThrownBy(() -> SchemaHistoryCheck.main(args()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("io.bursar.schemas.payments.PaymentEvent")
                .hasMessageContaining("READER_FIELD_MISSING_DEFAULT_VALUE");
    }

    @Test
    void aChangedFieldTypeFailsTheBuild() throws IOException {
        final Path money = sources.resolve("common/Money.avsc");
        Files.writeString(money, Files.readString(money).replace("\"type\": \"long\"", "\"type\": \"string\""));

        assertThatThrownBy(() -> SchemaHistoryCheck.main(args()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("io.bursar.schemas.common.Money")
                .hasMessageContaining("TYPE_MISMATCH");
    }

    @Test
    void aRemovedSchemaFailsTheBuild() throws IOException {
        Files.delete(sources.resolve("payments/FundsHold.avsc"));

        assertThatThrownBy(() -> SchemaHistoryCheck.main(args()))
                .hasMessageContaining("io.bursar.schemas.payments.FundsHold: released but no longer defined");
    }

    @Test
    void aNewOptionalFieldIsAcceptedAndReleasedAsTheNextVersion() throws IOException {
        // Release what the sources hold now first, so only the change below is new.
        SchemaHistoryCheck.main(new String[] {sources.toString(), history.toString(), "--release"});
        addFieldToEvent("{\"name\": \"channel\", \"type\": [\"null\", \"string\"], \"default\": null}");
        final int eventVersions = versions("io.bursar.schemas.payments.PaymentEvent");
        final int commandVersions = versions("io.bursar.schemas.payments.PaymentCommand");

        SchemaHistoryCheck.main(new String[] {sources.toString(), history.toString(), "--release"});

        final Path next = history.resolve("io.bursar.schemas.payments.PaymentEvent/v" + (eventVersions + 1) + ".avsc");
        assertThat(next).exists();
        assertThat(Files.readString(next)).contains("channel");
        assertThat(versions("io.bursar.schemas.payments.PaymentCommand")).isEqualTo(commandVersions);
        // Releasing again changes nothing: only schemas that differ from their newest version are written.
        SchemaHistoryCheck.main(new String[] {sources.toString(), history.toString(), "--release"});
        assertThat(versions("io.bursar.schemas.payments.PaymentEvent")).isEqualTo(eventVersions + 1);
    }

    @Test
    void theReleasedCommandsBeforeTheirTagsAreTheConfusableOnesTheBreakDeclares() {
        final Schema untagged = new Schema.Parser().parse(
                read(HISTORY.resolve("io.bursar.schemas.payments.PaymentCommand/v3.avsc")));

        assertThat(SchemaHistoryCheck.confusableBranches(untagged))
                .anyMatch(line -> line.contains("union branch Credit can be confused"))
                .anyMatch(line -> line.contains("union branch Debit can be confused"))
                .anyMatch(line -> line.contains("union branch ReleaseHold can be confused"))
                .noneMatch(line -> line.contains("union branch RequestPayment"));
        assertThat(SchemaHistoryCheck.confusableBranches(SchemaHistoryCheck.parseSources(SOURCES)
                .get("io.bursar.schemas.payments.PaymentCommand"))).isEmpty();
    }

    @Test
    void aBranchThatLosesItsTagFailsTheBuild() throws IOException {
        final Path commands = sources.resolve("orders/OrderCommand.avsc");
        Files.writeString(commands, Files.readString(commands).replace("{\"name\": \"cancelOrder\", \"type\"",
                "{\"name\": \"cancelOrder\", \"default\": \"CANCEL_ORDER\", \"type\""));

        assertThatThrownBy(() -> SchemaHistoryCheck.main(args()))
                .hasMessageContaining("io.bursar.schemas.orders.OrderCommand.payload: union branch CancelOrder can be "
                        + "confused");
    }

    @Test
    void anUndeclaredBreakFailsAndADeclaredOneIsCheckedFromItsVersionOn() throws IOException {
        Files.delete(history.resolve("io.bursar.schemas.payments.PaymentCommand/" + SchemaHistoryCheck.BREAKS_FILE));

        assertThatThrownBy(() -> SchemaHistoryCheck.main(args()))
                .hasMessageContaining("io.bursar.schemas.payments.PaymentCommand cannot read "
                        + "io.bursar.schemas.payments.PaymentCommand/v3.avsc")
                .hasMessageContaining("MISSING_UNION_BRANCH");

        Files.writeString(history.resolve("io.bursar.schemas.payments.PaymentCommand/" + SchemaHistoryCheck.BREAKS_FILE),
                "v4\n");
        assertThatThrownBy(() -> SchemaHistoryCheck.main(args())).hasMessageContaining("expected 'v<N> <why>'");

        Files.writeString(history.resolve("io.bursar.schemas.payments.PaymentCommand/" + SchemaHistoryCheck.BREAKS_FILE),
                "v4 tags on every branch\n");
        SchemaHistoryCheck.main(args());
    }

    private static String read(final Path file) {
        try {
            return Files.readString(file);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void addFieldToEvent(final String field) throws IOException {
        final Path event = sources.resolve(EVENT);
        final String text = Files.readString(event).replaceAll("\\{\\s*\"name\"\\s*:\\s*\"processedAt\"", LAST_FIELD);
        assertThat(text).contains(LAST_FIELD);
        Files.writeString(event, text.replace(LAST_FIELD, field + ", " + LAST_FIELD));
    }

    private int versions(final String fullName) throws IOException {
        try (Stream<Path> files = Files.list(history.resolve(fullName))) {
            return (int) files.filter(file -> file.toString().endsWith(".avsc")).count();
        }
    }

    private String[] args() {
        return new String[] {sources.toString(), history.toString()};
    }

    private static Path copyTree(final Path from, final Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (final Path file : files.toList()) {
                final Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
        return to;
    }
}
