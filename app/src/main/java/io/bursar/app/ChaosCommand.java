package io.bursar.app;

import io.bursar.app.chaos.Chaos;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bursar chaos}: a crash run on real processes, judged by the auditor and the provider's counters. */
@Command(name = "chaos", mixinStandardHelpOptions = true,
        description = "Run a broker process, several instances and a failing provider under a mixed load while "
                + "killing instances (SIGKILL) and the broker, then audit. Exit code 1 if anything broke.")
final class ChaosCommand implements Callable<Integer> {

    @Option(names = "--minutes", defaultValue = "2", description = "How long the load and the faults run (default ${DEFAULT-VALUE}).")
    private double minutes;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the fault schedule and the load (default ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--instances", defaultValue = "3", description = "bursar run processes (default ${DEFAULT-VALUE}).")
    private int instances;

    @Option(names = "--rate", defaultValue = "100", description = "Commands per second offered (default ${DEFAULT-VALUE}).")
    private int rate;

    @Option(names = "--kill-every", defaultValue = "5,12", split = ",", paramLabel = "MIN,MAX",
            description = "Seconds between two kills, drawn between MIN and MAX (default ${DEFAULT-VALUE}).")
    private int[] killEvery;

    @Option(names = "--provider-rate", defaultValue = "40",
            description = "The provider's calls per second (default ${DEFAULT-VALUE}); with the run's one-second window "
                    + "margin, Bursar starts at most this many in any two seconds.")
    private int providerRate;

    @Option(names = "--work-dir", description = "Where the processes keep data and logs (default: a new temp folder).")
    private Path workDir;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "A configuration key set on every instance (repeatable), e.g. streams.num.standby.replicas=2.")
    private Map<String, String> instanceSettings = new HashMap<>();

    @Override
    public Integer call() throws Exception {
        final Path jar = Path.of(ChaosCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        final Path dir = workDir != null ? workDir : Files.createTempDirectory("bursar-chaos");
        final Chaos.Result result = Chaos.run(new Chaos.Settings(Duration.ofMillis((long) (minutes * 60_000)), seed,
                instances, rate, Duration.ofSeconds(killEvery[0]), Duration.ofSeconds(killEvery[killEvery.length - 1]),
                providerRate, Duration.ofMinutes(5), jar, dir, instanceSettings), System.out);
        System.out.println(Chaos.summary(result));
        System.out.println("logs and data: " + dir);
        return result.passed() ? 0 : 1;
    }
}
