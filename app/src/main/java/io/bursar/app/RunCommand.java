package io.bursar.app;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bursar run --config FILE}: one instance against an external Kafka cluster and schema registry. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run one Bursar instance against an external Kafka cluster and schema registry.")
final class RunCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "Properties file (see docs/configuration.md).")
    private Path configFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "A configuration key over the file's (repeatable), e.g. http.advertised.host=bursar-1.")
    private Map<String, String> overrides = new HashMap<>();

    @Override
    public Integer call() throws IOException, InterruptedException {
        final Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(configFile, StandardCharsets.UTF_8)) {
            props.load(reader);
        }
        props.putAll(overrides);
        final BursarConfig config = new BursarConfig(props);
        final ShutdownSignal shutdown = ShutdownSignal.install();
        try (BursarNode node = BursarNode.start(config)) {
            node.awaitRunning(Duration.ofMinutes(5));
            System.out.println("Bursar is running: " + node.gateway().url());
            shutdown.awaitRequest();
        } finally {
            shutdown.closed();
        }
        return 0;
    }
}
