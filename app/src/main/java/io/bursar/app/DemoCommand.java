package io.bursar.app;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bursar demo}: everything on this machine, with sample data; prints the URL and requests to try. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start an embedded Kafka broker, the schema registry and Bursar with sample partners.")
final class DemoCommand implements Callable<Integer> {

    /** The most commands a second {@code --load} offers: beyond, the demo measures the laptop, not Bursar. */
    static final double LOAD_MAX = 1_000;

    @Option(names = "--http-port", defaultValue = "8080",
            description = "Gateway port (default ${DEFAULT-VALUE}; a free one if taken).")
    private int httpPort;

    @Option(names = "--load", paramLabel = "RATE", defaultValue = "0",
            description = "Keep a gentle mixed load of RATE commands a second running (balances, provider payments, "
                    + "orders), so the live page shows life; 10 is gentle. Default: none.")
    private double load;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "A configuration key set on top of the demo's own (repeatable; see docs/configuration.md).")
    private Map<String, String> overrides = new HashMap<>();

    @Override
    public Integer call() throws Exception {
        final ShutdownSignal shutdown = ShutdownSignal.install();
        if (load < 0 || Double.isNaN(load) || load > LOAD_MAX) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--load must be 0 to " + LOAD_MAX
                    + " commands a second, was " + load);
        }
        try (Demo demo = Demo.start(httpPort, overrides)) {
            if (load > 0) {
                demo.startLoad(load);
            }
            System.out.printf("%nBursar demo is running (started in %.1f s).%n", demo.startupTime().toMillis() / 1000.0);
            System.out.println("  Gateway:  " + demo.url());
            System.out.println("  Live:     " + demo.pageUrl() + "   (the live operations page, viewer key; "
                    + (load > 0 ? "a load of " + load + " commands/s is running)" : "bursar demo --load 10 adds a load)"));
            System.out.println("  Kafka:    " + demo.bootstrapServers());
            System.out.println("  Registry: " + demo.registryUrl());
            System.out.println("  Provider: " + demo.simulatorUrl() + " (simulator; GET /stats)");
            System.out.println("  Lending:  pool " + Demo.LOAN_POOL + " of " + Demo.LOANS + " loans, Finance Service "
                    + demo.financeUrl() + " (simulator, 2 calls/s; GET /stats), investor " + Demo.INVESTOR
                    + "; a 10,000-note order: docs/lending.md");
            System.out.println("  Metrics:  " + demo.url() + "/metrics   API: " + demo.url() + "/openapi.json");
            System.out.println("  Config:   " + demo.configFile() + "   Audit: bin/bursar verify --config "
                    + demo.configFile());
            System.out.println("  API keys: admin " + demo.adminKey() + "   partner acme " + demo.acmeKey() + "   viewer "
                    + demo.viewerKey());
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
