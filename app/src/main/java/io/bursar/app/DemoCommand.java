package io.bursar.app;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bursar demo}: everything on this machine, with sample data; prints the URL and requests to try. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start an embedded Kafka broker, the schema registry and Bursar with sample partners.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--http-port", defaultValue = "8080",
            description = "Gateway port (default ${DEFAULT-VALUE}; a free one if taken).")
    private int httpPort;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "A configuration key set on top of the demo's own (repeatable; see docs/configuration.md).")
    private Map<String, String> overrides = new HashMap<>();

    @Override
    public Integer call() throws Exception {
        final ShutdownSignal shutdown = ShutdownSignal.install();
        try (Demo demo = Demo.start(httpPort, overrides)) {
            System.out.printf("%nBursar demo is running (started in %.1f s).%n", demo.startupTime().toMillis() / 1000.0);
            System.out.println("  Gateway:  " + demo.url());
            System.out.println("  Kafka:    " + demo.bootstrapServers());
            System.out.println("  Registry: " + demo.registryUrl());
            System.out.println("  Provider: " + demo.simulatorUrl() + " (simulator; GET /stats)");
            System.out.println("  Lending:  pool " + Demo.LOAN_POOL + " of " + Demo.LOANS + " loans, Finance Service "
                    + demo.financeUrl() + " (simulator, 2 calls/s; GET /stats), investor " + Demo.INVESTOR
                    + "; a 10,000-note order: docs/lending.md");
            System.out.println("  Metrics:  " + demo.url() + "/metrics   API: " + demo.url() + "/openapi.json");
            System.out.println("  Config:   " + demo.configFile() + "   Audit: bin/bursar verify --config "
                    + demo.configFile());
            System.out.println("  API keys: admin " + demo.adminKey() + "   partner acme " + demo.acmeKey());
            System.out.println("Sample partners: " + String.join(", ", Demo.SAMPLE_PARTNERS.keySet().stream().sorted().toList())
                    + ". Try:");
            demo.curlLines().forEach(line -> System.out.println("  " + line));
            System.out.println("Press Ctrl-C to stop.");
            shutdown.awaitStop();
        } finally {
            shutdown.closed();
        }
        return 0;
    }
}
