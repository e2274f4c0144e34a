package io.bursar.app;

import io.bursar.sandbox.ProviderSimulator;
import io.bursar.sandbox.SimulatorConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bursar simulator}: the provider simulator the demo and the tests use, as a process of its own, so a
 * deployment (compose, a staging cluster) has a slow, failing provider to throttle against.
 */
@Command(name = "simulator", mixinStandardHelpOptions = true,
        description = "Serve a simulated payment provider (POST /charges, /refunds, /bulk; GET /stats) with its own "
                + "rate limit, latency and failures.")
final class SimulatorCommand implements Callable<Integer> {

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default ${DEFAULT-VALUE}).")
    private String host;

    @Option(names = "--port", defaultValue = "8090", description = "Port to listen on (default ${DEFAULT-VALUE}).")
    private int port;

    @Option(names = "--rate", defaultValue = "2",
            description = "Calls per second it accepts; more are answered 429 (default ${DEFAULT-VALUE}; 0: no limit).")
    private int rate;

    @Option(names = "--latency-ms", defaultValue = "50", description = "Latency of each answer (default ${DEFAULT-VALUE}).")
    private long latencyMs;

    @Option(names = "--server-errors", defaultValue = "0", description = "Share of calls answered 500 (0..1).")
    private double serverErrors;

    @Option(names = "--too-many", defaultValue = "0", description = "Share of calls answered 429 (0..1).")
    private double tooMany;

    @Option(names = "--timeouts", defaultValue = "0", description = "Share of calls answered after 30 s (0..1).")
    private double timeouts;

    @Option(names = "--dedupe", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Answer a repeated idempotency key with its first charge (default); --no-dedupe charges again.")
    private boolean dedupe;

    @Override
    public Integer call() throws Exception {
        final SimulatorConfig config;
        try {
            config = SimulatorConfig.defaults()
                    .withRateLimitPerSecond(rate)
                    .withLatency(Duration.ofMillis(latencyMs), Duration.ofMillis(latencyMs / 2))
                    .withFailureRates(serverErrors, tooMany, timeouts)
                    .withTimeoutDelay(Duration.ofSeconds(30))
                    .withDedupe(dedupe);
        } catch (final IllegalArgumentException e) {
            throw new StartupException("bad option: " + e.getMessage(), e);
        }
        final ProviderSimulator started;
        try {
            started = ProviderSimulator.start(config, new InetSocketAddress(host, port));
        } catch (final IOException e) {
            throw new StartupException("cannot listen on " + host + ":" + port + " (" + e.getMessage() + ")", e);
        }
        final ShutdownSignal shutdown = ShutdownSignal.install();
        try (ProviderSimulator simulator = started) {
            System.out.printf("Provider simulator on %s:%d (%s calls/s, %.0f %% 500, %.0f %% 429, %.0f %% timeouts, "
                            + "dedupe %s); counters at /stats. Press Ctrl-C to stop.%n", host, simulator.port(),
                    rate == 0 ? "unlimited" : Integer.toString(rate), serverErrors * 100, tooMany * 100,
                    timeouts * 100, dedupe ? "on" : "off");
            shutdown.awaitStop();
        } finally {
            shutdown.closed();
        }
        return 0;
    }
}
