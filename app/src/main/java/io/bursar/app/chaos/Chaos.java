package io.bursar.app.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.app.BursarConfig;
import io.bursar.app.load.MixedLoad;
import io.bursar.app.verify.Audit;
import io.bursar.app.verify.AuditReport;
import io.bursar.app.verify.Auditor;
import io.bursar.connectors.HttpJsonConnector;
import io.bursar.connectors.ProviderSetting;
import io.bursar.gateway.ApiKeys;
import io.bursar.gateway.GatewayConfig;
import io.bursar.queries.PeerForwarder;
import io.bursar.sandbox.EmbeddedSchemaRegistry;
import io.bursar.sandbox.ProviderSimulator;
import io.bursar.sandbox.SimulatorConfig;
import io.bursar.sandbox.SimulatorStats;
import io.bursar.serdes.Topics;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * A crash run on real processes: a broker process ({@code bursar broker}), several {@code bursar run}
 * instances, the provider simulator failing with 5xx, 429 and timeouts, and a mixed load of balance
 * commands, short holds and provider payments, while instances are killed with SIGKILL at random (seeded)
 * moments and restarted, and the broker is killed and restarted once. Reads go through every instance's
 * gateway the whole time and are judged. When the load stops and the pipeline drains, the auditor of
 * {@code bursar verify} must find nothing and the simulator must have seen no duplicate charge and no call
 * over its rate.
 */
public final class Chaos {

    /**
     * @param duration        how long the load and the faults run
     * @param seed            makes the fault schedule and the load repeatable
     * @param instances       {@code bursar run} processes
     * @param rate            commands per second offered (a tenth of them provider payments)
     * @param killEveryMin    shortest wait between two kills
     * @param killEveryMax    longest wait between two kills
     * @param providerRate    calls per second the provider allows (the simulator enforces it)
     * @param drainTimeout    how long the pipeline may take to finish after the load stops
     * @param jar             the bursar jar the processes run
     * @param workDir         where the processes keep their data and logs
     * @param instanceSettings configuration keys set on every instance, over the run's own
     */
    public record Settings(Duration duration, long seed, int instances, int rate, Duration killEveryMin,
                           Duration killEveryMax, int providerRate, Duration drainTimeout, Path jar, Path workDir,
                           Map<String, String> instanceSettings) {
    }

    /** What a run saw. */
    public record Result(int kills, int brokerRestarts, long commandsSent, long providerPayments,
                         Map<String, Long> readAnswers, long wrongAnswers, List<String> wrongAnswerSamples,
                         AuditReport audit, SimulatorStats simulator, long recoveryMaxMs, long longestSilenceMs,
                         long drainMs, List<String> overRate) {

        /** No violation, no wrong answer, no duplicate charge, no call over the provider's rate. */
        public boolean passed() {
            return audit.clean() && wrongAnswers == 0 && simulator.duplicateCharges() == 0
                    && simulator.rateLimitViolations() == 0;
        }
    }

    private static final String APPLICATION_ID = "bursar-chaos";
    private static final String PROVIDER_ID = "sim";
    private static final long WINDOW_MARGIN_MS = 1_000;
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(2);
    private final Settings settings;
    private final PrintStream out;
    private final Random random;
    private final String adminKey = "chaos-admin-" + Long.toHexString(System.nanoTime());
    private final List<Process> processes = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, Long> answers = new ConcurrentHashMap<>();
    private final List<String> wrongSamples = new CopyOnWriteArrayList<>();
    private final AtomicLong wrong = new AtomicLong();
    private final List<String> providerPayments = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> seenRank = new ConcurrentHashMap<>();
    private final List<Fault> faults = new CopyOnWriteArrayList<>();

    /** A process killed, and when. */
    private record Fault(long atMs, String what) {
    }
    private final List<long[]> providerCalls = new CopyOnWriteArrayList<>();

    private Process broker;
    private int brokerPort;
    private int controllerPort;
    private Process[] instances;
    private int[] httpPorts;

    private Chaos(final Settings settings, final PrintStream out) {
        this.settings = settings;
        this.out = out;
        this.random = new Random(settings.seed());
    }

    public static Result run(final Settings settings, final PrintStream out) throws Exception {
        return new Chaos(settings, out).run();
    }

