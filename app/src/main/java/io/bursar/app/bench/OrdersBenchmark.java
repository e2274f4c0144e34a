package io.bursar.app.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bursar.app.Demo;
import io.bursar.schemas.OrderStatuses;
import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.serdes.Topics;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Seed 001's mix against the demo: order status reads and order writes at fixed rates (open loop: a
 * request is sent on schedule whether or not earlier ones have been answered), for a fixed time. Reports
 * read latency percentiles and, for every order, the time from sending its POST to its terminal event.
 */
public final class OrdersBenchmark {

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
    private static final int IN_FLIGHT_MAX = 64;

    /** What to run; {@code overrides} are configuration keys set on the demo's instance. */
    public record Settings(int readsPerSecond, int writesPerSecond, Duration duration, Map<String, String> overrides) {
        public Settings {
            overrides = Map.copyOf(overrides);
        }
    }

    /** What was measured; latencies in ms. */
    public record Result(long reads, long readErrors, double readP50, double readP99, double readMax, long writes,
                         long writeErrors, long terminal, double createToTerminalP50, double createToTerminalP99,
                         long shed) {
    }

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    /**
     * One blocking sender per request that may be open: the client's async API would complete every answer on
     * a new thread here (with two cores the common pool has one thread, so CompletableFuture falls back to a
     * thread per task), which costs the server the CPU it is being measured on.
     */
    private final ExecutorService senders = Executors.newFixedThreadPool(IN_FLIGHT_MAX);
    private final Semaphore inFlight = new Semaphore(IN_FLIGHT_MAX);
    private final AtomicLong shed = new AtomicLong();
    private final Random random = new Random(1);
    private final String base;
    private final String key;

    private OrdersBenchmark(final String base, final String key) {
        this.base = base;
        this.key = key;
    }

