package io.bursar.app.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bursar.app.Demo;
import io.bursar.gateway.KafkaCommandPublisher;
import io.bursar.schemas.OrderStatuses;
import io.bursar.schemas.orders.CreateOrder;
import io.bursar.schemas.orders.CreateOrderKind;
import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderCommand;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.orders.OrderLine;
import io.bursar.schemas.payments.PaymentMethod;
import io.bursar.serdes.Topics;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A shop's mix against the demo: order status reads and order writes at fixed rates (open loop: a
 * request is sent on schedule whether or not earlier ones have been answered), for a fixed time. Reports
 * read latency percentiles and, for every order, the time from sending its POST to its terminal event.
 */
public final class OrdersBenchmark implements AutoCloseable {

    private static final CompilationMXBean COMPILER = ManagementFactory.getCompilationMXBean();
    private static final int CATEGORIES = 4;
    private static final int ITEMS_PER_CATEGORY = 25;
    private static final long STOCK = 10_000_000L;
    /** Partners paid by the orders, spread over the payment partitions as a shop platform's would be. */
    private static final int PARTNERS = 12;
    private static final int TICKS_PER_SECOND = 100;
    /**
     * Requests awaiting an answer at most, like a load generator's fixed connections: a request due while
     * this many are open is not sent and counted as shed, so an overloaded server shows as a lower achieved
     * rate. Without a bound every late answer opens another connection, and a burst of connects overflows
     * the server's accept queue: those wait for the 1 s SYN retransmission, which is then what is measured.
     */
    private static final int IN_FLIGHT_MAX = 256;
    private static final long HOLD_TTL_MS = 60_000;
    /** How long the follower of order-events gets to close its consumer. */
    private static final long CHECKER_STOP_WAIT_MS = 5_000;
    /** Orders still in flight after a phase get this long to finish. */
    private static final Duration DRAIN_WAIT = Duration.ofSeconds(60);

    /**
     * What to run; {@code overrides} are configuration keys set on the demo's instance. With
     * {@code writesToKafka} the orders skip the gateway and go straight to {@code order-commands}, as the gateway
     * would put them there: what the Streams pipeline sustains alone.
     */
    public record Settings(int readsPerSecond, int writesPerSecond, boolean writesToKafka, Duration warmUp,
                           Duration duration, Map<String, String> overrides) {
        public Settings {
            overrides = Map.copyOf(overrides);
        }
    }

    /** What was measured; latencies in ms. */
    public record Result(long reads, long readErrors, double readP50, double readP99, double readMax, long writes,
                         long writeErrors, double writeP50, double writeP99, long terminal, double createToTerminalP50,
                         double createToTerminalP99, double terminalPerSecond, long shed) {
    }

    private static final int READ_TIMEOUT_MS = 30_000;

    private final ObjectMapper json = new ObjectMapper();
    /** Loads the items and credits the partners before the mix, one request after another. */
    private final KeepAliveHttp setup;
    /**
     * The mix: up to {@value #IN_FLIGHT_MAX} keep-alive connections on one selector thread, so the load costs
     * the two cores it shares with the server as little as it can (see {@link NioHttp}).
     */
    private final NioHttp load;
    private final Semaphore inFlight = new Semaphore(IN_FLIGHT_MAX);
    private final Random random = new Random(1);

    private OrdersBenchmark(final String base, final String key) throws IOException {
        this.setup = new KeepAliveHttp(base, key, READ_TIMEOUT_MS);
        this.load = new NioHttp(base, key, READ_TIMEOUT_MS);
    }

    /** Starts the demo, loads items, runs the mix and stops everything; progress goes to {@code out}. */
    public static Result run(final Settings settings, final PrintStream out) throws Exception {
        try (Demo demo = Demo.start(0, settings.overrides());
             OrdersBenchmark bench = new OrdersBenchmark(demo.url(), demo.adminKey())) {
            bench.loadItems();
            final Topics topics = Topics.create(Map.of("schema.registry.url", demo.registryUrl()), 1);
            return bench.mix(settings, demo.bootstrapServers(), topics, out);
        }
    }

