package io.bursar.app;

import io.bursar.app.verify.Audit;
import io.bursar.app.verify.AuditReport;
import io.bursar.app.verify.Auditor;
import io.bursar.connectors.ProviderConnectors;
import io.bursar.serdes.Topics;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bursar verify}: audits a cluster's topics and stores against the invariants of docs/reliability.md; exit code 0
 * when none is broken, 1 when one is, 2 when the audit could not run.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Audit the topics (read_committed) and the stores' changelogs against Bursar's invariants: "
                + "conservation, one result per command, stock, holds, provider rates, final states. "
                + "Exit code 1 on any violation, naming the first offending records.")
final class VerifyCommand implements Callable<Integer> {

    static final int VIOLATIONS = 1;
    static final int FAILED = 2;

    @Mixin
    private ClusterOptions cluster;

    @Option(names = "--provider-rate", paramLabel = "ID=CALLS_PER_SECOND",
            description = "A provider's rate, when no --config names it (repeatable).")
    private Map<String, Integer> providerRates = new HashMap<>();

    @Option(names = "--hold-grace-ms", defaultValue = "60000",
            description = "How long past its deadline a hold may still end (default ${DEFAULT-VALUE}).")
    private long holdGraceMs;

    @Option(names = "--drained", description = "The load has stopped and the pipeline drained: every payment and "
            + "order must be in a final state.")
    private boolean drained;

    @Option(names = "--json", description = "Print the report as JSON.")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        final Optional<Properties> named = cluster.properties();
        if (named.isEmpty()) {
            System.err.println("bursar verify: give --config FILE, or --bootstrap and --registry");
            return FAILED;
        }
        final Properties props = named.get();
        final BursarConfig config = new BursarConfig(props);
        final Map<String, Integer> rates = new HashMap<>(configuredRates(props));
        rates.putAll(providerRates);
        final AuditReport report;
        try {
            report = audit(config, new Audit.Settings(System.currentTimeMillis(), holdGraceMs, drained, rates),
                    json ? null : System.err);
        } catch (final Exception e) {
            System.err.println("bursar verify: the audit could not run: " + e);
            return FAILED;
        }
        System.out.println(json ? report.json() : report.text());
        return report.clean() ? 0 : VIOLATIONS;
    }

    /** Audits the cluster {@code config} names. */
    static AuditReport audit(final BursarConfig config, final Audit.Settings settings, final java.io.PrintStream progress)
            throws Exception {
        final Topics topics = Topics.create(config.serdeConfig(), config.getInt(BursarConfig.TOPIC_PARTITIONS));
        return new Auditor(config.kafkaClientConfig(), topics, config.getString(BursarConfig.APPLICATION_ID), progress)
                .run(settings);
    }

    /** The rate of every provider the properties configure ({@code providers.<id>.*}, parsed as the instances do). */
    static Map<String, Integer> configuredRates(final Properties props) {
        final Map<String, String> properties = new HashMap<>();
        props.stringPropertyNames().forEach(name -> properties.put(name, props.getProperty(name)));
        final Map<String, Integer> rates = new HashMap<>();
        ProviderConnectors.parse(properties, ProviderConnectors.BUILT_IN_TYPES.keySet())
                .forEach((id, provider) -> rates.put(id, provider.ratePerSecond()));
        return rates;
    }
}