    /** Starts the demo, loads items, runs the mix and stops everything; progress goes to {@code out}. */
    public static Result run(final Settings settings, final PrintStream out) throws Exception {
        try (Demo demo = Demo.start(0, settings.overrides())) {
            final OrdersBenchmark bench = new OrdersBenchmark(demo.url(), demo.adminKey());
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
                final int status = send("PUT", "/v1/items/" + itemId(c, i), item.toString()).statusCode();
                if (status != 202) {
                    throw new IllegalStateException("PUT item answered " + status);
                }
            }
        }
        // A BALANCE payment debits the paying partner at once: give each enough for every order.
        for (int p = 0; p < PARTNERS; p++) {
            send("POST", "/v1/partners/" + partnerId(p) + "/credits", "{\"amountMinor\":1000000000000,\"currency\":\"EUR\"}");
        }
        final Instant deadline = Instant.now().plusSeconds(60);
        while (send("GET", "/v1/categories/c" + (CATEGORIES - 1) + "/items/" + itemId(CATEGORIES - 1,
                ITEMS_PER_CATEGORY - 1), null).statusCode() != 200) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("items not readable in time");
            }
            Thread.sleep(100);
        }
        Thread.sleep(2_000); // the catalog is a global table, fed by its own thread
    }

    private Result mix(final Settings settings, final String bootstrap, final Topics topics, final PrintStream out)
            throws Exception {
        final Map<String, Long> sentAtMs = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<Long> toTerminal = new ConcurrentLinkedQueue<>();
        final List<String> created = new ArrayList<>();
        final int ticks = (int) (settings.duration().toSeconds() * TICKS_PER_SECOND);
        final AtomicLongArray readMicros = new AtomicLongArray(settings.readsPerSecond() * (int) settings.duration().toSeconds() + 1);
        final AtomicInteger readCount = new AtomicInteger();
        final AtomicLong readErrors = new AtomicLong();
        final AtomicLong writeErrors = new AtomicLong();
        final AtomicLong writes = new AtomicLong();

        final Thread checker = new Thread(() -> watchTerminal(bootstrap, topics, sentAtMs, toTerminal), "bench-checker");
        checker.setDaemon(true);
        checker.start();
        out.printf("Running %d reads/s and %d order writes/s for %d s...%n", settings.readsPerSecond(),
                settings.writesPerSecond(), settings.duration().toSeconds());
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
                final ObjectNode order = json.createObjectNode().put("orderId", orderId).put("customerId", "bench")
                        .put("partnerId", partnerId(random.nextInt(PARTNERS))).put("holdTtlMs", 60_000);
                order.putArray("items").addObject()
                        .put("itemId", itemId(category, random.nextInt(ITEMS_PER_CATEGORY))).put("quantity", 1);
                order.putObject("payment").put("method", "BALANCE");
                final String body = order.toString();
                if (!inFlight.tryAcquire()) {
                    shed.incrementAndGet();
                    continue;
                }
                sentAtMs.put(orderId, System.currentTimeMillis());
                synchronized (created) {
                    created.add(orderId);
                }
                writes.incrementAndGet();
                sendAsync("POST", "/v1/orders", body).whenComplete((response, error) -> {
                    inFlight.release();
                    if (error != null || response.statusCode() != 202) {
                        writeErrors.incrementAndGet();
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
                    shed.incrementAndGet();
                    continue;
                }
                final long startNanos = System.nanoTime();
                sendAsync("GET", "/v1/orders/" + orderId, null).whenComplete((response, error) -> {
                    inFlight.release();
                    final int slot = readCount.getAndIncrement();
                    if (slot < readMicros.length()) {
                        readMicros.set(slot, (System.nanoTime() - startNanos) / 1_000);
                    }
                    if (error != null || response.statusCode() >= 500) {
                        readErrors.incrementAndGet();
                    }
                });
            }
        }, 0, 1_000_000 / TICKS_PER_SECOND, TimeUnit.MICROSECONDS);
        Thread.sleep(settings.duration().toMillis() + 500);
        ticker.shutdownNow();
        // Orders still in flight get up to 30 s to finish.
        final Instant deadline = Instant.now().plusSeconds(30);
        while (toTerminal.size() < writes.get() - writeErrors.get() && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
        }
        Thread.sleep(1_000);
        checker.interrupt();
        senders.shutdownNow();

        final int reads = Math.min(readCount.get(), readMicros.length());
        final long[] readLatencies = new long[reads];
        for (int i = 0; i < reads; i++) {
            readLatencies[i] = readMicros.get(i);
        }
        Arrays.sort(readLatencies);
        final long[] terminal = toTerminal.stream().mapToLong(Long::longValue).sorted().toArray();
        return new Result(reads, readErrors.get(), percentile(readLatencies, 50) / 1000.0,
                percentile(readLatencies, 99) / 1000.0, percentile(readLatencies, 100) / 1000.0, writes.get(),
                writeErrors.get(), terminal.length, percentile(terminal, 50), percentile(terminal, 99), shed.get());
    }

    /** Follows order-events and records, per benchmark order, the ms from its POST to its terminal event. */
    private static void watchTerminal(final String bootstrap, final Topics topics, final Map<String, Long> sentAtMs,
                                      final ConcurrentLinkedQueue<Long> toTerminal) {
        try (KafkaConsumer<String, OrderEvent> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "orders-bench-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString()),
                new StringDeserializer(), topics.orderEvents.valueSerde().deserializer())) {
            consumer.subscribe(List.of(topics.orderEvents.name()));
            while (!Thread.currentThread().isInterrupted()) {
                for (final ConsumerRecord<String, OrderEvent> record : consumer.poll(Duration.ofMillis(100))) {
                    final Order order = record.value() == null ? null : record.value().getOrder();
                    if (order != null && !record.value().getDuplicate() && OrderStatuses.isTerminal(order.getStatus())) {
                        final Long sent = sentAtMs.remove(order.getOrderId());
                        if (sent != null) {
                            toTerminal.add(System.currentTimeMillis() - sent);
                        }
                    }
                }
            }
        } catch (final InterruptException stopped) {
            Thread.currentThread().interrupt();
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

    private HttpResponse<String> send(final String method, final String path, final String body) throws Exception {
        return http.send(request(method, path, body), HttpResponse.BodyHandlers.ofString());
    }

    private CompletableFuture<HttpResponse<String>> sendAsync(final String method, final String path,
                                                                                  final String body) {
        final CompletableFuture<HttpResponse<String>> answer = new CompletableFuture<>();
        senders.execute(() -> {
            try {
                answer.complete(send(method, path, body));
            } catch (final Exception e) {
                answer.completeExceptionally(e);
            }
        });
        return answer;
    }

    private HttpRequest request(final String method, final String path, final String body) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
    }
}
