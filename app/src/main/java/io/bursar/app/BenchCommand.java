package io.bursar.app;

import io.bursar.app.bench.DispatchBenchmark;
import io.bursar.app.bench.LendingBenchmark;
import io.bursar.app.bench.OrdersBenchmark;
import io.bursar.app.bench.PaymentsBenchmark;
import io.bursar.app.bench.RateUsage;
import io.bursar.app.bench.ReadsBenchmark;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bursar bench dispatch} (how much of a provider's rate a backlog uses, never above it),
 * {@code bursar bench orders} (a shop's mix of order reads and writes) and {@code bursar bench payments}
 * (what a balance command costs beside Kafka's own transactional pipe).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks on an embedded broker; results are printed, one line per run.",
        subcommands = {BenchCommand.Dispatch.class, BenchCommand.Lending.class, BenchCommand.Orders.class,
                BenchCommand.Payments.class, BenchCommand.Reads.class})
final class BenchCommand implements Runnable {

    @Override
    public void run() {
        System.out.println("Usage: bursar bench dispatch|lending|orders|payments|reads --help");
    }

    @Command(name = "dispatch", mixinStandardHelpOptions = true,
            description = "Queue rate x seconds provider payments at once and measure the calls the provider sees.")
    static final class Dispatch implements Callable<Integer> {

        @Option(names = "--rate", split = ",", defaultValue = "2,50",
                description = "Provider rates to run, calls per second (default ${DEFAULT-VALUE}).")
        private List<Integer> rates;

        @Option(names = "--seconds", defaultValue = "30", description = "Backlog length at the rate (default ${DEFAULT-VALUE}).")
        private int seconds;

        @Option(names = "--latency-ms", defaultValue = "150",
                description = "Provider answer time, plus up to half as much jitter (default ${DEFAULT-VALUE}).")
        private long latencyMs;

        @Option(names = "--set", paramLabel = "KEY=VALUE",
                description = "A configuration key set on the node (repeatable; provider keys use the id 'bench').")
        private Map<String, String> overrides = new HashMap<>();

        @Override
        public Integer call() throws Exception {
            int exceeded = 0;
            for (final int rate : rates) {
                final RateUsage usage = DispatchBenchmark.run(
                        new DispatchBenchmark.Settings(rate, seconds, Duration.ofMillis(latencyMs), overrides), System.out);
                System.out.println("rate " + rate + "/s: " + usage);
                if (usage.maxInOneSecond() > rate) {
                    exceeded++;
                }
            }
            return exceeded == 0 ? 0 : 1;
        }
    }

    @Command(name = "reads", mixinStandardHelpOptions = true,
            description = "Balance reads through the gateway: open loop at a fixed rate (latency from when each read "
                    + "was due), then at saturation beside the framework's own floor (/health/live), in one run.")
    static final class Reads implements Callable<Integer> {

        @Option(names = "--rate", defaultValue = "10000", description = "Reads per second offered (default ${DEFAULT-VALUE}).")
        private int rate;

        @Option(names = "--seconds", defaultValue = "30", description = "Measured open-loop seconds (default ${DEFAULT-VALUE}).")
        private int seconds;

        @Option(names = "--warmup-seconds", defaultValue = "60",
                description = "The same load first, not measured, while the JIT compiles (default ${DEFAULT-VALUE}).")
        private int warmUpSeconds;

        @Option(names = "--saturation-seconds", defaultValue = "15",
                description = "Seconds of each saturation phase (default ${DEFAULT-VALUE}).")
        private int saturationSeconds;

        @Option(names = "--out", defaultValue = "target/bench-reads",
                description = "Where the charts are written (default ${DEFAULT-VALUE}).")
        private Path outDir;

        @Option(names = "--set", paramLabel = "KEY=VALUE",
                description = "A configuration key set on the demo's instance (repeatable).")
        private Map<String, String> overrides = new HashMap<>();

        @Override
        public Integer call() throws Exception {
            final ReadsBenchmark.Result result = ReadsBenchmark.run(new ReadsBenchmark.Settings(rate,
                    Duration.ofSeconds(warmUpSeconds), Duration.ofSeconds(seconds), Duration.ofSeconds(saturationSeconds),
                    outDir, overrides), System.out);
            System.out.printf("%n== bursar bench reads ==%n");
            System.out.printf("open loop, %,d/s offered for %d s: %,d sent, %,d shed, %,d errors; latency from when due: "
                            + "p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.1f ms%n", result.offered(), seconds,
                    result.sent(), result.shed(), result.errors(), result.p50(), result.p99(), result.p999(),
                    result.max());
            System.out.printf("saturation, %d requests open: /health/live (floor) %,.0f/s, balances %,.0f/s: %.2f x the "
                            + "floor (%d errors)%n", ReadsBenchmark.SATURATION_CONNECTIONS, result.floorPerSecond(),
                    result.balancePerSecond(), result.ratio(), result.saturationErrors());
            result.charts().forEach(chart -> System.out.println("chart: " + chart.toAbsolutePath()));
            return result.errors() == 0 && result.saturationErrors() == 0 ? 0 : 1;
        }
    }

    @Command(name = "lending", mixinStandardHelpOptions = true,
            description = "Peer-to-peer lending: investor orders of many loan notes through a slow Finance Service in bulk calls, "
                    + "beside a per-item design at the same rate.")
    static final class Lending implements Callable<Integer> {

        @Option(names = "--notes", split = ",", defaultValue = "1000,10000,50000",
                description = "One order per entry, of that many notes (default ${DEFAULT-VALUE}).")
        private List<Integer> notes;

        @Option(names = "--rate", defaultValue = "2",
                description = "The Finance Service's calls per second (default ${DEFAULT-VALUE}).")
        private int rate;

        @Option(names = "--call-failures", defaultValue = "0.10",
                description = "Fraction of calls failing whole with HTTP 500 (default ${DEFAULT-VALUE}).")
        private double callFailures;

        @Option(names = "--line-refusals", defaultValue = "0.01",
                description = "Fraction of lines refused for good (default ${DEFAULT-VALUE}).")
        private double lineRefusals;

        @Option(names = "--seed", defaultValue = "5", description = "Seed of the Finance Service (default ${DEFAULT-VALUE}).")
        private long seed;

        @Option(names = "--out", defaultValue = "target/bench-lending",
                description = "Where the chart is written (default ${DEFAULT-VALUE}).")
        private Path outDir;

        @Override
        public Integer call() throws Exception {
            final LendingBenchmark.Result result = LendingBenchmark.run(new LendingBenchmark.Settings(notes, rate,
                    callFailures, lineRefusals, seed, outDir), System.out);
            System.out.printf("%n== bursar bench lending: Finance Service at %d calls/s, %.0f %% of calls failing, "
                    + "%.1f %% of lines refused ==%n", rate, 100 * callFailures, 100 * lineRefusals);
            System.out.printf("%8s %8s %10s %7s %8s %9s %9s %9s %12s %12s%n", "notes", "batches", "seconds", "calls",
                    "retries", "invested", "removed", "max/s", "per-item", "per-item s");
            int broken = 0;
            for (final LendingBenchmark.Run run : result.runs()) {
                System.out.printf("%,8d %8d %10.1f %7d %8d %,9d %9d %9d %,12d %,12.0f%n", run.notes(), run.batches(),
                        run.elapsedMs() / 1000.0, run.financeCalls(), run.retries(), run.linesInvested(),
                        run.linesRemoved(), run.maxCallsInOneSecond(), run.perItemCalls(), run.perItemSeconds(rate));
                if (run.maxCallsInOneSecond() > rate || run.duplicateLines() > 0
                        || run.linesInvested() + run.linesRemoved() != run.notes()) {
                    broken++;
                }
            }
            if (result.chart() != null) {
                System.out.println("chart: " + result.chart().toAbsolutePath());
            }
            return broken == 0 ? 0 : 1;
        }
    }

    @Command(name = "orders", mixinStandardHelpOptions = true,
            description = "A shop's mix against the demo: order status reads and order writes at fixed rates.")
    static final class Orders implements Callable<Integer> {

        @Option(names = "--reads", defaultValue = "2500", description = "Status reads per second (default ${DEFAULT-VALUE}).")
        private int reads;

        @Option(names = "--writes", defaultValue = "500", description = "Orders per second (default ${DEFAULT-VALUE}).")
        private int writes;

        @Option(names = "--seconds", defaultValue = "60", description = "How long (default ${DEFAULT-VALUE}).")
        private int seconds;

        @Option(names = "--writes-to-kafka",
                description = "Put the orders straight on order-commands, as the gateway would: the pipeline alone.")
        private boolean writesToKafka;

        @Option(names = "--warmup-seconds", defaultValue = "150",
                description = "The same mix first, not measured, while the JIT compiles (default ${DEFAULT-VALUE}).")
        private int warmUpSeconds;

        @Option(names = "--set", paramLabel = "KEY=VALUE",
                description = "A configuration key set on the demo's instance (repeatable).")
        private Map<String, String> overrides = new HashMap<>();

        @Override
        public Integer call() throws Exception {
            final OrdersBenchmark.Result result = OrdersBenchmark.run(
                    new OrdersBenchmark.Settings(reads, writes, writesToKafka, Duration.ofSeconds(warmUpSeconds),
                            Duration.ofSeconds(seconds), overrides), System.out);
            System.out.printf("reads: %,d (%,.0f/s), errors %d, p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                    result.reads(), result.reads() / (double) seconds, result.readErrors(), result.readP50(),
                    result.readP99(), result.readMax());
            System.out.printf("orders: %,d (%,.0f/s), errors %d, POST p50 %.1f ms, p99 %.1f ms%n", result.writes(),
                    result.writes() / (double) seconds, result.writeErrors(), result.writeP50(), result.writeP99());
            System.out.printf("terminal: %,d, create -> terminal p50 %.0f ms, p99 %.0f ms; %,.0f orders/s made terminal%n",
                    result.terminal(), result.createToTerminalP50(), result.createToTerminalP99(),
                    result.terminalPerSecond());
            System.out.printf("requests not sent because too many were open (shed): %,d%n", result.shed());
            return result.readErrors() == 0 && result.writeErrors() == 0 && result.shed() == 0 ? 0 : 1;
        }
    }

    @Command(name = "payments", mixinStandardHelpOptions = true,
            description = "Balance commands beside Kafka's own transactional pipe: the ceiling, the partner pipeline, "
                    + "latency at a fixed rate, records and CPU per command, and a chart.")
    static final class Payments implements Callable<Integer> {

        @Option(names = "--commands", defaultValue = "200000",
                description = "Commands in the ceiling and pipeline phases (default ${DEFAULT-VALUE}).")
        private int commands;

        @Option(names = "--partners", defaultValue = "1000", description = "Partners (default ${DEFAULT-VALUE}).")
        private int partners;

        @Option(names = "--zipf", defaultValue = "0",
                description = "Zipf exponent of the partners' popularity; 0 is uniform, 1 a few hot partners "
                        + "(default ${DEFAULT-VALUE}).")
        private double zipf;

        @Option(names = "--batch-size", defaultValue = "1000",
                description = "Operations per ApplyBatch in the batched phase, which applies ten times --commands "
                        + "operations; 0 skips it (default ${DEFAULT-VALUE}).")
        private int batchSize;

        @Option(names = "--warmup-rounds", defaultValue = "1",
                description = "Rounds of the ceiling, floor, pipeline and batched phases run first and not measured, "
                        + "while the JIT compiles (default ${DEFAULT-VALUE}).")
        private int warmUpRounds;

        @Option(names = "--rate", defaultValue = "10000",
                description = "Commands per second offered in the latency phase; 0 skips it (default ${DEFAULT-VALUE}).")
        private int rate;

        @Option(names = "--latency-seconds", defaultValue = "20",
                description = "Length of the latency phase (default ${DEFAULT-VALUE}).")
        private int latencySeconds;

        @Option(names = "--bootstrap", description = "An external Kafka cluster instead of the embedded broker.")
        private String bootstrap;

        @Option(names = "--registry", description = "The external cluster's schema registry URL (with --bootstrap).")
        private String registry;

        @Option(names = "--out", defaultValue = "target/bench-payments",
                description = "Where the charts are written (default ${DEFAULT-VALUE}).")
        private Path outDir;

        @Option(names = "--set", paramLabel = "KEY=VALUE",
                description = "A configuration key set on the node (repeatable).")
        private Map<String, String> overrides = new HashMap<>();

        @Option(names = "--verify", description = "After the phases, audit everything written with bursar verify's "
                + "auditor and time it.")
        private boolean verify;

        @Override
        public Integer call() throws Exception {
            final PaymentsBenchmark.Result result = PaymentsBenchmark.run(new PaymentsBenchmark.Settings(commands,
                    partners, zipf, batchSize, warmUpRounds, rate, latencySeconds, bootstrap, registry, outDir, overrides, verify),
                    System.out);
            System.out.printf("%n== bursar bench payments: %,d commands, %,d partners, zipf %.2f ==%n", commands,
                    partners, zipf);
            System.out.printf("ceiling (transactional copy): %,.0f records/s%n", result.ceilingPerSecond());
            System.out.printf("Kafka Streams floor (trivial exactly-once processor): %,.0f records/s = %.3f x the "
                    + "ceiling%n", result.streamsFloorPerSecond(), result.streamsFloorPerSecond() / result.ceilingPerSecond());
            System.out.printf("partner pipeline: %,.0f commands/s = %.3f x the ceiling, %.3f x the Streams floor%n",
                    result.pipelinePerSecond(), result.ratio(), result.pipelinePerSecond() / result.streamsFloorPerSecond());
            if (batchSize > 0) {
                System.out.printf("batched (ApplyBatch of %d): %,.0f operations/s (%,.0f commands/s)%n", batchSize,
                        result.batchedOperationsPerSecond(), result.batchedCommandsPerSecond());
            }
            if (rate > 0) {
                System.out.printf("latency at %,d/s offered: p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms (%,d results)%n",
                        rate, result.latencyP50Ms(), result.latencyP99Ms(), result.latencyP999Ms(),
                        result.latencyResults());
            }
            System.out.printf("records written per command: %.2f%n", result.recordsPerCommand());
            result.recordsPerCommandByTopic().forEach((topic, perCommand) ->
                    System.out.printf("  %-60s %.3f%n", topic, perCommand));
            System.out.println("CPU seconds per 1,000 commands:");
            result.cpuSecondsPer1000().forEach((group, seconds) -> System.out.printf("  %-36s %.3f%n", group, seconds));
            if (batchSize > 0) {
                System.out.println("CPU seconds per 1,000,000 batched operations:");
                result.batchedCpuSecondsPerMillionOperations().forEach((group, seconds) ->
                        System.out.printf("  %-36s %.2f%n", group, seconds));
            }
            result.charts().forEach(chart -> System.out.println("chart: " + chart.toAbsolutePath()));
            return 0;
        }
    }
}
