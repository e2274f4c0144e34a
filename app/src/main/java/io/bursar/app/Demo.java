package io.bursar.app;

import io.bursar.app.kafka.EmbeddedKafkaBroker;
import io.bursar.app.load.MixedLoad;
import io.bursar.connectors.HttpJsonConnector;
import io.bursar.connectors.ProviderSetting;
import io.bursar.gateway.ApiKeys;
import io.bursar.gateway.GatewayConfig;
import io.bursar.queries.Read;
import io.bursar.sandbox.EmbeddedSchemaRegistry;
import io.bursar.sandbox.ProviderSimulator;
import io.bursar.sandbox.SimulatorConfig;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.orders.LoanTerms;
import io.bursar.schemas.orders.OrderCommand;
import io.bursar.schemas.orders.UpsertItem;
import io.bursar.schemas.orders.UpsertItemKind;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.CreditKind;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.topology.orders.OrderTopologyConfig;
import java.io.IOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The embedded default: a real single-node KRaft broker in this JVM, the Apicurio registry as a child
 * process, the provider simulator as provider {@value #PROVIDER_ID} (2 calls/s, a little slow and
 * flaky, deduplicating like a real provider), one Bursar instance on them, and a few sample partners.
 * For lending, a second simulator is the Finance Service {@value #FINANCE_ID} (2 calls/s, bulk calls) that keeps
 * the record of pool {@value #LOAN_POOL}, whose loan book of {@value #LOANS} loans is loaded at start, and
 * investor {@value #INVESTOR} has the cash to buy a note of each. Closing stops all of it.
 */
public final class Demo implements AutoCloseable {

    /** Sample partners and their opening credit, in EUR minor units. */
    static final Map<String, Long> SAMPLE_PARTNERS = Map.of("acme", 100_000L, "globex", 250_000L, "initech", 50_000L);
    /** The simulated provider's id. */
    static final String PROVIDER_ID = "sim";
    /** The simulated Finance Service's id: it keeps the record of the loans of pool {@value #LOAN_POOL}. */
    static final String FINANCE_ID = "finance";
    /** The category the demo's loans are in (their pool). */
    static final String LOAN_POOL = "loans";
    /** Loans in the demo's book, {@code loan-00000} to {@code loan-09999}, each of {@value #NOTES_PER_LOAN} notes. */
    static final int LOANS = 10_000;
    static final long NOTES_PER_LOAN = 4;
    /** One note's size, in EUR minor units. */
    static final long NOTE_MINOR = 2_500;
    /** The sample investor: its balance pays for its orders of notes. */
    static final String INVESTOR = "investor-1";
    static final long INVESTOR_CASH_MINOR = 2 * LOANS * NOTE_MINOR;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final List<AutoCloseable> started = new ArrayList<>();
    /** Fresh keys every run; only their hashes are configured. */
    private final String adminKey = ApiKeys.newKey();
    private final String acmeKey = ApiKeys.newKey();
    private final String viewerKey = ApiKeys.newKey();
    private BursarNode node;
    private EmbeddedKafkaBroker broker;
    private EmbeddedSchemaRegistry registry;
    private ProviderSimulator simulator;
    private ProviderSimulator finance;
    private Duration startupTime;
    /** The demo's application id (its consumer group, and the prefix of its internal topics). */
    public static final String APPLICATION_ID = "bursar-demo";
    private Path configFile;

    private Demo() {
    }

    /** Starts everything and loads the sample partners; returns once their balances can be read. */
    public static Demo start(final int httpPort) throws Exception {
        return start(httpPort, Map.of());
    }

    /** As {@link #start(int)}, with configuration keys set on top of the demo's own (docs/configuration.md). */
    public static Demo start(final int httpPort, final Map<String, String> overrides) throws Exception {
        final Instant begin = Instant.now();
        final Demo demo = new Demo();
        // The registry process and the broker take seconds each to start: start them side by side.
        final CompletableFuture<EmbeddedSchemaRegistry> registryStarting =
                CompletableFuture.supplyAsync(EmbeddedSchemaRegistry::start);
        try {
            try {
                demo.broker = demo.track(EmbeddedKafkaBroker.builder().build().start());
            } finally {
                demo.registry = demo.track(registryStarting.join());
            }
            // Slow and a little flaky, so retries show; it deduplicates by idempotency key like a real provider.
            demo.simulator = demo.track(ProviderSimulator.start(SimulatorConfig.defaults()
                    .withLatency(Duration.ofMillis(150), Duration.ofMillis(100))
                    .withFailureRates(0.05, 0, 0)
                    .withDedupe(true)));
            // The lending platform's Finance Service: slow, 2 calls/s, some calls failing whole, now and then a line refused.
            demo.finance = demo.track(ProviderSimulator.start(SimulatorConfig.defaults()
                    .withLatency(Duration.ofMillis(200), Duration.ofMillis(100))
                    .withFailureRates(0.05, 0, 0)
                    .withLineRefusalRate(0.002)
                    .withDedupe(true)
                    .withSeed(7)));
            final Path stateDir = Files.createTempDirectory("bursar-demo-state");
            final Map<String, String> settings = new HashMap<>(Map.of(
                    BursarConfig.BOOTSTRAP_SERVERS, demo.broker.bootstrapServers(),
                    BursarConfig.SCHEMA_REGISTRY_URL, demo.registry.url(),
                    BursarConfig.APPLICATION_ID, APPLICATION_ID,
                    BursarConfig.STATE_DIR, stateDir.toString(),
                    GatewayConfig.HTTP_PORT, Integer.toString(isFree(httpPort) ? httpPort : 0),
                    // The demo is also the benchmark target: a key's rate limit must not be what is measured.
                    GatewayConfig.AUTH_RATE_PER_SECOND, "1000000",
                    GatewayConfig.AUTH_RATE_BURST, "1000000",
                    GatewayConfig.AUTH_API_KEYS, ApiKeys.sha256Hex(demo.adminKey) + ":admin,"
                            + ApiKeys.sha256Hex(demo.acmeKey) + ":partner:acme,"
                            + ApiKeys.sha256Hex(demo.viewerKey) + ":viewer"));
            settings.put(ProviderSetting.PREFIX + PROVIDER_ID + "." + ProviderSetting.TYPE.suffix(), HttpJsonConnector.TYPE);
            settings.put(ProviderSetting.PREFIX + PROVIDER_ID + "." + ProviderSetting.URL.suffix(),
                    demo.simulator.baseUrl().toString());
            settings.put(ProviderSetting.PREFIX + FINANCE_ID + "." + ProviderSetting.TYPE.suffix(), HttpJsonConnector.TYPE);
            settings.put(ProviderSetting.PREFIX + FINANCE_ID + "." + ProviderSetting.URL.suffix(),
                    demo.finance.baseUrl().toString());
            settings.put(OrderTopologyConfig.FULFILMENT_PROVIDERS, LOAN_POOL + "=" + FINANCE_ID);
            // An order of 10,000 notes is a body of about 400 kB.
            settings.put(GatewayConfig.HTTP_MAX_REQUEST_BYTES, Integer.toString(4 * 1024 * 1024));
            settings.putAll(overrides);
            demo.configFile = stateDir.resolve("bursar-demo.properties");
            writeProperties(settings, demo.configFile);
            demo.node = demo.track(BursarNode.start(new BursarConfig(settings)));
            demo.node.awaitRunning(READY_TIMEOUT);
            demo.loadSamplePartners();
            demo.loadLoanBook();
            demo.startupTime = Duration.between(begin, Instant.now());
            return demo;
        } catch (final Exception e) {
            demo.close();
            throw e;
        }
    }

    private <T extends AutoCloseable> T track(final T resource) {
        started.add(resource);
        return resource;
    }

    private void loadSamplePartners() throws Exception {
        final List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (final Map.Entry<String, Long> partner : SAMPLE_PARTNERS.entrySet()) {
            sent.add(node.publisher().publish(PaymentCommand.newBuilder()
                    .setCommandId("demo-opening-credit-" + partner.getKey())
                    .setPartnerId(partner.getKey())
                    .setIssuedAt(Instant.now())
                    .setPayload(new Credit(CreditKind.CREDIT, new Money(partner.getValue(), "EUR")))
                    .build()));
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        final Instant deadline = Instant.now().plus(READY_TIMEOUT);
        for (final String partnerId : SAMPLE_PARTNERS.keySet()) {
            while (!(node.balances().read(partnerId) instanceof Read.Found)) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("sample partner " + partnerId + " not visible in time");
                }
                Thread.sleep(50);
            }
        }
    }

    /**
     * Publishes the loan book (one UpsertItem per loan, in pool {@value #LOAN_POOL}) and credits the investor, and
     * waits until the catalog lists every loan, so that an order for them is accepted at once.
     */
    private void loadLoanBook() throws Exception {
        final List<CompletableFuture<Void>> sent = new ArrayList<>(LOANS + 1);
        for (int i = 0; i < LOANS; i++) {
            final String loanId = String.format("loan-%05d", i);
            sent.add(node.publisher().publish(OrderCommand.newBuilder()
                    .setCommandId("demo-loan-" + loanId).setCategoryId(LOAN_POOL).setIssuedAt(Instant.now())
                    .setPayload(UpsertItem.newBuilder().setUpsertItem(UpsertItemKind.UPSERT_ITEM).setItemId(loanId)
                            .setName("Loan " + loanId).setPrice(new Money(NOTE_MINOR, "EUR"))
                            .setStockSet(NOTES_PER_LOAN).setStockDelta(null)
                            .setLoan(new LoanTerms(600 + (i % 9) * 50, 12 + (i % 4) * 12)).build())
                    .build()));
        }
        sent.add(node.publisher().publish(PaymentCommand.newBuilder()
                .setCommandId("demo-opening-credit-" + INVESTOR).setPartnerId(INVESTOR).setIssuedAt(Instant.now())
                .setPayload(new Credit(CreditKind.CREDIT, new Money(INVESTOR_CASH_MINOR, "EUR"))).build()));
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        // An order naming a loan the catalog does not know yet is refused: wait for the last one to be listed.
        final String lastLoan = String.format("loan-%05d", LOANS - 1);
        final Instant deadline = Instant.now().plus(READY_TIMEOUT);
        while (!node.catalogues(lastLoan)) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("the loan book was not listed in time");
            }
            Thread.sleep(100);
        }
    }

    /** The running instance (both Streams applications, the publisher, the gateway). */
    public BursarNode node() {
        return node;
    }

    /** The gateway's base URL. */
    public String url() {
        return node.gateway().url();
    }

    /** The requests the demo prints; each one works against a fresh demo. */
    public List<String> curlLines() {
        final String base = url();
        final String auth = " -H 'Authorization: Bearer " + acmeKey + "'";
        final String json = auth + " -H 'Content-Type: application/json' -d ";
        return List.of(
                "curl -s" + auth + " " + base + "/v1/partners/acme/balance",
                "curl -s -X POST " + base + "/v1/partners/acme/debits" + json
                        + "'{\"amountMinor\":2500,\"currency\":\"EUR\"}'",
                "curl -s -X POST " + base + "/v1/partners/acme/holds" + json
                        + "'{\"holdId\":\"order-42\",\"amountMinor\":10000,\"currency\":\"EUR\",\"ttlMs\":600000}'",
                "curl -s -X POST " + base + "/v1/payments" + json + "'{\"paymentId\":\"pay-1\",\"partnerId\":\"acme\","
                        + "\"amountMinor\":4200,\"currency\":\"EUR\",\"method\":\"PROVIDER\",\"providerId\":\"" + PROVIDER_ID
                        + "\"}'",
                "curl -s" + auth + " '" + base + "/v1/payments/pay-1?waitMs=10000'");
    }

    /**
     * The live operations page, with the viewer key in the address's fragment (which browsers never send): the page
     * takes it from there, so the link opens the figures at once.
     */
    public String pageUrl() {
        return url() + "/ui#key=" + viewerKey;
    }

    /**
     * Keeps a {@link MixedLoad} of {@code ratePerSecond} commands a second running until the demo closes: balance
     * commands, payments through provider {@value #PROVIDER_ID}, orders; its partners and items are its own.
     */
    public void startLoad(final double ratePerSecond) {
        final MixedLoad load = new MixedLoad("demo-load", node.topics(), PROVIDER_ID, ratePerSecond, 1L,
                paymentId -> { });
        final AtomicBoolean running = new AtomicBoolean(true);
        final Thread thread = new Thread(() -> load.run(bootstrapServers(), running, new AtomicLong()), "demo-load");
        thread.setDaemon(true);
        thread.start();
        track(() -> {
            running.set(false);
            thread.join(Duration.ofSeconds(10).toMillis());
        });
    }

    /** Makes the simulated provider {@value #PROVIDER_ID} answer this share of calls with a 500 (the demo's is 5 %). */
    public void setProviderServerErrorRate(final double share) {
        simulator.setFailureRates(share, 0, 0);
    }

    /** An API key with the viewer role: the live page's figures, nothing else. */
    public String viewerKey() {
        return viewerKey;
    }

    /** An API key with the admin role. */
    public String adminKey() {
        return adminKey;
    }

    /** An API key that may act only on partner acme. */
    public String acmeKey() {
        return acmeKey;
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    public String registryUrl() {
        return registry.url();
    }

    /** The Finance Service simulator's base URL; {@code GET <url>/stats} counts its bulk calls and lines. */
    public String financeUrl() {
        return finance.baseUrl().toString();
    }

    /** The provider simulator's base URL; {@code GET <url>/stats} shows what it was asked. */
    public String simulatorUrl() {
        return simulator.baseUrl().toString();
    }

    /** The registry child process, so callers can check it is gone after {@link #close}. */
    public long registryPid() {
        return registry.pid();
    }

    public Duration startupTime() {
        return startupTime;
    }

    /**
     * The demo's configuration as a properties file, for the commands that take {@code --config}: {@code bursar
     * verify} audits the demo with it, and a {@code bursar run} with it (and its own {@code http.port} and
     * {@code state.dir}) joins the demo as a second instance.
     */
    public Path configFile() {
        return configFile;
    }

    private static void writeProperties(final Map<String, String> settings, final Path file) throws IOException {
        final Properties props = new Properties();
        props.putAll(settings);
        try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            props.store(writer, "bursar demo");
        }
    }

    /** Whether {@code port} can be bound on loopback now; when it cannot, the node picks a free one and the URL says which. */
    private static boolean isFree(final int port) {
        if (port == 0) {
            return true;
        }
        try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (final IOException busy) {
            return false;
        }
    }

    /** Stops the instance, then the registry process, then the broker. */
    @Override
    public void close() {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (final Exception e) {
                System.err.println("while stopping " + started.get(i).getClass().getSimpleName() + ": " + e);
            }
        }
        started.clear();
    }
}
