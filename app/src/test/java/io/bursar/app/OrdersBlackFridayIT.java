package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bursar.app.kafka.EmbeddedKafkaBroker;
import io.bursar.connectors.HttpJsonConnector;
import io.bursar.connectors.ProviderSetting;
import io.bursar.gateway.ApiKeys;
import io.bursar.gateway.GatewayConfig;
import io.bursar.sandbox.ProviderSimulator;
import io.bursar.sandbox.SimulatorConfig;
import io.bursar.schemas.OrderStatuses;
import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderLineState;
import io.bursar.schemas.orders.OrderStatus;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentStatus;
import io.bursar.serdes.Topics;
import io.bursar.topology.dispatch.ProviderDispatchConfig;
import io.bursar.topology.orders.OrderTopologyConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A shop's Black Friday on a real broker, through the HTTP gateway: 20 items with 100 units each,
 * 2,000 orders posted concurrently and competing for them, some cancelled at once, some paid through a
 * provider that is not configured (their payments fail), some with short holds and no automatic
 * placement (they expire after being paid, and must be refunded). Then invariants 1, 3, 4 and 6 of
 * docs/reliability.md hold: no item oversold and every unit accounted for, every hold ended, every order
 * terminal, every payment that succeeded for an expired or cancelled order refunded, and the shop's balance
 * equal to its completed orders.
 */
class OrdersBlackFridayIT {

    private static final String ADMIN_KEY = ApiKeys.newKey();
    private static final String PROVIDER = "sim";
    private static final String UNCONFIGURED_PROVIDER = "ghost";
    private static final String SHOP = "shop";
    private static final int CATEGORIES = 4;
    private static final int ITEMS = 20;
    private static final long STOCK = 100;
    private static final long PRICE_MINOR = 1_000;
    private static final int ORDERS = 2_000;
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(180);

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    @RegisterExtension
    final Started started = new Started();
    private EmbeddedKafkaBroker broker;
    private BursarNode node;

    @BeforeEach
    void start() throws Exception {
        broker = started.broker();
        final ProviderSimulator simulator = started.track(ProviderSimulator.start(SimulatorConfig.defaults()
                .withLatency(Duration.ofMillis(5), Duration.ofMillis(10))
                .withFailureRates(0.1, 0, 0)
                .withRateLimitPerSecond(1_000)
                .withDedupe(true)));
        final Map<String, String> settings = Started.settings(broker, "black-friday", ADMIN_KEY);
        // A mock registry of this run alone.
        settings.put(BursarConfig.SCHEMA_REGISTRY_URL, "mock://black-friday-" + UUID.randomUUID());
        settings.put(GatewayConfig.AUTH_RATE_PER_SECOND, "1000000");
        settings.put(GatewayConfig.AUTH_RATE_BURST, "1000000");
        settings.put(OrderTopologyConfig.PUNCTUATION_INTERVAL_MS, "200");
        settings.put(ProviderDispatchConfig.BACKOFF_BASE_MS, "50");
        settings.put(ProviderDispatchConfig.BACKOFF_CAP_MS, "500");
        settings.put(ProviderSetting.PREFIX + PROVIDER + "." + ProviderSetting.TYPE.suffix(), HttpJsonConnector.TYPE);
        settings.put(ProviderSetting.PREFIX + PROVIDER + "." + ProviderSetting.URL.suffix(),
                simulator.baseUrl().toString());
        settings.put(ProviderSetting.PREFIX + PROVIDER + "." + ProviderSetting.RATE_PER_SECOND.suffix(), "500");
        settings.put(ProviderSetting.PREFIX + PROVIDER + "." + ProviderSetting.BURST.suffix(), "50");
        node = started.node(new BursarConfig(settings));
    }

