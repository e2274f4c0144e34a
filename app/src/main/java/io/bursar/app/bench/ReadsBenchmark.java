package io.bursar.app.bench;

import io.bursar.app.Demo;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Balance reads through the gateway of the demo, the way a payments team would measure them:
 *
 * <ol>
 *   <li><b>Open loop at a fixed offered rate.</b> Request {@code i} is due at {@code start + i / rate}; its
 *       latency runs from when it was due, not from when it went out, so a stall delays every request due
 *       during it and shows in the percentiles (no coordinated omission). Requests due while
 *       {@value #OPEN_MAX} are open are not sent and counted as shed: an overloaded server shows as shed and
 *       late requests, never as a quieter load.</li>
 *   <li><b>Saturation, beside the framework's floor.</b> {@value #SATURATION_CONNECTIONS} requests kept open at
 *       all times (each answer sends the next), first against {@code /health/live} (Javalin and Jetty answering
 *       with no work behind them: the most any route can do here), then against the balance route, in the same
 *       run: their ratio is what Bursar's read path costs.</li>
 * </ol>
 * One load-generator thread (a selector, see {@link NioHttp}) over {@value #SATURATION_CONNECTIONS} keep-alive
 * connections at most, as wrk's {@code -c}, shares the two cores with the server; a read due while all are busy
 * waits for one, and its wait counts in its latency.
 */
public final class ReadsBenchmark implements AutoCloseable {

    /** Requests open at once at most in the open-loop phase. */
    static final int OPEN_MAX = 1_024;
    /** Requests kept open in the saturation phases. */
    public static final int SATURATION_CONNECTIONS = 64;
    private static final int PARTNERS = 1_000;
    private static final int READ_TIMEOUT_MS = 30_000;
    private static final long HISTOGRAM_MAX_MICROS = TimeUnit.MINUTES.toMicros(1);

    /** What to run; {@code overrides} are configuration keys set on the demo's instance. */
    public record Settings(int rate, Duration warmUp, Duration duration, Duration saturation, Path outDir,
                           Map<String, String> overrides) {
        public Settings {
            overrides = Map.copyOf(overrides);
        }
    }

    /** Latencies in ms; rates in reads per second. */
    public record Result(int offered, long sent, long shed, long errors, double p50, double p99, double p999,
                         double max, double floorPerSecond, double balancePerSecond, long saturationErrors,
                         List<Path> charts) {

        /** Balance reads at saturation over the floor measured in the same run. */
        public double ratio() {
            return balancePerSecond / floorPerSecond;
        }
    }

    private final KeepAliveHttp setup;
    private final NioHttp load;

    private ReadsBenchmark(final String base, final String key) throws IOException {
        this.setup = new KeepAliveHttp(base, key, READ_TIMEOUT_MS);
        this.load = new NioHttp(base, key, READ_TIMEOUT_MS, SATURATION_CONNECTIONS);
    }

    /** Starts the demo, credits the partners, runs the phases and stops everything; progress goes to {@code out}. */
    public static Result run(final Settings settings, final PrintStream out) throws Exception {
        try (Demo demo = Demo.start(0, settings.overrides());
             ReadsBenchmark bench = new ReadsBenchmark(demo.url(), demo.adminKey())) {
            bench.creditPartners(out);
            return bench.measure(settings, out);
        }
    }

    private void creditPartners(final PrintStream out) throws Exception {
        out.printf("Crediting %,d partners...%n", PARTNERS);
        for (int p = 0; p < PARTNERS; p++) {
            final int status = setup.send("POST", "/v1/partners/" + partnerId(p) + "/credits",
                    "{\"amountMinor\":1000,\"currency\":\"EUR\"}").status();
            if (status != 202) {
                throw new IllegalStateException("credit answered " + status);
            }
        }
        final Instant deadline = Instant.now().plusSeconds(60);
        for (int p = 0; p < PARTNERS; p++) {
            while (setup.send("GET", balancePath(p), null).status() != 200) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("balances not readable in time");
                }
                Thread.sleep(50);
            }
        }
    }

    private Result measure(final Settings settings, final PrintStream out) throws Exception {
        if (!settings.warmUp().isZero()) {
            out.printf("Warming up: %,d reads/s for %d s (not measured)...%n", settings.rate(),
                    settings.warmUp().toSeconds());
            openLoop(settings.rate(), settings.warmUp(), out, new ArrayList<>());
        }
        out.printf("Open loop: %,d balance reads/s offered for %d s...%n", settings.rate(),
                settings.duration().toSeconds());
        final List<double[]> perSecond = new ArrayList<>();
        final OpenLoop measured = openLoop(settings.rate(), settings.duration(), out, perSecond);
        out.printf("Saturation: %d requests open at all times, %d s each: /health/live (the floor), then balances...%n",
                SATURATION_CONNECTIONS, settings.saturation().toSeconds());
        final Saturation floor = saturate(i -> "/health/live", settings.saturation(), out, "floor");
        final Saturation balances = saturate(ReadsBenchmark::balancePath, settings.saturation(), out, "balances");
        final Histogram latency = measured.latency();
        final List<Path> charts = charts(settings, perSecond, floor, balances);
        return new Result(settings.rate(), measured.sent(), measured.shed(), measured.errors(),
                millis(latency.getValueAtPercentile(50)), millis(latency.getValueAtPercentile(99)),
                millis(latency.getValueAtPercentile(99.9)), millis(latency.getMaxValue()), floor.perSecond(),
                balances.perSecond(), floor.errors() + balances.errors(), charts);
    }

    /** The open-loop phase's totals: every read's latency from when it was due. */
    private record OpenLoop(Histogram latency, long sent, long shed, long errors) {
    }

    private OpenLoop openLoop(final int rate, final Duration duration, final PrintStream out,
                              final List<double[]> perSecond) throws InterruptedException {
        final Recorder recorder = new Recorder(HISTOGRAM_MAX_MICROS, 3);
        final Histogram total = new Histogram(HISTOGRAM_MAX_MICROS, 3);
        final Semaphore open = new Semaphore(OPEN_MAX);
        final AtomicLong errors = new AtomicLong();
        long sent = 0;
        long shed = 0;
        final long startNanos = System.nanoTime();
        final long endNanos = startNanos + duration.toNanos();
        final long intervalNanos = TimeUnit.SECONDS.toNanos(1) / rate;
        long nextReportNanos = startNanos + TimeUnit.SECONDS.toNanos(1);
        long index = 0;
        while (true) {
            final long now = System.nanoTime();
            if (now >= endNanos) {
                break;
            }
            // Every request due by now goes out now, each timed from when it was due.
            for (long dueNanos = startNanos + index * intervalNanos; dueNanos <= now && dueNanos < endNanos;
                 dueNanos = startNanos + ++index * intervalNanos) {
                if (!open.tryAcquire()) {
                    shed++;
                    continue;
                }
                sent++;
                final long due = dueNanos;
                load.send("GET", balancePath((int) (index % PARTNERS)), null).whenComplete((answer, error) -> {
                    open.release();
                    recorder.recordValue(Math.min(HISTOGRAM_MAX_MICROS, (System.nanoTime() - due) / 1_000));
                    if (error != null || answer.status() != 200) {
                        errors.incrementAndGet();
                    }
                });
            }
            load.flush();
            if (now >= nextReportNanos) {
                final Histogram second = recorder.getIntervalHistogram();
                total.add(second);
                perSecond.add(new double[] {millis(second.getValueAtPercentile(50)),
                        millis(second.getValueAtPercentile(99)), second.getTotalCount()});
                out.printf("  %3d s: %,6d answered, p50 %6.2f ms, p99 %7.2f ms; %,d shed, %,d errors so far%n",
                        perSecond.size(), second.getTotalCount(), millis(second.getValueAtPercentile(50)),
                        millis(second.getValueAtPercentile(99)), shed, errors.get());
                nextReportNanos += TimeUnit.SECONDS.toNanos(1);
            }
            // Half a millisecond between sends: what a request may wait past its due time here, and counted.
            LockSupport.parkNanos(Math.min(intervalNanos, 500_000));
        }
        // What is still open belongs to this phase.
        open.acquire(OPEN_MAX);
        open.release(OPEN_MAX);
        total.add(recorder.getIntervalHistogram());
        return new OpenLoop(total, sent, shed, errors.get());
    }

    /** A saturation phase: answers per second, and answers other than 200. */
    private record Saturation(double perSecond, long errors, List<Double> perSecondSeries) {
    }

    private Saturation saturate(final java.util.function.IntFunction<String> path, final Duration duration,
                                final PrintStream out, final String label) throws InterruptedException {
        final AtomicLong answered = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicLong next = new AtomicLong();
        final Semaphore done = new Semaphore(0);
        final Runnable[] sendOne = new Runnable[1];
        sendOne[0] = () -> {
            if (!running.get()) {
                done.release();
                return;
            }
            load.send("GET", path.apply((int) (next.getAndIncrement() % PARTNERS)), null)
                    .whenComplete((answer, error) -> {
                        answered.incrementAndGet();
                        if (error != null || answer.status() != 200) {
                            errors.incrementAndGet();
                        }
                        // On the selector thread: queued now, written at the flush below.
                        sendOne[0].run();
                        load.flush();
                    });
        };
        // A short run-in, not counted: connections opened, the route's code paths warm.
        final List<Double> series = new ArrayList<>();
        for (int i = 0; i < SATURATION_CONNECTIONS; i++) {
            sendOne[0].run();
        }
        load.flush();
        Thread.sleep(2_000);
        final long startCount = answered.get();
        final long startNanos = System.nanoTime();
        long last = startCount;
        for (int second = 1; second <= duration.toSeconds(); second++) {
            Thread.sleep(1_000);
            final long now = answered.get();
            series.add((double) (now - last));
            out.printf("  %-8s %3d s: %,7d/s%n", label, second, now - last);
            last = now;
        }
        final double perSecond = (answered.get() - startCount) * 1e9 / (System.nanoTime() - startNanos);
        running.set(false);
        // Every chain ends at its next answer.
        if (!done.tryAcquire(SATURATION_CONNECTIONS, READ_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(label + ": requests still open after the phase");
        }
        return new Saturation(perSecond, errors.get(), series);
    }

    private static List<Path> charts(final Settings settings, final List<double[]> perSecond, final Saturation floor,
                                     final Saturation balances) throws IOException {
        Files.createDirectories(settings.outDir());
        final List<Path> charts = new ArrayList<>();
        final Map<String, List<Double>> latency = new LinkedHashMap<>();
        latency.put("p50", perSecond.stream().map(s -> s[0]).toList());
        latency.put("p99", perSecond.stream().map(s -> s[1]).toList());
        charts.add(BenchChart.write(settings.outDir().resolve("reads-latency.png"),
                "bursar bench reads: balance read latency at " + settings.rate() + "/s offered (from when due)", "ms", 1,
                latency));
        final Map<String, List<Double>> saturation = new LinkedHashMap<>();
        saturation.put("/health/live (floor)", floor.perSecondSeries());
        saturation.put("GET /v1/partners/{id}/balance", balances.perSecondSeries());
        charts.add(BenchChart.write(settings.outDir().resolve("reads-saturation.png"),
                "bursar bench reads: answers per second, " + SATURATION_CONNECTIONS + " requests open", "answers/s", 1,
                saturation));
        return charts;
    }

    private static String balancePath(final int partner) {
        return "/v1/partners/" + partnerId(partner) + "/balance";
    }

    private static String partnerId(final int partner) {
        return "reader-" + partner;
    }

    private static double millis(final long micros) {
        return micros / 1_000.0;
    }

    @Override
    public void close() throws IOException {
        load.close();
        setup.close();
    }
}
