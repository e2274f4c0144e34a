// bursar reset --views: the views application rebuilt from the event topics with Kafka's own reset tool.
package io.bursar.app;

import io.bursar.serdes.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
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
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.tools.StreamsResetter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bursar reset --views}: rebuilds the views application ({@code <application.id>-views}) from the event
 * topics. Kafka's {@link StreamsResetter} (the tool of the Kafka version Bursar runs on) moves the views' input
 * offsets to the earliest and deletes the application's internal topics (changelogs, repartition topics); this
 * command then removes the application's local state under {@code state.dir} on this host. The commands
 * application is not touched: no command is processed again, no provider called again. It refuses while the
 * views group has members (every instance must be stopped; it names them), shows its plan with
 * {@code --dry-run}, and needs {@code --yes} to act. When the instances start again, the views rebuild; reads
 * answer 503 with Retry-After until each view has caught up with its input.
 */
@Command(name = "reset", mixinStandardHelpOptions = true,
        description = "Rebuild the views from the event topics (--views) with Kafka's streams reset tool: input "
                + "offsets to earliest, internal topics deleted, this host's local state of the views removed. "
                + "Refuses while an instance runs. --dry-run shows the plan; --yes acts.")
final class ResetCommand implements Callable<Integer> {

    static final int REFUSED = 1;
    static final int FAILED = 2;

    @Mixin
    private ClusterOptions cluster;

    @Option(names = "--views", required = true, description = "Reset the views application (the only reset "
            + "offered: commands are never processed twice).")
    private boolean views;

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
        if (!dryRun && !yes) {
            System.err.println("bursar reset: add --yes to reset (or --dry-run to see the plan)");
            return REFUSED;
        }
        final BursarConfig config = new BursarConfig(props.get());
        final Topics topics = Topics.create(config.serdeConfig(), config.getInt(BursarConfig.TOPIC_PARTITIONS));
        final String applicationId = viewsApplicationId(config);
        final List<String> members = activeMembers(config.kafkaClientConfig(), applicationId);
        if (!members.isEmpty()) {
            System.err.println("bursar reset: the views group " + applicationId + " has " + members.size()
                    + " active member(s); stop every instance first:");
            members.forEach(member -> System.err.println("  " + member));
            return REFUSED;
        }
        final List<String> inputs = inputTopics(topics);
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
            System.err.println("bursar reset: Kafka's streams reset tool failed (exit " + exit + ")");
            return FAILED;
        }
        if (!dryRun) {
            deleteRecursively(localState);
            System.out.println("Done. Start the instances: the views rebuild from the events; reads answer 503 "
                    + "with Retry-After until each has caught up.");
        }
        return 0;
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