    @Test
    void noItemIsOversoldAndEveryOrderAndHoldEnds() throws Exception {
        for (int i = 0; i < ITEMS; i++) {
            final ObjectNode item = json.createObjectNode()
                    .put("categoryId", categoryOf(i)).put("name", "Item " + i)
                    .put("priceMinor", PRICE_MINOR).put("currency", "EUR").put("stock", STOCK);
            assertThat(send("PUT", "/v1/items/" + itemId(i), item).statusCode()).isEqualTo(202);
        }
        awaitCatalog();

        final Random random = new Random(20261125);
        final List<ObjectNode> orders = new ArrayList<>();
        for (int i = 0; i < ORDERS; i++) {
            orders.add(randomOrder(i, random));
        }
        final Instant begin = Instant.now();
        final ExecutorService clients = Executors.newFixedThreadPool(32);
        final List<Future<Integer>> posted = new ArrayList<>();
        for (final ObjectNode order : orders) {
            posted.add(clients.submit(() -> {
                final HttpResponse<String> created = send("POST", "/v1/orders", order);
                if (created.statusCode() == 202 && order.path("cancelAtOnce").asBoolean()) {
                    // The create's answer names each (sub-)order with its category: a cancel under the category is
                    // published at once, with nothing read first, so it is accepted however soon it follows.
                    for (final JsonNode part : json.readTree(created.body()).path("orders")) {
                        final String cancel = "/v1/categories/" + part.path("categoryId").asText() + "/orders/"
                                + part.path("orderId").asText() + "/cancel";
                        assertThat(send("POST", cancel, null).statusCode()).as(cancel).isEqualTo(202);
                    }
                }
                return created.statusCode();
            }));
        }
        for (final Future<Integer> status : posted) {
            assertThat(status.get(60, TimeUnit.SECONDS)).isEqualTo(202);
        }
        clients.shutdown();
        System.out.printf("Posted %,d orders in %d ms%n", ORDERS, Duration.between(begin, Instant.now()).toMillis());

        final Map<String, Order> latest = awaitTerminalOrders(orders.stream().map(o -> o.get("orderId").asText()).toList());
        final Map<OrderStatus, Long> byStatus = latest.values().stream()
                .collect(Collectors.groupingBy(Order::getStatus, Collectors.counting()));
        System.out.println("Orders by status: " + byStatus);

        // Invariant 3: per item available + held + sold = stocked, and never oversold; invariant 4: no hold left.
        final Map<String, Long> soldByItem = new HashMap<>();
        for (final Order order : latest.values()) {
            if (order.getStatus() == OrderStatus.COMPLETED) {
                for (final OrderLineState line : order.getLines()) {
                    soldByItem.merge(line.getItemId(), line.getHeld(), Long::sum);
                }
            }
        }
        for (int i = 0; i < ITEMS; i++) {
            final JsonNode item = json.readTree(send("GET", "/v1/categories/" + categoryOf(i) + "/items/" + itemId(i),
                    null).body());
            assertThat(item.get("held").asLong()).as("held of %s", itemId(i)).isZero();
            assertThat(item.get("available").asLong() + item.get("sold").asLong()).isEqualTo(STOCK);
            assertThat(item.get("stocked").asLong()).isEqualTo(STOCK);
            assertThat(item.get("sold").asLong()).as("sold of %s", itemId(i))
                    .isEqualTo(soldByItem.getOrDefault(itemId(i), 0L)).isLessThanOrEqualTo(STOCK);
        }
        assertThat(byStatus.getOrDefault(OrderStatus.COMPLETED, 0L)).as("some orders completed").isPositive();
        assertThat(byStatus.getOrDefault(OrderStatus.EXPIRED, 0L)).as("some holds expired").isPositive();
        assertThat(byStatus.getOrDefault(OrderStatus.CANCELLED, 0L)).as("some orders cancelled").isPositive();
        assertThat(byStatus.getOrDefault(OrderStatus.FAILED, 0L)).as("some payments failed").isPositive();

        // Every payment that succeeded for an order that did not complete is refunded; invariant 1: the shop
        // keeps exactly the amounts of its completed orders.
        final Map<String, Payment> payments = awaitSettledPayments(latest.values());
        long kept = 0;
        long refundedAfterExpiryOrCancel = 0;
        for (final Order order : latest.values()) {
            final Payment payment = payments.get(order.getPaymentId());
            if (order.getStatus() == OrderStatus.COMPLETED) {
                assertThat(payment.getStatus()).as("payment of %s", order.getOrderId()).isEqualTo(PaymentStatus.SUCCEEDED);
                kept += order.getAmount().getAmountMinor();
            } else if (payment != null && payment.getStatus() != PaymentStatus.FAILED
                    && payment.getStatus() != PaymentStatus.DEAD_LETTERED) {
                assertThat(payment.getStatus()).as("payment of %s order %s", order.getStatus(), order.getOrderId())
                        .isEqualTo(PaymentStatus.REFUNDED);
                refundedAfterExpiryOrCancel++;
            }
        }
        System.out.printf("Refunded payments of expired or cancelled orders: %d%n", refundedAfterExpiryOrCancel);
        assertThat(refundedAfterExpiryOrCancel).as("paid-after-expiry payments were refunded").isPositive();
        final JsonNode balance = json.readTree(send("GET", "/v1/partners/" + SHOP + "/balance", null).body());
        final JsonNode account = balance.get("accounts").get(0);
        assertThat(account.get("availableMinor").asLong()).isEqualTo(kept);
        assertThat(account.get("heldMinor").asLong()).isZero();
    }

