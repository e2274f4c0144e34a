package io.bursar.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.queries.OwnerRouter;
import io.bursar.queries.PeerForwarder;
import io.bursar.queries.Read;
import io.bursar.queries.RoutedRead;
import io.bursar.queries.StoreUnavailableException;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.orders.CatalogEntry;
import io.bursar.schemas.orders.InvestorPositions;
import io.bursar.schemas.orders.Item;
import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderCommand;
import io.bursar.schemas.orders.OrderLineState;
import io.bursar.schemas.orders.OrderStatus;
import io.bursar.schemas.orders.OrderView;
import io.bursar.schemas.orders.ParentOrderView;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentMethod;
import io.bursar.schemas.payments.PaymentStatus;
import io.javalin.testtools.JavalinTest;
import io.javalin.testtools.Response;
import io.javalin.testtools.TestConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.function.ThrowingConsumer;

/**
 * A gateway wired to fakes (a recording publisher, in-memory balance, outcome, payment, order, parent, item and
 * catalog lookups, answers relayed from a pretend owner, a switchable readiness, a hand-moved clock for rate
 * limits), run under {@code JavalinTest}.
 */
final class GatewayFixture {

    static final String ADMIN_KEY = "admin-key-0123456789";
    static final String ACME_KEY = "acme-key-0123456789";
    static final String GLOBEX_KEY = "globex-key-0123456789";
    static final String VIEWER_KEY = "viewer-key-0123456789";
    static final long HOLD_TTL_MS_MAX = 60_000L;

    final List<PaymentCommand> published = new CopyOnWriteArrayList<>();
    final List<OrderCommand> publishedOrders = new CopyOnWriteArrayList<>();
    final Map<String, Read<PartnerBalance>> reads = new ConcurrentHashMap<>();
    final Map<String, Read<PaymentEvent>> outcomes = new ConcurrentHashMap<>();
    final Map<String, Read<Payment>> payments = new ConcurrentHashMap<>();
    final Map<String, Read<OrderView>> orders = new ConcurrentHashMap<>();
    final Map<String, Read<ParentOrderView>> parents = new ConcurrentHashMap<>();
    /** Items by {@code categoryId + "/" + itemId}, the key of the items store. */
    final Map<String, Read<Item>> items = new ConcurrentHashMap<>();
    /** customerId → an investor's positions. */
    final Map<String, Read<InvestorPositions>> positions = new ConcurrentHashMap<>();
    /** itemId → the category that sells it. */
    final Map<String, CatalogEntry> catalog = new ConcurrentHashMap<>();
    /** Item ids the catalog was asked for, in order. */
    final List<String> catalogLookups = new CopyOnWriteArrayList<>();
    volatile boolean catalogDown;
    /** While set, every routed read answers only once it completes, as a peer that has not answered yet. */
    volatile CompletableFuture<Void> peersSlow;
    /** Answers relayed from a peer, by key: they win over the local maps. */
    final Map<String, PeerForwarder.Answer> relayed = new ConcurrentHashMap<>();
    /** The routing request each read arrived with, last one last. */
    final List<OwnerRouter.Request> readRequests = new CopyOnWriteArrayList<>();
    /** The long-poll wait each read asked for, last one last. */
    final List<Duration> readWaits = new CopyOnWriteArrayList<>();
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    volatile boolean kafkaDown;
    /** The letters the dead-letter routes list (those of the selection's topic), and the redrives asked for. */
    final List<DeadLetterDesk.Letter> letters = new CopyOnWriteArrayList<>();
    final List<DeadLetterDesk.Selection> redrives = new CopyOnWriteArrayList<>();
    volatile boolean ready = true;
    /** What the live figures' routes answer; null: no sample yet. */
    volatile Object liveSample;
    final Gateway gateway;

