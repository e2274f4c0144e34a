// bursar reset: the views rebuilt from the events, or every command processed again, with Kafka's own reset tool.
package io.bursar.app;

import io.bursar.serdes.Topics;
import io.bursar.topology.Generation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.tools.StreamsResetter;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bursar reset}: processes history again with Kafka's {@link StreamsResetter} (the tool of the Kafka version
 * Bursar runs on), which moves an application's input offsets to the earliest and deletes its internal topics
 * (changelogs, repartition topics); this command then removes the application's local state under
 * {@code state.dir} on this host.
 *
 * <ul>
 *   <li>{@code --views} rebuilds the views application ({@code <application.id>-views}) from the event topics. No
 *       command is processed again, no provider called again.</li>
 *   <li>{@code --all} processes every command again from the start of the log, to rebuild every store, and then
 *       the views. It starts the next {@link Generation}: its horizon is where each input of the commands
 *       application ends now. A record below it is decided again (on the time in the log, {@code LogClock}) and its
 *       events are emitted again, marked with the generation; what it sent to other inputs then (an order's
 *       payments, provider calls, catalog entries) is read again from the log and not sent twice. Provider calls
 *       are answered from {@code provider-outcomes}, which is kept: a call with a recorded outcome never reaches
 *       its provider again.</li>
 * </ul>
 *
 * It refuses while a group of the applications has members (every instance must be stopped; it names them), and
 * {@code --all} refuses when a command input no longer starts at offset 0 (retention deleted some of its history).
 * It shows its plan with {@code --dry-run} and needs {@code --yes} to act. When the instances start again, reads
 * answer 503 with Retry-After until each store has caught up with its input.
 */
@Command(name = "reset", mixinStandardHelpOptions = true,
        description = "Process history again with Kafka's streams reset tool: --views rebuilds the views from the "
                + "event topics; --all processes every command again from the start of the log (a new generation; "
                + "no provider is called again for a recorded outcome), then rebuilds the views. Refuses while an "
                + "instance runs. --dry-run shows the plan; --yes acts.")
final class ResetCommand implements Callable<Integer> {

    static final int REFUSED = 1;
    static final int FAILED = 2;

    @Mixin
    private ClusterOptions cluster;

    @ArgGroup(multiplicity = "1")
    private What what;

    static final class What {
        @Option(names = "--views", required = true, description = "Rebuild the views application from the event "
                + "topics; no command is processed again.")
        boolean views;

        @Option(names = "--all", required = true, description = "Process every command again from the start of "
                + "the log, then rebuild the views.")
        boolean all;
    }

    @Option(names = "--to-earliest", description = "With --all: from the start of the log (the only starting point; "
            + "the default).")
    private boolean toEarliest;

    @Option(names = "--to-datetime", paramLabel = "INSTANT", description = "Refused, with the reason: the stores "
            + "as they were at a past instant are not kept.")
    private String toDatetime;

    @Option(names = "--dry-run", description = "Show what would be reset and removed; change nothing.")
    private boolean dryRun;

    @Option(names = "--yes", description = "Do it.")
    private boolean yes;

    @Override
    public Integer call() throws Exception {
        final Optional<Properties> props = cluster.properties();
        if (props.isEmpty()) {
            System.err.println("bursar reset: give --config FILE, or --bootstrap and --registry");
            return FAILED;
        }
        if (toDatetime != null) {
            System.err.println("bursar reset: --to-datetime is not offered. The stores hold the sum of everything "
                    + "before: started from " + toDatetime + " they would start empty (the reset deletes their "
                    + "changelogs) and forget every balance, hold and order before it. --all processes the whole log "
                    + "again.");
            return FAILED;
        }
        if (toEarliest && !what.all) {
            System.err.println("bursar reset: --to-earliest goes with --all (--views always rebuilds from the start)");
            return FAILED;
        }
        if (!dryRun && !yes) {
            System.err.println("bursar reset: add --yes to reset (or --dry-run to see the plan)");
            return REFUSED;
        }
        final BursarConfig config = new BursarConfig(props.get());
        final Topics topics = Topics.create(config.serdeConfig(), config.getInt(BursarConfig.TOPIC_PARTITIONS));
        final String commandsId = config.getString(BursarConfig.APPLICATION_ID);
        final String viewsId = viewsApplicationId(config);
        for (final String group : what.all ? List.of(commandsId, viewsId) : List.of(viewsId)) {
            final List<String> members = activeMembers(config.kafkaClientConfig(), group);
            if (!members.isEmpty()) {
                System.err.println("bursar reset: the group " + group + " has " + members.size()
                        + " active member(s); stop every instance first:");
                members.forEach(member -> System.err.println("  " + member));
                return REFUSED;
            }
        }
        if (what.all) {
            final Integer refused = resetCommands(config, topics, commandsId);
            if (refused != null) {
                return refused;
            }
        }
        return resetApplication(config, viewsId, inputTopics(topics))
                ? done(what.all ? "Start the instances: the commands are processed again from the start, then the "
                        + "views rebuild from the events; reads answer 503 with Retry-After until each store has "
                        + "caught up." : "Start the instances: the views rebuild from the events; reads answer 503 "
                        + "with Retry-After until each has caught up.")
                : FAILED;
    }