    /**
     * One order of 1 to 3 lines, most in one category, some across categories (split by the gateway). Kinds:
     * 10 % cancelled at once, 10 % paid through an unconfigured provider (payment fails), 10 % with a 1.5 s hold
     * and no automatic placement (paid, then expired and refunded), the rest placed as soon as paid.
     */
    private ObjectNode randomOrder(final int n, final Random random) {
        final ObjectNode order = json.createObjectNode()
                .put("orderId", "bf-" + n).put("customerId", "customer-" + random.nextInt(500)).put("partnerId", SHOP)
                .put("holdTtlMs", 60_000);
        final ArrayNode items = order.putArray("items");
        final int lines = 1 + random.nextInt(3);
        final int firstItem = random.nextInt(ITEMS);
        for (int line = 0; line < lines; line++) {
            // Mostly the same category as the first line; now and then another one.
            final int item = random.nextInt(10) == 0 ? random.nextInt(ITEMS)
                    : (firstItem / (ITEMS / CATEGORIES)) * (ITEMS / CATEGORIES) + random.nextInt(ITEMS / CATEGORIES);
            if (containsItem(items, itemId(item))) {
                continue;
            }
            items.addObject().put("itemId", itemId(item)).put("quantity", 1 + random.nextInt(3));
        }
        final ObjectNode payment = order.putObject("payment").put("method", "PROVIDER").put("providerId", PROVIDER);
        final int kind = random.nextInt(10);
        if (kind == 0) {
            order.put("cancelAtOnce", true);
        } else if (kind == 1) {
            payment.put("providerId", UNCONFIGURED_PROVIDER);
        } else if (kind == 2) {
            order.put("holdTtlMs", 1_500).put("placeOnPayment", false);
        }
        return order;
    }

    private static boolean containsItem(final ArrayNode items, final String itemId) {
        for (final JsonNode line : items) {
            if (line.get("itemId").asText().equals(itemId)) {
                return true;
            }
        }
        return false;
    }

    private static String itemId(final int i) {
        return "item-" + i;
    }

    private static String categoryOf(final int item) {
        return "category-" + item / (ITEMS / CATEGORIES);
    }

    /** Items are visible to order routing once the catalog holds every one of them. */
    private void awaitCatalog() throws Exception {
        final Instant deadline = Instant.now().plusSeconds(30);
        for (int i = 0; i < ITEMS; i++) {
            while (send("GET", "/v1/categories/" + categoryOf(i) + "/items/" + itemId(i), null).statusCode() != 200) {
                assertThat(Instant.now()).as("item %d readable in time", i).isBefore(deadline);
                Thread.sleep(100);
            }
        }
        Thread.sleep(1_000); // the catalog is a global table, fed by its own thread
    }