    /** A gateway with the three test keys, generous rate limits and {@code overrides} on top. */
    GatewayFixture(final Map<String, String> overrides) {
        final Map<String, String> config = new HashMap<>();
        config.put(GatewayConfig.HTTP_PORT, "0");
        config.put(GatewayConfig.HTTP_MAX_REQUEST_BYTES, "1024");
        config.put(GatewayConfig.HTTP_PUBLISH_TIMEOUT_MS, "1000");
        config.put(GatewayConfig.AUTH_API_KEYS, String.join(",",
                ApiKeys.sha256Hex(ADMIN_KEY) + ":admin",
                ApiKeys.sha256Hex(ACME_KEY) + ":partner:acme",
                ApiKeys.sha256Hex(GLOBEX_KEY) + ":partner:globex",
                ApiKeys.sha256Hex(VIEWER_KEY) + ":viewer"));
        config.put(GatewayConfig.AUTH_RATE_PER_SECOND, "100000");
        config.put(GatewayConfig.AUTH_RATE_BURST, "100000");
        config.putAll(overrides);
        final CommandPublisher publisher = new CommandPublisher() {
            @Override
            public CompletableFuture<Void> publish(final PaymentCommand command) {
                return acknowledge(published, command);
            }

            @Override
            public CompletableFuture<Void> publish(final OrderCommand command) {
                return acknowledge(publishedOrders, command);
            }

            @Override
            public void close() {
            }
        };
        gateway = new Gateway(new GatewayConfig(config).settings(HOLD_TTL_MS_MAX), publisher,
                new Gateway.Reads(routed(reads), routed(outcomes), routed(payments), routed(orders), routed(parents),
                        routed(items), new ItemCatalog() {
                            @Override
                            public Optional<CatalogEntry> find(final String itemId) {
                                return catalogEntry(itemId);
                            }

                            @Override
                            public List<CatalogEntry> page(final String categoryId, final String afterItemId,
                                                           final int limit) {
                                return catalog.values().stream()
                                        .filter(entry -> entry.getCategoryId().equals(categoryId))
                                        .filter(entry -> afterItemId == null || entry.getItemId().compareTo(afterItemId) > 0)
                                        .sorted(Comparator.comparing(CatalogEntry::getItemId)).limit(limit).toList();
                            }
                        }, routed(positions)),
                new DeadLetterDesk() {
                    @Override
                    public List<Letter> list(final Selection selection) {
                        return letters.stream().filter(letter -> selection.topic() == null
                                || selection.topic().equals(letter.topic())).toList();
                    }

                    @Override
                    public Redriven redrive(final Selection selection, final boolean dryRun) {
                        redrives.add(selection);
                        return new Redriven(selection.positions(), List.of(), dryRun);
                    }
                },
                () -> liveSample, () -> ready, registry, nanos::get);
    }

    GatewayFixture() {
        this(Map.of());
    }

    /** Records {@code command} in {@code into} as Kafka acknowledging it, or fails while Kafka is down. */
    private <C> CompletableFuture<Void> acknowledge(final List<C> into, final C command) {
        if (kafkaDown) {
            return CompletableFuture.failedFuture(new IllegalStateException("broker unreachable"));
        }
        into.add(command);
        return CompletableFuture.completedFuture(null);
    }

    /** A routed read over an in-memory map of local answers, recording what it was asked. */
    private <V> RoutedRead<V> routed(final Map<String, Read<V>> answers) {
        return (key, request, wait) -> {
            final CompletableFuture<Void> slow = peersSlow;
            return slow == null ? CompletableFuture.completedFuture(answer(answers, key, request, wait))
                    : slow.thenApply(answered -> answer(answers, key, request, wait));
        };
    }

    private <V> OwnerRouter.Outcome<V> answer(final Map<String, Read<V>> answers, final String key,
                                             final OwnerRouter.Request request, final Duration wait) {
        readRequests.add(request);
        readWaits.add(wait);
        if (relayed.containsKey(key)) {
            return new OwnerRouter.Outcome.Relayed<>(relayed.get(key));
        }
        final Read<V> read = answers.getOrDefault(key, new Read.Missing<>());
        if (read instanceof Read.Found<V> found) {
            return new OwnerRouter.Outcome.Local<>(found.value(), null);
        } else if (read instanceof Read.FromStandby<V> standby) {
            return new OwnerRouter.Outcome.Local<>(standby.value(), standby.offsetLag());
        } else if (read instanceof Read.Unavailable<V> unavailable) {
            return new OwnerRouter.Outcome.Unavailable<>(unavailable.reason());
        }
        return new OwnerRouter.Outcome.NotFound<>();
    }

    private Optional<CatalogEntry> catalogEntry(final String itemId) {
        if (catalogDown) {
            throw new StoreUnavailableException("catalog not loaded yet");
        }
        catalogLookups.add(itemId);
        return Optional.ofNullable(catalog.get(itemId));
    }

    /** Puts {@code itemIds} in the catalog as items of {@code categoryId}. */
    void catalogue(final String categoryId, final String... itemIds) {
        for (final String itemId : itemIds) {
            catalog.put(itemId, new CatalogEntry(itemId, categoryId, "item " + itemId, new Money(250L, "EUR"),
                    Instant.EPOCH));
        }
    }