    /** Resets the commands application and records its next generation; null when done, else the exit code. */
    private Integer resetCommands(final BursarConfig config, final Topics topics, final String applicationId)
            throws Exception {
        final List<String> inputs = commandInputTopics(topics);
        final Map<TopicPartition, Long> starts = new HashMap<>();
        final Map<TopicPartition, Long> ends = new HashMap<>();
        try (Admin admin = Admin.create(config.kafkaClientConfig())) {
            final Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            final Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (final TopicDescription topic : admin.describeTopics(inputs).allTopicNames().get(30, TimeUnit.SECONDS)
                    .values()) {
                topic.partitions().forEach(info -> {
                    earliest.put(new TopicPartition(topic.name(), info.partition()), OffsetSpec.earliest());
                    latest.put(new TopicPartition(topic.name(), info.partition()), OffsetSpec.latest());
                });
            }
            admin.listOffsets(earliest).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> starts.put(tp, info.offset()));
            admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> ends.put(tp, info.offset()));
        }
        final List<String> truncated = starts.entrySet().stream().filter(start -> start.getValue() > 0)
                .map(start -> start.getKey() + " starts at offset " + start.getValue()).sorted().toList();
        if (!truncated.isEmpty()) {
            System.err.println("bursar reset: history is missing (retention deleted the start of these partitions), "
                    + "so processing it again would build other balances:");
            truncated.forEach(line -> System.err.println("  " + line));
            return REFUSED;
        }
        final Generations generations = new Generations(config.kafkaClientConfig());
        final Generation next = new Generation(generations.current(applicationId).number() + 1, ends);
        System.out.println((dryRun ? "Would start" : "Starting") + " generation " + next.number() + " of "
                + applicationId + ": " + ends.values().stream().mapToLong(Long::longValue).sum()
                + " records of " + String.join(", ", inputs) + " processed again from offset 0.");
        if (!resetApplication(config, applicationId, inputs)) {
            return FAILED;
        }
        if (!dryRun) {
            generations.record(applicationId, next, Instant.now());
            System.out.println("Recorded generation " + next.number() + " in " + Generations.TOPIC
                    + "; its events carry header " + Generation.HEADER + ": " + next.number() + ".");
        }
        return null;
    }

    /** Runs Kafka's reset tool for {@code applicationId}, then removes its local state; false when the tool failed. */
    private boolean resetApplication(final BursarConfig config, final String applicationId, final List<String> inputs)
            throws IOException {
        final Path localState = Path.of(config.getString(BursarConfig.STATE_DIR)).resolve(applicationId);
        System.out.println((dryRun ? "Would reset" : "Resetting") + " " + applicationId + ": input topics "
                + String.join(", ", inputs) + " to their earliest offsets, its internal topics deleted, and "
                + localState + (Files.exists(localState) ? "" : " (absent here)") + " removed.");
        final List<String> args = new ArrayList<>(List.of("--bootstrap-server",
                config.getString(BursarConfig.BOOTSTRAP_SERVERS), "--application-id", applicationId,
                "--input-topics", String.join(",", inputs), "--to-earliest"));
        if (dryRun) {
            args.add("--dry-run");
        }
        final Properties clientProps = new Properties();
        clientProps.putAll(config.kafkaClientConfig());
        clientProps.remove(BursarConfig.BOOTSTRAP_SERVERS);
        final int exit = new StreamsResetter().execute(args.toArray(String[]::new), clientProps);
        if (exit != 0) {
            System.err.println("bursar reset: Kafka's streams reset tool failed for " + applicationId + " (exit "
                    + exit + ")");
            return false;
        }
        if (!dryRun) {
            deleteRecursively(localState);
        }
        return true;
    }

    private int done(final String next) {
        if (!dryRun) {
            System.out.println("Done. " + next);
        }
        return 0;
    }

    /**
     * The topics the commands application reads, in the order they were written: the commands, and what its own
     * processors and the dispatcher wrote for each other (provider calls and their answers, order settlements).
     */
    static List<String> commandInputTopics(final Topics topics) {
        return List.of(topics.paymentCommands.name(), topics.orderCommands.name(), topics.providerRequests.name(),
                topics.providerResults.name(), topics.fulfilmentResults.name(), topics.orderPaymentOutcomes.name());
    }

    /** The views application's id: {@code <application.id>-views}. */
    static String viewsApplicationId(final BursarConfig config) {
        return config.getString(BursarConfig.APPLICATION_ID) + BursarNode.VIEWS_APPLICATION_SUFFIX;
    }

    /** The topics the views are built from. */
    static List<String> inputTopics(final Topics topics) {
        return List.of(topics.paymentEvents.name(), topics.commandOutcomes.name(), topics.orderEvents.name());
    }

    /** The group's members, each as {@code clientId on host}; empty when the group is empty or unknown. */
    static List<String> activeMembers(final Map<String, Object> kafka, final String groupId) throws Exception {
        try (Admin admin = Admin.create(kafka)) {
            final ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(groupId)).all()
                    .get(30, TimeUnit.SECONDS).get(groupId);
            return group.members().stream().map(ResetCommand::describe).toList();
        } catch (final ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return List.of();
            }
            throw e;
        }
    }

    private static String describe(final MemberDescription member) {
        return member.clientId() + " on " + member.host();
    }

    private static void deleteRecursively(final Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