    /** Reads committed order events until every (sub-)order of every posted order is terminal. */
    private Map<String, Order> awaitTerminalOrders(final List<String> postedIds) {
        final Map<String, Order> latest = new HashMap<>();
        final boolean terminal = readUntil(node.topics().orderEvents, event -> {
            if (!event.getDuplicate() && event.getOrder() != null) {
                final Order order = event.getOrder();
                latest.put(order.getOrderId() + "#" + order.getBatch(), order);
            }
        }, () -> {
            final boolean everyPostedSeen = postedIds.stream().allMatch(id -> latest.values().stream()
                    .anyMatch(o -> o.getOrderId().equals(id) || id.equals(o.getParentOrderId())));
            return everyPostedSeen && latest.values().stream().allMatch(o -> OrderStatuses.isTerminal(o.getStatus()));
        });
        if (terminal) {
            return latest;
        }
        throw new AssertionError("orders not terminal in time: " + latest.values().stream()
                .collect(Collectors.groupingBy(Order::getStatus, Collectors.counting())));
    }

    /** The last state of each order's payment, once no refund is pending. */
    private Map<String, Payment> awaitSettledPayments(final java.util.Collection<Order> orders) {
        final Map<String, Payment> latest = new HashMap<>();
        final boolean settled = readUntil(node.topics().paymentEvents, event -> {
            if (!event.getDuplicate() && event.getPayment() != null) {
                latest.put(event.getPayment().getPaymentId(), event.getPayment());
            }
        }, () -> orders.stream().allMatch(order -> {
            final Payment payment = latest.get(order.getPaymentId());
            if (order.getStatus() == OrderStatus.REJECTED) {
                return true;
            }
            if (payment == null) {
                return false;
            }
            final boolean refundDue = order.getStatus() != OrderStatus.COMPLETED
                    && payment.getStatus() != PaymentStatus.FAILED
                    && payment.getStatus() != PaymentStatus.DEAD_LETTERED;
            return refundDue ? payment.getStatus() == PaymentStatus.REFUNDED
                    || payment.getStatus() == PaymentStatus.REFUND_FAILED
                    : io.bursar.schemas.PaymentStatuses.isTerminal(payment.getStatus());
        }));
        if (settled) {
            return latest;
        }
        throw new AssertionError("payments not settled in time: " + latest.values().stream()
                .collect(Collectors.groupingBy(Payment::getStatus, Collectors.counting())));
    }

    /**
     * Reads the committed records of {@code topic} from its start, handing each value to {@code seen}, until
     * {@code done} holds after a poll (true) or the settle timeout has passed (false).
     */
    private <V> boolean readUntil(final Topics.Topic<String, V> topic, final Consumer<V> seen,
                                  final BooleanSupplier done) {
        final Instant deadline = Instant.now().plus(SETTLE_TIMEOUT);
        try (KafkaConsumer<String, V> consumer = consumer(topic.valueSerde().deserializer())) {
            consumer.subscribe(List.of(topic.name()));
            while (Instant.now().isBefore(deadline)) {
                for (final ConsumerRecord<String, V> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.value() != null) {
                        seen.accept(record.value());
                    }
                }
                if (done.getAsBoolean()) {
                    return true;
                }
            }
        }
        return false;
    }

    private <V> KafkaConsumer<String, V> consumer(final org.apache.kafka.common.serialization.Deserializer<V> values) {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "black-friday-check-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString()),
                new org.apache.kafka.common.serialization.StringDeserializer(), values);
    }

    private HttpResponse<String> send(final String method, final String path, final JsonNode body) throws Exception {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.gateway().url() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + ADMIN_KEY);
        if (body == null) {
            request.method(method, method.equals("GET") ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString("{}"));
        } else {
            final ObjectNode sent = body.deepCopy();
            ((ObjectNode) sent).remove("cancelAtOnce");
            request.method(method, HttpRequest.BodyPublishers.ofString(json.writeValueAsString(sent)));
        }
        request.header("Content-Type", "application/json");
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }
}