    private Result run() throws Exception {
        Files.createDirectories(settings.workDir());
        try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start();
             ProviderSimulator simulator = ProviderSimulator.start(SimulatorConfig.defaults()
                     .withLatency(Duration.ofMillis(30), Duration.ofMillis(30))
                     .withFailureRates(0.10, 0.05, 0.02).withTimeoutDelay(Duration.ofSeconds(3))
                     .withRateLimitPerSecond(settings.providerRate()).withDedupe(true).withSeed(settings.seed())
                     .withRetention(SimulatorConfig.WINDOW_SECONDS_RETAINED_MAX, SimulatorConfig.CHARGE_KEYS_RETAINED_MAX))) {
            brokerPort = freePort();
            controllerPort = freePort();
            startBroker();
            final String bootstrap = "127.0.0.1:" + brokerPort;
            httpPorts = new int[settings.instances()];
            instances = new Process[settings.instances()];
            for (int i = 0; i < settings.instances(); i++) {
                httpPorts[i] = freePort();
                writeConfig(i, bootstrap, registry.url(), simulator.baseUrl().toString());
            }
            // The first instance creates the topics; the others join once it is up.
            instances[0] = startInstance(0);
            awaitReady(0);
            for (int i = 1; i < settings.instances(); i++) {
                instances[i] = startInstance(i);
            }
            for (int i = 1; i < settings.instances(); i++) {
                awaitReady(i);
            }
            out.printf("chaos: broker 127.0.0.1:%d, %d instances on ports %s, provider %s at %d calls/s%n", brokerPort,
                    settings.instances(), java.util.Arrays.toString(httpPorts), simulator.baseUrl(),
                    settings.providerRate());

            final Topics topics = Topics.create(Map.of(BursarConfig.SCHEMA_REGISTRY_URL, registry.url()), 4);
            final AtomicBoolean running = new AtomicBoolean(true);
            final AtomicLong sent = new AtomicLong();
            final MixedLoad mixed = new MixedLoad("chaos-" + settings.seed(), topics, PROVIDER_ID, settings.rate(),
                    settings.seed(), providerPayments::add);
            final Thread load = started("chaos-load", () -> mixed.run(bootstrap, running, sent));
            final List<Thread> reads = new ArrayList<>();
            for (int i = 0; i < settings.instances(); i++) {
                final int instance = i;
                reads.add(started("chaos-reads-" + i, () -> reads(running, instance)));
            }
            final Thread sampler = started("chaos-provider", () -> {
                while (running.get()) {
                    providerCalls.add(new long[] {System.currentTimeMillis(), simulator.stats().calls()});
                    sleep(250);
                }
            });
            final int[] injected = injectFaults();
            running.set(false);
            load.join();
            for (final Thread reader : reads) {
                reader.join();
            }
            sampler.join();
            for (int i = 0; i < instances.length; i++) {
                if (!instances[i].isAlive()) {
                    instances[i] = startInstance(i);
                }
            }
            out.printf("chaos: load stopped after %,d commands (%,d provider payments); %d kills, %d broker restarts; "
                    + "draining%n", sent.get(), providerPayments.size(), injected[0], injected[1]);

            final long drainStart = System.nanoTime();
            final BursarConfig config = new BursarConfig(Map.of(BursarConfig.BOOTSTRAP_SERVERS, bootstrap,
                    BursarConfig.SCHEMA_REGISTRY_URL, registry.url(), BursarConfig.APPLICATION_ID, APPLICATION_ID));
            AuditReport report = null;
            final long deadline = drainStart + settings.drainTimeout().toNanos();
            while (System.nanoTime() < deadline) {
                if (drained(bootstrap, topics)) {
                    report = audit(config, topics);
                    if (report.clean()) {
                        break;
                    }
                }
                sleep(3_000);
            }
            if (report == null) {
                report = audit(config, topics);
            }
            final long drainMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - drainStart);
            return new Result(injected[0], injected[1], sent.get(), providerPayments.size(), new TreeMap<>(answers),
                    wrong.get(), List.copyOf(wrongSamples), report, simulator.stats(), recoveryMaxMs(), longestSilenceMs(),
                    drainMs, overRate(simulator.stats()));
        } finally {
            for (final Process process : processes) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** The run in a few lines: faults, load, reads by kind of answer, the provider's counters, the audit. */
    public static String summary(final Result result) {
        final StringBuilder text = new StringBuilder();
        text.append(String.format("%n== bursar chaos: %s ==%n", result.passed() ? "PASSED" : "FAILED"));
        text.append(String.format("faults: %d instance kills (SIGKILL), %d broker kill and restart%n", result.kills(),
                result.brokerRestarts()));
        text.append(String.format("load: %,d commands, %,d of them provider payments; drained in %.1f s%n",
                result.commandsSent(), result.providerPayments(), result.drainMs() / 1000.0));
        text.append(String.format("provider queue: longest wait from a kill to the provider's next call %.1f s; "
                + "longest stretch without a call under load %.1f s%n", result.recoveryMaxMs() / 1000.0,
                result.longestSilenceMs() / 1000.0));
        text.append("reads: ").append(result.readAnswers()).append(System.lineSeparator());
        result.wrongAnswerSamples().forEach(sample -> text.append("  wrong: ").append(sample).append(System.lineSeparator()));
        final SimulatorStats sim = result.simulator();
        text.append(String.format("provider: %,d calls, %,d charges, %,d idempotent replays, %d duplicate charges, "
                        + "%d calls over its rate, at most %d calls in one second%n", sim.calls(), sim.successfulCharges(),
                sim.idempotentReplays(), sim.duplicateCharges(), sim.rateLimitViolations(), sim.maxCallsInOneSecond()));
        result.overRate().forEach(second -> text.append("  over the rate: ").append(second).append(System.lineSeparator()));
        text.append("audit:").append(System.lineSeparator()).append(result.audit().text());
        return text.toString();
    }

    private AuditReport audit(final BursarConfig config, final Topics topics) throws Exception {
        return new Auditor(config.kafkaClientConfig(), topics, APPLICATION_ID, null).run(new Audit.Settings(
                System.currentTimeMillis(), 60_000, true, Map.of(PROVIDER_ID, settings.providerRate())));
    }

    /** The commands application has consumed every command written, of both command topics. */
    private boolean drained(final String bootstrap, final Topics topics) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            final Map<TopicPartition, OffsetSpec> request = new java.util.HashMap<>();
            for (final Topics.Topic<String, ?> topic : List.of(topics.paymentCommands, topics.orderCommands)) {
                for (int p = 0; p < topic.partitions(); p++) {
                    request.put(new TopicPartition(topic.name(), p), OffsetSpec.latest());
                }
            }
            final var ends = admin.listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                    .get(30, TimeUnit.SECONDS);
            final var committed = admin.listConsumerGroupOffsets(APPLICATION_ID).partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS);
            return ends.entrySet().stream().allMatch(end -> end.getValue().offset() == 0
                    || committed.get(end.getKey()) != null && committed.get(end.getKey()).offset() >= end.getValue().offset());
        } catch (final Exception e) {
            return false;
        }
    }

    /** Kills instances at random moments and the broker once, halfway; returns {kills, broker restarts}. */
    private int[] injectFaults() throws Exception {
        final long endMs = System.currentTimeMillis() + settings.duration().toMillis();
        final long brokerAtMs = System.currentTimeMillis() + settings.duration().toMillis() / 2;
        boolean brokerDone = false;
        int kills = 0;
        while (true) {
            final long waitMs = settings.killEveryMin().toMillis() + (long) (random.nextDouble()
                    * (settings.killEveryMax().toMillis() - settings.killEveryMin().toMillis()));
            if (System.currentTimeMillis() + waitMs >= endMs) {
                sleep(Math.max(0, endMs - System.currentTimeMillis()));
                return new int[] {kills, brokerDone ? 1 : 0};
            }
            sleep(waitMs);
            if (!brokerDone && System.currentTimeMillis() >= brokerAtMs) {
                out.printf("chaos: %s SIGKILL broker%n", Instant.now());
                broker.destroyForcibly().waitFor();
                faults.add(new Fault(System.currentTimeMillis(), "broker killed"));
                sleep(3_000);
                startBroker();
                brokerDone = true;
                continue;
            }
            final int victim = random.nextInt(instances.length);
            out.printf("chaos: %s SIGKILL instance %d (pid %d)%n", Instant.now(), victim, instances[victim].pid());
            instances[victim].destroyForcibly().waitFor();
            faults.add(new Fault(System.currentTimeMillis(), "instance " + victim + " killed"));
            kills++;
            sleep(2_000);
            instances[victim] = startInstance(victim);
        }
    }

    /** Reads provider payments through one instance's gateway and judges each answer. */
    private void reads(final AtomicBoolean running, final int instance) {
        final Random draw = new Random(settings.seed() + 2 + instance);
        while (running.get()) {
            if (providerPayments.isEmpty()) {
                sleep(50);
                continue;
            }
            final String paymentId = providerPayments.get(draw.nextInt(providerPayments.size()));
            try {
                final HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                + httpPorts[instance] + "/v1/payments/" + paymentId
                                + (draw.nextBoolean() ? "?waitMs=1000" : "")))
                        .header("Authorization", "Bearer " + adminKey).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                judge(paymentId, instance, answer);
            } catch (final IOException e) {
                count("unreachable (instance down)");
                sleep(200);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            sleep(20);
        }
    }

    private void judge(final String paymentId, final int instance, final HttpResponse<String> answer) throws IOException {
        final int status = answer.statusCode();
        if (status == 503) {
            if (answer.headers().firstValue("Retry-After").isPresent()) {
                count("503 with Retry-After");
            } else {
                wrong("503 without Retry-After for " + paymentId + " from instance " + instance);
            }
            return;
        }
        if (status == 404) {
            // Only payments whose command was written before the read are read.
            wrong("404 for " + paymentId + " from instance " + instance + ", accepted before the read");
            return;
        }
        if (status != 200) {
            wrong("HTTP " + status + " for " + paymentId + " from instance " + instance + ": " + answer.body());
            return;
        }
        final JsonNode body = json.readTree(answer.body());
        final String paymentStatus = body.path("status").asText();
        final int rank = rank(paymentStatus);
        final boolean fromStandby = answer.headers().firstValue(PeerForwarder.STANDBY_LAG_HEADER).isPresent();
        final Integer before = seenRank.get(paymentId);
        if (before != null && rank < before && !fromStandby) {
            wrong(paymentId + " read as " + paymentStatus + " from instance " + instance + " after a later state");
            return;
        }
        count(fromStandby ? "200 from a standby" : "200");
        if (!fromStandby) {
            seenRank.merge(paymentId, rank, Math::max);
        } else {
            seenRank.putIfAbsent(paymentId, -1);
        }
    }

    /** Order of a payment's states along its life, for telling an older answer from a newer one. */
    private static int rank(final String status) {
        return switch (status) {
            case "RECEIVED" -> 0;
            case "QUEUED" -> 1;
            case "SUBMITTED" -> 2;
            default -> 3;
        };
    }

    private void wrong(final String what) {
        wrong.incrementAndGet();
        count("wrong");
        if (wrongSamples.size() < 20) {
            wrongSamples.add(what);
        }
    }

    private void count(final String what) {
        answers.merge(what, 1L, Long::sum);
    }

    /** Each second in which the provider saw more calls than its rate, with the faults of the seconds before it. */
    private List<String> overRate(final SimulatorStats stats) {
        final List<String> seconds = new ArrayList<>();
        stats.callsPerSecond().forEach((second, calls) -> {
            if (calls > settings.providerRate()) {
                final List<String> near = faults.stream()
                        .filter(fault -> fault.atMs() / 1000 <= second && fault.atMs() / 1000 >= second - 30)
                        .map(fault -> (second - fault.atMs() / 1000) + " s after " + fault.what()).toList();
                seconds.add(Instant.ofEpochSecond(second) + ": " + calls + " calls"
                        + (near.isEmpty() ? "" : " (" + String.join(", ", near) + ")"));
            }
        });
        return seconds;
    }

    /** The longest stretch without a new provider call while the load offered payments every second. */
    private long longestSilenceMs() {
        long worst = 0;
        long lastIncreaseMs = providerCalls.isEmpty() ? 0 : providerCalls.get(0)[0];
        long lastCalls = providerCalls.isEmpty() ? 0 : providerCalls.get(0)[1];
        for (final long[] sample : providerCalls) {
            if (sample[1] > lastCalls) {
                worst = Math.max(worst, sample[0] - lastIncreaseMs);
                lastIncreaseMs = sample[0];
                lastCalls = sample[1];
            }
        }
        return worst;
    }

    /** After each kill, how long until the provider was called again; the longest of these. */
    private long recoveryMaxMs() {
        long worst = 0;
        for (final Fault fault : faults) {
            final long killMs = fault.atMs();
            long callsAtKill = -1;
            for (final long[] sample : providerCalls) {
                if (sample[0] < killMs) {
                    callsAtKill = sample[1];
                } else if (callsAtKill >= 0 && sample[1] > callsAtKill) {
                    worst = Math.max(worst, sample[0] - killMs);
                    break;
                }
            }
        }
        return worst;
    }

    private void writeConfig(final int instance, final String bootstrap, final String registry, final String provider)
            throws IOException {
        final Properties props = new Properties();
        props.setProperty(BursarConfig.BOOTSTRAP_SERVERS, bootstrap);
        props.setProperty(BursarConfig.SCHEMA_REGISTRY_URL, registry);
        props.setProperty(BursarConfig.APPLICATION_ID, APPLICATION_ID);
        props.setProperty(BursarConfig.STATE_DIR, settings.workDir().resolve("state-" + instance).toString());
        props.setProperty(GatewayConfig.HTTP_PORT, Integer.toString(httpPorts[instance]));
        props.setProperty(GatewayConfig.AUTH_API_KEYS, ApiKeys.sha256Hex(adminKey) + ":admin");
        props.setProperty(GatewayConfig.AUTH_RATE_PER_SECOND, "100000");
        props.setProperty(GatewayConfig.AUTH_RATE_BURST, "100000");
        props.setProperty(ProviderSetting.TYPE.key(PROVIDER_ID), HttpJsonConnector.TYPE);
        props.setProperty(ProviderSetting.URL.key(PROVIDER_ID), provider);
        props.setProperty(ProviderSetting.RATE_PER_SECOND.key(PROVIDER_ID), Integer.toString(settings.providerRate()));
        props.setProperty(ProviderSetting.BURST.key(PROVIDER_ID), Integer.toString(settings.providerRate()));
        props.setProperty(ProviderSetting.REQUEST_TIMEOUT_MS.key(PROVIDER_ID), "2000");
        // Six JVMs on two cores delay a started call's arrival by up to about a second (a run with the default
        // 30 ms saw 37 arrivals in one second while the recorded starts never exceeded 20): the margin is the
        // setting for exactly that, and widening the window to two seconds keeps every arrival second at the rate.
        props.setProperty(ProviderSetting.WINDOW_MARGIN_MS.key(PROVIDER_ID), Long.toString(WINDOW_MARGIN_MS));
        settings.instanceSettings().forEach(props::setProperty);
        try (Writer writer = Files.newBufferedWriter(configFile(instance), StandardCharsets.UTF_8)) {
            props.store(writer, "bursar chaos instance " + instance);
        }
    }

    private Path configFile(final int instance) {
        return settings.workDir().resolve("instance-" + instance + ".properties");
    }

    private void startBroker() throws Exception {
        broker = start("broker", List.of(), List.of("broker", "--data-dir", settings.workDir().resolve("broker").toString(),
                "--port", Integer.toString(brokerPort), "--controller-port", Integer.toString(controllerPort)));
        final long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket probe = new Socket(InetAddress.getLoopbackAddress(), brokerPort)) {
                return;
            } catch (final IOException notYet) {
                sleep(200);
            }
        }
        throw new IllegalStateException("the broker did not open port " + brokerPort);
    }

    private Process startInstance(final int instance) throws IOException {
        // Each instance's log shows when its Streams clients change state and what they restore after a crash.
        return start("instance-" + instance, List.of("-Dorg.slf4j.simpleLogger.log.org.apache.kafka.streams.KafkaStreams=info",
                "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.streams.processor.internals.StoreChangelogReader=info"),
                List.of("run", "--config", configFile(instance).toString()));
    }

    private Process start(final String name, final List<String> jvmOptions, final List<String> args) throws IOException {
        final List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx512m"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", settings.jar().toString()));
        command.addAll(args);
        final Path log = settings.workDir().resolve(name + ".log");
        final Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        processes.add(process);
        return process;
    }

    private void awaitReady(final int instance) throws Exception {
        final long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                final HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + httpPorts[instance] + "/health/ready")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (answer.statusCode() == 200) {
                    return;
                }
            } catch (final IOException notYet) {
                // still starting
            }
            sleep(500);
        }
        throw new IllegalStateException("instance " + instance + " not ready; see " + settings.workDir());
    }

    private static Thread started(final String name, final Runnable body) {
        final Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void sleep(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
