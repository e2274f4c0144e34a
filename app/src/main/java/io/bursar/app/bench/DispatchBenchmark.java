package io.bursar.app.bench;

import io.bursar.app.BursarConfig;
import io.bursar.app.BursarNode;
import io.bursar.app.kafka.EmbeddedKafkaBroker;
import io.bursar.connectors.HttpJsonConnector;
import io.bursar.connectors.ProviderSetting;
import io.bursar.gateway.GatewayConfig;
import io.bursar.sandbox.ProviderSimulator;
import io.bursar.sandbox.SimulatorConfig;
import io.bursar.sandbox.SimulatorStats;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentMethod;
import io.bursar.schemas.payments.RequestPayment;
import io.bursar.schemas.payments.RequestPaymentKind;
import java.io.PrintStream;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Provider dispatch under a backlog: {@code rate · seconds} PROVIDER payments are queued at once on a
 * real in-process broker, and the provider simulator (no failures, its own limit at the rate) counts
 * what arrives each second. Reports the share of the rate used and the most calls in any one second.
 */
public final class DispatchBenchmark {

    private static final String PROVIDER = "bench";
    private static final int PARTNERS = 10;

    /**
     * @param ratePerSecond the provider's configured rate (and the simulator's limit)
     * @param seconds       how long the backlog lasts at that rate
     * @param latency       the simulator's answer time (plus up to half as much jitter)
     * @param overrides     configuration keys set on the node (docs/configuration.md)
     */
    public record Settings(int ratePerSecond, int seconds, Duration latency, Map<String, String> overrides) {
        public Settings {
            overrides = Map.copyOf(overrides);
            if (ratePerSecond < 1 || seconds < 3) {
                throw new IllegalArgumentException("rate >= 1 and seconds >= 3 needed");
            }
        }
    }

    private DispatchBenchmark() {
    }

    /** Runs one benchmark and returns its measurement; progress goes to {@code out}. */
    public static RateUsage run(final Settings settings, final PrintStream out) throws Exception {
        final int payments = settings.ratePerSecond() * settings.seconds();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start();
             ProviderSimulator simulator = ProviderSimulator.start(SimulatorConfig.defaults()
                     .withLatency(settings.latency(), settings.latency().dividedBy(2))
                     .withRateLimitPerSecond(settings.ratePerSecond())
                     .withDedupe(true));
             BursarNode node = BursarNode.start(config(broker, simulator, settings))) {
            node.awaitRunning(Duration.ofSeconds(60));
            out.printf("Queueing %,d payments for provider %s at %d calls/s (latency %d ms)...%n", payments, PROVIDER,
                    settings.ratePerSecond(), settings.latency().toMillis());
            publish(node, payments);
            final Instant deadline = Instant.now().plusSeconds(settings.seconds() * 3L + 60);
            SimulatorStats stats = simulator.stats();
            while (stats.successfulCharges() < payments) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("only " + stats.successfulCharges() + " of " + payments
                            + " charges made in time");
                }
                Thread.sleep(200);
                stats = simulator.stats();
            }
            if (stats.rateLimitViolations() > 0) {
                out.printf("The provider refused %d calls over its limit%n", stats.rateLimitViolations());
            }
            return RateUsage.of(stats, settings.ratePerSecond());
        }
    }

    private static BursarConfig config(final EmbeddedKafkaBroker broker, final ProviderSimulator simulator,
                                       final Settings run) throws Exception {
        final int rate = run.ratePerSecond();
        final Map<String, String> settings = new HashMap<>(Map.of(
                BursarConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers(),
                BursarConfig.SCHEMA_REGISTRY_URL, "mock://bench-" + UUID.randomUUID(),
                BursarConfig.APPLICATION_ID, "bursar-bench",
                BursarConfig.STATE_DIR, Files.createTempDirectory("bursar-bench").toString(),
                GatewayConfig.HTTP_PORT, "0"));
        final String prefix = ProviderSetting.PREFIX + PROVIDER + ".";
        settings.put(prefix + ProviderSetting.TYPE.suffix(), HttpJsonConnector.TYPE);
        settings.put(prefix + ProviderSetting.URL.suffix(), simulator.baseUrl().toString());
        settings.put(prefix + ProviderSetting.RATE_PER_SECOND.suffix(), Integer.toString(rate));
        // A tenth of a second's worth: enough for every call a 50 ms punctuation may start, while a provider
        // never receives a whole second's calls at once (a burst of new connections arrives spread out).
        settings.put(prefix + ProviderSetting.BURST.suffix(), Integer.toString(Math.max(2, rate / 10)));
        settings.putAll(run.overrides());
        return new BursarConfig(settings);
    }

    private static void publish(final BursarNode node, final int payments) throws Exception {
        final List<CompletableFuture<Void>> sent = new ArrayList<>(payments);
        for (int i = 0; i < payments; i++) {
            final String partnerId = "partner-" + (i % PARTNERS);
            sent.add(node.publisher().publish(PaymentCommand.newBuilder()
                    .setCommandId("bench-" + i).setPartnerId(partnerId).setIssuedAt(Instant.now())
                    .setPayload(new RequestPayment(RequestPaymentKind.REQUEST_PAYMENT, "bench-pay-" + i, new Money(100L + i, "EUR"), PaymentMethod.PROVIDER,
                            PROVIDER, null, null))
                    .build()));
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    }
}
