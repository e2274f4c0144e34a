package io.bursar.app;

import io.bursar.app.kafka.EmbeddedKafkaBroker;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bursar broker}: the demo's single-node KRaft broker as a process of its own, on a data folder that
 * survives it, so that a test or a user can stop, kill and restart the broker apart from Bursar.
 */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = "Run a single-node Kafka broker (KRaft) on 127.0.0.1 with a data folder kept across restarts.")
final class BrokerCommand implements Callable<Integer> {

    @Option(names = "--data-dir", required = true,
            description = "The broker's data folder: formatted on first use, reused (same cluster, same data) after.")
    private Path dataDir;

    @Option(names = "--port", defaultValue = "9092", description = "Client port on 127.0.0.1 (default ${DEFAULT-VALUE}).")
    private int port;

    @Option(names = "--controller-port", defaultValue = "9093",
            description = "KRaft controller port on 127.0.0.1 (default ${DEFAULT-VALUE}).")
    private int controllerPort;

    @Override
    public Integer call() throws Exception {
        final ShutdownSignal shutdown = ShutdownSignal.install();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().dataDir(dataDir.toAbsolutePath())
                .port(port).controllerPort(controllerPort).build().start()) {
            System.out.println("Kafka broker ready at " + broker.bootstrapServers() + " (cluster " + broker.clusterId()
                    + ", data in " + broker.dataDir() + "). Press Ctrl-C to stop.");
            shutdown.awaitStop();
        } finally {
            shutdown.closed();
        }
        return 0;
    }
}
