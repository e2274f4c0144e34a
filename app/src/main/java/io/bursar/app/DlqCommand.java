// bursar dlq: the dead letters listed for review, and unreadable commands sent again.
package io.bursar.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bursar.app.dlq.DeadLetters;
import io.bursar.serdes.Topics;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code bursar dlq list} and {@code bursar dlq redrive}; exit code 2 when the cluster cannot be read. */
@Command(name = "dlq", mixinStandardHelpOptions = true,
        description = "The dead-letter topics: list what is on them (command-dead-letters, provider-requests-dlq, "
                + "the lines a fulfilment provider refused) and send unreadable commands again.",
        subcommands = {DlqCommand.ListLetters.class, DlqCommand.Redrive.class})
final class DlqCommand implements Runnable {

    static final int FAILED = 2;

    @Override
    public void run() {
        System.out.println("Usage: bursar dlq list|redrive --help");
    }

    /** The filters both subcommands take. */
    static final class Filters {

        @Option(names = "--topic", description = "Only this dead-letter topic (command-dead-letters or "
                + "provider-requests-dlq).")
        String topic;

        @Option(names = "--reason", description = "Only letters whose reason contains this (case-insensitive).")
        String reason;

        @Option(names = "--since", description = "Only letters since this time: an ISO instant "
                + "(2026-12-07T10:00:00Z) or a duration back from now (PT1H, 30m, 2h).")
        String since;

        DeadLetters.Filter filter() {
            return new DeadLetters.Filter(topic, reason, since == null ? null : parseSince(since));
        }

        static Instant parseSince(final String since) {
            try {
                return Instant.parse(since);
            } catch (final DateTimeParseException notAnInstant) {
                final String iso = since.toUpperCase().startsWith("P") ? since : "PT" + since;
                return Instant.now().minus(Duration.parse(iso));
            }
        }
    }

    static Optional<DeadLetters> open(final ClusterOptions cluster) throws Exception {
        final Optional<Properties> props = cluster.properties();
        if (props.isEmpty()) {
            System.err.println("bursar dlq: give --config FILE, or --bootstrap and --registry");
            return Optional.empty();
        }
        final BursarConfig config = new BursarConfig(props.get());
        return Optional.of(new DeadLetters(config.kafkaClientConfig(),
                Topics.create(config.serdeConfig(), config.getInt(BursarConfig.TOPIC_PARTITIONS))));
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Every dead letter with its origin, reason, attempts and age; a provider call with its "
                    + "operation and refused lines.")
    static final class ListLetters implements Callable<Integer> {

        @Mixin
        private ClusterOptions cluster;

        @Mixin
        private Filters filters;

        @Option(names = "--json", description = "Print the letters as JSON.")
        private boolean json;

        @Override
        public Integer call() throws Exception {
            final Optional<DeadLetters> letters = open(cluster);
            if (letters.isEmpty()) {
                return FAILED;
            }
            final List<DeadLetters.Letter> found = letters.get().list(filters.filter());
            if (json) {
                System.out.println(json(found));
            } else {
                found.forEach(letter -> System.out.println(text(letter)));
                System.out.printf("%d dead letter(s)%n", found.size());
            }
            return 0;
        }
    }

    @Command(name = "redrive", mixinStandardHelpOptions = true,
            description = "Send dead-lettered commands again to the topic and key they came from, each once: a "
                    + "redrive is recorded (dead-letter-redrives) and never repeated. Select with --position "
                    + "and/or the filters; --dry-run shows what would go.")
    static final class Redrive implements Callable<Integer> {

        @Mixin
        private ClusterOptions cluster;

        @Mixin
        private Filters filters;

        @Option(names = "--position", paramLabel = "TOPIC/PARTITION@OFFSET",
                description = "A letter to send again (repeatable); without it, every letter the filters keep.")
        private List<String> positions = new ArrayList<>();

        @Option(names = "--dry-run", description = "Show what would be sent, send nothing.")
        private boolean dryRun;

        @Override
        public Integer call() throws Exception {
            final Optional<DeadLetters> letters = open(cluster);
            if (letters.isEmpty()) {
                return FAILED;
            }
            final List<DeadLetters.Letter> chosen = letters.get().select(filters.filter(), positions);
            if (dryRun) {
                chosen.forEach(letter -> System.out.println((DeadLetters.whySkipped(letter) == null
                        ? "would send  " : "would skip  ") + text(letter)));
                return 0;
            }
            final DeadLetters.Redrive done = letters.get().redrive(chosen);
            done.sent().forEach(letter -> System.out.println("sent     " + letter.position() + " to " + letter.origin()));
            done.skipped().forEach(letter -> System.out.println("skipped  " + letter.position() + " ("
                    + Objects.requireNonNullElse(DeadLetters.whySkipped(letter), "redriven just now") + ")"));
            System.out.printf("%d sent, %d skipped%n", done.sent().size(), done.skipped().size());
            return 0;
        }
    }

    static String text(final DeadLetters.Letter letter) {
        final StringBuilder line = new StringBuilder(String.format("%-28s %s  age %s  %s", letter.position(),
                letter.at(), age(letter.at()), letter.summary()));
        if (letter.origin() != null) {
            line.append("  from ").append(letter.origin());
        }
        line.append("  reason: ").append(letter.reason());
        if (letter.attempts() != null) {
            line.append("  attempts: ").append(letter.attempts());
        }
        if (letter.redriven() != null) {
            line.append("  redriven ").append(letter.redriven());
        }
        letter.lines().forEach(refused -> line.append(System.lineSeparator()).append("    ").append(refused));
        return line.toString();
    }

    private static String age(final Instant at) {
        final Duration age = Duration.between(at, Instant.now());
        return age.toHours() > 0 ? age.toHours() + "h" + age.toMinutesPart() + "m" : age.toMinutes() > 0
                ? age.toMinutes() + "m" + age.toSecondsPart() + "s" : age.toSeconds() + "s";
    }

    static String json(final List<DeadLetters.Letter> letters) throws Exception {
        final ObjectMapper mapper = new ObjectMapper();
        final ArrayNode array = mapper.createArrayNode();
        for (final DeadLetters.Letter letter : letters) {
            final ObjectNode node = array.addObject().put("position", letter.position()).put("topic", letter.topic())
                    .put("at", letter.at().toString()).put("key", letter.key()).put("origin", letter.origin())
                    .put("reason", letter.reason()).put("message", letter.message()).put("summary", letter.summary())
                    .put("redrivable", letter.redrivable()).put("redriven", letter.redriven());
            node.put("attempts", letter.attempts());
            final ArrayNode lines = node.putArray("lines");
            letter.lines().forEach(lines::add);
        }
        return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(array);
    }
}