    private void loadItems() throws Exception {
        for (int c = 0; c < CATEGORIES; c++) {
            for (int i = 0; i < ITEMS_PER_CATEGORY; i++) {
                final ObjectNode item = json.createObjectNode().put("categoryId", "c" + c).put("name", "item " + i)
                        .put("priceMinor", 100).put("currency", "EUR").put("stock", STOCK);
                final int status = setup.send("PUT", "/v1/items/" + itemId(c, i), item.toString()).status();
                if (status != 202) {
                    throw new IllegalStateException("PUT item answered " + status);
                }
            }
        }
        // A BALANCE payment debits the paying partner at once: give each enough for every order.
        for (int p = 0; p < PARTNERS; p++) {
            setup.send("POST", "/v1/partners/" + partnerId(p) + "/credits", "{\"amountMinor\":1000000000000,\"currency\":\"EUR\"}");
        }
        final Instant deadline = Instant.now().plusSeconds(60);
        while (setup.send("GET", "/v1/categories/c" + (CATEGORIES - 1) + "/items/" + itemId(CATEGORIES - 1,
                ITEMS_PER_CATEGORY - 1), null).status() != 200) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("items not readable in time");
            }
            Thread.sleep(100);
        }
        Thread.sleep(2_000); // the catalog is a global table, fed by its own thread
    }

    /**
     * Runs the mix for the warm-up, waits for its orders to finish, then runs it again and measures: the JIT
     * compilers take a good share of two cores for minutes after the demo's JVM starts (broker, Streams and
     * gateway are all compiled in it), which is not what is measured.
     */
    private Result mix(final Settings settings, final String bootstrap, final Topics topics, final PrintStream out)
            throws Exception {
        final Map<String, Long> sentAtMs = new ConcurrentHashMap<>();
        final Map<String, Long> terminalAtMs = new ConcurrentHashMap<>();
        final OrderWriter writer = settings.writesToKafka() ? new KafkaOrderWriter(bootstrap, topics) : this::post;
        final AtomicBoolean watching = new AtomicBoolean(true);
        final Thread checker = new Thread(() -> watchTerminal(bootstrap, topics, sentAtMs, terminalAtMs, watching),
                "bench-checker");
        checker.setDaemon(true);
        checker.start();
        try {
            if (!settings.warmUp().isZero()) {
                out.printf("Warming up: %d reads/s and %d order writes/s for %d s...%n", settings.readsPerSecond(),
                        settings.writesPerSecond(), settings.warmUp().toSeconds());
                final Phase warmUp = phase(settings, writer, settings.warmUp(), sentAtMs);
                awaitTerminal(warmUp, terminalAtMs, DRAIN_WAIT);
                out.printf("Warm-up done: %,d of %,d orders terminal.%n", warmUp.terminalCount(terminalAtMs),
                        warmUp.accepted());
            }
            out.printf("Running %d reads/s and %d order writes/s for %d s...%n", settings.readsPerSecond(),
                    settings.writesPerSecond(), settings.duration().toSeconds());
            final long compilingMsBefore = COMPILER.getTotalCompilationTime();
            final Phase measured = phase(settings, writer, settings.duration(), sentAtMs);
            // Whether the warm-up was long enough: what the JIT compilers still took while it was measured.
            final long compilingMs = COMPILER.getTotalCompilationTime() - compilingMsBefore;
            out.printf("JIT compile time during the measured %d s: %,d ms (wall clock, summed over compiler "
                    + "threads)%n", settings.duration().toSeconds(), compilingMs);
            awaitTerminal(measured, terminalAtMs, DRAIN_WAIT);
            return measured.result(terminalAtMs);
        } finally {
            if (writer instanceof KafkaOrderWriter kafka) {
                kafka.close();
            }
            // Not interrupted: a consumer interrupted while it closes logs the interruption as an error.
            watching.set(false);
            checker.join(CHECKER_STOP_WAIT_MS);
        }
    }

    private static void awaitTerminal(final Phase phase, final Map<String, Long> terminalAtMs, final Duration wait)
            throws InterruptedException {
        final Instant deadline = Instant.now().plus(wait);
        while (phase.terminalCount(terminalAtMs) < phase.accepted() && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
        }
    }

    /** What one run of the mix sent and how its reads went; its orders' terminal times are looked up after. */
    private static final class Phase {
        final List<String> created = new ArrayList<>();
        final Set<String> refused = ConcurrentHashMap.newKeySet();
        final AtomicLongArray readMicros;
        final AtomicInteger readCount = new AtomicInteger();
        final AtomicLong readErrors = new AtomicLong();
        final AtomicLong writeErrors = new AtomicLong();
        final AtomicLong shed = new AtomicLong();
        final AtomicLongArray writeMicros;
        final AtomicInteger writeCount = new AtomicInteger();
        final Map<String, Long> sentAtMs;

        Phase(final int readsMax, final int writesMax, final Map<String, Long> sentAtMs) {
            readMicros = new AtomicLongArray(readsMax);
            writeMicros = new AtomicLongArray(writesMax);
            this.sentAtMs = sentAtMs;
        }

        /** Orders the gateway accepted (202) or whose answer never came. */
        long accepted() {
            synchronized (created) {
                return created.size() - refused.size();
            }
        }

        long terminalCount(final Map<String, Long> terminalAtMs) {
            synchronized (created) {
                return created.stream().filter(terminalAtMs::containsKey).count();
            }
        }

        Result result(final Map<String, Long> terminalAtMs) {
            final long[] readLatencies = sorted(readMicros, readCount.get());
            final long[] writeLatencies = sorted(writeMicros, writeCount.get());
            final long[] terminal;
            final long writes;
            long firstSentMs = Long.MAX_VALUE;
            long lastTerminalMs = Long.MIN_VALUE;
            synchronized (created) {
                writes = created.size();
                final List<Long> latencies = new ArrayList<>();
                for (final String orderId : created) {
                    final long sent = sentAtMs.get(orderId);
                    firstSentMs = Math.min(firstSentMs, sent);
                    final Long done = terminalAtMs.get(orderId);
                    if (done != null) {
                        latencies.add(done - sent);
                        lastTerminalMs = Math.max(lastTerminalMs, done);
                    }
                }
                terminal = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
            }
            // Orders made terminal per second from the first POST to the last terminal event: what the whole
            // pipeline sustained, backlog included.
            final double terminalPerSecond = terminal.length == 0 ? 0
                    : terminal.length * 1000.0 / Math.max(1, lastTerminalMs - firstSentMs);
            return new Result(readLatencies.length, readErrors.get(), percentile(readLatencies, 50) / 1000.0,
                    percentile(readLatencies, 99) / 1000.0, percentile(readLatencies, 100) / 1000.0, writes,
                    writeErrors.get(), percentile(writeLatencies, 50) / 1000.0, percentile(writeLatencies, 99) / 1000.0,
                    terminal.length, percentile(terminal, 50), percentile(terminal, 99), terminalPerSecond, shed.get());
        }

        private static long[] sorted(final AtomicLongArray micros, final int count) {
            final long[] values = new long[Math.min(count, micros.length())];
            for (int i = 0; i < values.length; i++) {
                values[i] = micros.get(i);
            }
            Arrays.sort(values);
            return values;
        }
    }

    private Phase phase(final Settings settings, final OrderWriter writer, final Duration duration,
                        final Map<String, Long> sentAtMs)
            throws InterruptedException {
        final int ticks = (int) (duration.toSeconds() * TICKS_PER_SECOND);
        final Phase phase = new Phase(settings.readsPerSecond() * (int) duration.toSeconds() + 1,
                settings.writesPerSecond() * (int) duration.toSeconds() + 1, sentAtMs);
        final List<String> created = phase.created;
        final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        final AtomicInteger tick = new AtomicInteger();
        final long readsPerTickMilli = settings.readsPerSecond() * 1000L / TICKS_PER_SECOND;
        final long writesPerTickMilli = settings.writesPerSecond() * 1000L / TICKS_PER_SECOND;
        final long[] due = new long[2];
        ticker.scheduleAtFixedRate(() -> {
            if (tick.getAndIncrement() >= ticks) {
                return;
            }
            due[0] += writesPerTickMilli;
            for (; due[0] >= 1000; due[0] -= 1000) {
                final String orderId = "o-" + UUID.randomUUID();
                final int category = random.nextInt(CATEGORIES);
                final String partnerId = partnerId(random.nextInt(PARTNERS));
                final String itemId = itemId(category, random.nextInt(ITEMS_PER_CATEGORY));
                if (!inFlight.tryAcquire()) {
                    phase.shed.incrementAndGet();
                    continue;
                }
                sentAtMs.put(orderId, System.currentTimeMillis());
                synchronized (created) {
                    created.add(orderId);
                }
                final long sentNanos = System.nanoTime();
                writer.create(orderId, "c" + category, itemId, partnerId).whenComplete((status, error) -> {
                    inFlight.release();
                    final int slot = phase.writeCount.getAndIncrement();
                    if (slot < phase.writeMicros.length()) {
                        phase.writeMicros.set(slot, (System.nanoTime() - sentNanos) / 1_000);
                    }
                    if (error != null || status != 202) {
                        phase.writeErrors.incrementAndGet();
                    }
                    if (error == null && status != 202) {
                        phase.refused.add(orderId);
                    }
                });
            }
            due[1] += readsPerTickMilli;
            for (; due[1] >= 1000; due[1] -= 1000) {
                final String orderId;
                synchronized (created) {
                    if (created.isEmpty()) {
                        continue;
                    }
                    // Status reads of recent orders, as clients polling their own orders would.
                    orderId = created.get(Math.max(0, created.size() - 1 - random.nextInt(Math.min(created.size(), 2_000))));
                }
                if (!inFlight.tryAcquire()) {
                    phase.shed.incrementAndGet();
                    continue;
                }
                final long startNanos = System.nanoTime();
                load.send("GET", "/v1/orders/" + orderId, null).whenComplete((response, error) -> {
                    inFlight.release();
                    final int slot = phase.readCount.getAndIncrement();
                    if (slot < phase.readMicros.length()) {
                        phase.readMicros.set(slot, (System.nanoTime() - startNanos) / 1_000);
                    }
                    if (error != null || response.status() >= 500) {
                        phase.readErrors.incrementAndGet();
                    }
                });
            }
            load.flush();
        }, 0, 1_000_000 / TICKS_PER_SECOND, TimeUnit.MICROSECONDS);
        Thread.sleep(duration.toMillis() + 500);
        ticker.shutdownNow();
        ticker.awaitTermination(5, TimeUnit.SECONDS);
        // Requests still open belong to this phase.
        inFlight.acquire(IN_FLIGHT_MAX);
        inFlight.release(IN_FLIGHT_MAX);
        return phase;
    }

    /** Follows order-events and records, per benchmark order, the ms from its POST to its terminal event. */
    private static void watchTerminal(final String bootstrap, final Topics topics, final Map<String, Long> sentAtMs,
                                      final Map<String, Long> terminalAtMs, final AtomicBoolean watching) {
        try (KafkaConsumer<String, OrderEvent> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "orders-bench-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString()),
                new StringDeserializer(), topics.orderEvents.valueSerde().deserializer())) {
            consumer.subscribe(List.of(topics.orderEvents.name()));
            while (watching.get()) {
                for (final ConsumerRecord<String, OrderEvent> record : consumer.poll(Duration.ofMillis(100))) {
                    final Order order = record.value() == null ? null : record.value().getOrder();
                    if (order != null && !record.value().getDuplicate() && OrderStatuses.isTerminal(order.getStatus())) {
                        if (sentAtMs.containsKey(order.getOrderId())) {
                            terminalAtMs.putIfAbsent(order.getOrderId(), System.currentTimeMillis());
                        }
                    }
                }
            }
        }
    }

    private static double percentile(final long[] sorted, final int p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        final int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static String partnerId(final int partner) {
        return "shop-" + partner;
    }

    private static String itemId(final int category, final int item) {
        return "c" + category + "-item-" + item;
    }

    /** Creates one single-line order; completes with the HTTP status it got (202 when accepted). */
    @FunctionalInterface
    private interface OrderWriter {
        CompletableFuture<Integer> create(String orderId, String categoryId, String itemId, String partnerId);
    }

    private CompletableFuture<Integer> post(final String orderId, final String categoryId, final String itemId,
                                            final String partnerId) {
        final ObjectNode order = json.createObjectNode().put("orderId", orderId).put("customerId", "bench")
                .put("partnerId", partnerId).put("holdTtlMs", HOLD_TTL_MS);
        order.putArray("items").addObject().put("itemId", itemId).put("quantity", 1);
        order.putObject("payment").put("method", "BALANCE");
        return load.send("POST", "/v1/orders", order.toString()).thenApply(KeepAliveHttp.Answer::status);
    }

    /** Publishes the CreateOrder command the gateway would make of such an order, with the gateway's publisher. */
    private static final class KafkaOrderWriter implements OrderWriter, AutoCloseable {
        private final KafkaCommandPublisher publisher;

        KafkaOrderWriter(final String bootstrap, final Topics topics) {
            this.publisher = new KafkaCommandPublisher(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                    topics);
        }

        @Override
        public CompletableFuture<Integer> create(final String orderId, final String categoryId, final String itemId,
                                                 final String partnerId) {
            final CreateOrder order = CreateOrder.newBuilder().setCreateOrder(CreateOrderKind.CREATE_ORDER).setOrderId(orderId).setBatch(0).setBatches(1)
                    .setCustomerId("bench").setPartnerId(partnerId).setItems(List.of(new OrderLine(itemId, 1L)))
                    .setHoldTtlMs(HOLD_TTL_MS).setAllowPartial(false).setPaymentMethod(PaymentMethod.BALANCE)
                    .setProviderId(null).setPlaceOnPayment(true).build();
            final OrderCommand command = OrderCommand.newBuilder().setCommandId(UUID.randomUUID().toString())
                    .setCategoryId(categoryId).setIssuedAt(Instant.now()).setPayload(order).build();
            return publisher.publish(command).thenApply(published -> 202);
        }

        @Override
        public void close() {
            publisher.close();
        }
    }

    /** Closes the generator's connections. */
    @Override
    public void close() {
        load.close();
        setup.close();
    }
}