    /**
     * Batch {@code batch} of {@code batches} of order {@code orderId} in {@code categoryId}, paying
     * {@code partnerId}: one line of 2 units of item "i-1" at 250 EUR.
     */
    static Order order(final String orderId, final int batch, final int batches, final String categoryId,
                       final String partnerId, final OrderStatus status) {
        return Order.newBuilder().setOrderId(orderId).setBatch(batch).setBatches(batches).setCategoryId(categoryId)
                .setCustomerId("cust-1").setPartnerId(partnerId).setCommandId("c-" + orderId)
                .setLines(List.of(new OrderLineState("i-" + batch, 2L, 2L, new Money(250L, "EUR"), null)))
                .setAmount(new Money(500L, "EUR")).setStatus(status)
                .setPaymentMethod(PaymentMethod.PROVIDER).setProviderId("stripe").setPaymentId("pay-" + orderId)
                .setExpiresAt(Instant.parse("2026-01-02T03:14:05Z")).setCreatedAt(Instant.parse("2026-01-02T03:04:05Z"))
                .setUpdatedAt(Instant.parse("2026-01-02T03:04:0" + batch + "Z")).build();
    }

    /** An order view of {@code batches}, all of one order. */
    static OrderView view(final Order... batches) {
        final Map<String, Order> byNumber = new HashMap<>();
        for (final Order batch : batches) {
            byNumber.put(Integer.toString(batch.getBatch()), batch);
        }
        return new OrderView(batches[0].getOrderId(), batches[0].getParentOrderId(), byNumber);
    }

    /** A payment of {@code partnerId} for 1500 EUR through provider "stripe", in {@code status}. */
    static Payment payment(final String paymentId, final String partnerId, final PaymentStatus status) {
        return Payment.newBuilder().setPaymentId(paymentId).setPartnerId(partnerId).setCommandId("cmd-" + paymentId)
                .setMethod(PaymentMethod.PROVIDER).setProviderId("stripe").setOrderId("order-7")
                .setAmount(new Money(1_500L, "EUR")).setStatus(status).setAttempts(2)
                .setProviderReference("ch_123").setCreatedAt(Instant.parse("2026-01-02T03:04:05Z"))
                .setUpdatedAt(Instant.parse("2026-01-02T03:04:06.789Z")).build();
    }

    /** The routing request the last read arrived with. */
    OwnerRouter.Request lastReadRequest() {
        return readRequests.get(readRequests.size() - 1);
    }

    /** The long-poll wait the last read asked for. */
    Duration lastReadWait() {
        return readWaits.get(readWaits.size() - 1);
    }

    /**
     * Asserts that a read of {@code path}, where nothing is (404), passes its {@code waitMs} on to the router with the
     * query as the client sent it, waits not at all without one, and refuses a wait that is not a whole number of
     * milliseconds up to the cap.
     */
    void assertWaitPassedOnAndCapped(final GatewayClient client, final String path) throws Exception {
        assertThat(client.get(ADMIN_KEY, path + "?waitMs=1500").code()).isEqualTo(404);
        assertThat(lastReadWait()).isEqualTo(Duration.ofMillis(1_500));
        assertThat(lastReadRequest().pathAndQuery()).isEqualTo(path + "?waitMs=1500");
        assertThat(client.get(ADMIN_KEY, path).code()).isEqualTo(404);
        assertThat(lastReadWait()).isEqualTo(Duration.ZERO);

        for (final String bad : new String[] {"-1", "abc", "30001", "1.5", ""}) {
            final Response response = client.get(ADMIN_KEY, path + "?waitMs=" + bad);
            assertThat(response.code()).as(bad).isEqualTo(400);
            assertThat(client.fields(response)).as(bad).containsOnlyKeys("waitMs");
        }
    }

    /** Asserts that {@code lookup} asked for {@code path} as its read route does, not forwarded, with {@code key}. */
    static void assertReadAs(final OwnerRouter.Request lookup, final String path, final String key) {
        assertThat(lookup.pathAndQuery()).isEqualTo(path);
        assertThat(lookup.forwarded()).isFalse();
        assertThat(lookup.passHeaders()).containsEntry("Authorization", "Bearer " + key);
    }

    /** The header that makes {@code key} a command's idempotency key. */
    static Map<String, String> idempotencyKey(final String key) {
        return Map.of(CommandSubmitter.IDEMPOTENCY_KEY, key);
    }

    /** Runs {@code test} against the started gateway, then stops it. */
    void run(final ThrowingConsumer<GatewayClient> test) {
        JavalinTest.test(gateway.javalin(), new TestConfig(false), (server, client) -> {
            try {
                test.accept(new GatewayClient(client));
            } catch (final Exception | Error e) {
                throw e;
            } catch (final Throwable t) {
                throw new IllegalStateException(t);
            } finally {
                // The live streams end while the server still runs, as in production: a stream ended after the
                // server stopped has no request left to finish.
                gateway.close();
            }
        });
    }
}
