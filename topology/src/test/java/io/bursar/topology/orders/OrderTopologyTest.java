package io.bursar.topology.orders;

import static io.bursar.topology.orders.OrderDriver.START;
import static io.bursar.topology.orders.OrderDriver.line;
import static io.bursar.topology.orders.OrderDriver.newItem;
import static io.bursar.topology.orders.OrderDriver.order;
import static io.bursar.topology.testing.Payments.eur;
import static io.bursar.topology.testing.TestDrivers.count;
import static io.bursar.topology.testing.TestDrivers.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.bursar.schemas.common.Money;
import io.bursar.schemas.orders.CatalogEntry;
import io.bursar.schemas.orders.Item;
import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.orders.OrderEventType;
import io.bursar.schemas.orders.OrderRejectionReason;
import io.bursar.schemas.orders.OrderStatus;
import io.bursar.schemas.orders.ProcessedOrderCommand;
import io.bursar.schemas.orders.UpsertItem;
import io.bursar.schemas.orders.UpsertItemKind;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentMethod;
import io.bursar.schemas.payments.RequestPayment;
import io.bursar.topology.DeadLetterHandler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Items, creating orders and idempotency in the category topology, through TopologyTestDriver. */
class OrderTopologyTest {

    private static final String TOYS = "toys";
    private static final String BOOKS = "books";
    private static final long RETENTION_MS = 60_000;
    private static final int WORK_MAX = 2;
    private static final int LINES_MAX = 5;

    @AutoClose
    private final OrderDriver orders;

    OrderTopologyTest(@TempDir final Path stateDir) {
        orders = OrderDriver.start(stateDir, Map.of(
                OrderTopologyConfig.IDEMPOTENCY_RETENTION_MS, RETENTION_MS,
                OrderTopologyConfig.PUNCTUATION_WORK_MAX, WORK_MAX,
                OrderTopologyConfig.LINES_MAX, LINES_MAX));
    }

    // ---- UpsertItem -----------------------------------------------------------------------------------------

    @Test
    void upsertCreatesAnItemAndListsItInTheCatalog() {
        orders.commands.pipeInput(TOYS, OrderDriver.command("u1", TOYS, newItem("ball", eur(250), 10), START));

        final TestRecord<String, OrderEvent> record = orders.events.readRecord();
        assertThat(record.key()).isEqualTo(TOYS);
        final OrderEvent event = record.value();
        assertThat(event.getType()).isEqualTo(OrderEventType.UPSERT_ITEM);
        assertThat(event.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(event.getDuplicate()).isFalse();
        assertThat(event.getOrder()).isNull();
        final Item item = event.getItems().get(0);
        assertThat(item.getCategoryId()).isEqualTo(TOYS);
        assertThat(item.getAvailable()).isEqualTo(10);
        assertThat(item.getStocked()).isEqualTo(10);
        assertThat(item.getHeld()).isZero();
        assertThat(item.getSold()).isZero();
        assertThat(orders.item(TOYS, "ball")).isEqualTo(item);

        final TestRecord<String, CatalogEntry> listed = orders.catalogOut.readRecord();
        assertThat(listed.key()).isEqualTo("ball");
        assertThat(listed.value().getCategoryId()).isEqualTo(TOYS);
        assertThat(listed.value().getPrice()).isEqualTo(eur(250));
        final KeyValueStore<String, ValueAndTimestamp<CatalogEntry>> catalog =
                orders.driver.getTimestampedKeyValueStore(OrderTopology.CATALOG_STORE);
        assertThat(catalog.get("ball").value().getCategoryId()).isEqualTo(TOYS);
    }

    @Test
    void aNewItemNeedsANameAPriceAndAStock() {
        assertThat(upsert("u1", UpsertItem.newBuilder().setUpsertItem(UpsertItemKind.UPSERT_ITEM).setItemId("x").setPrice(eur(1)).setStockSet(1L).build()))
                .isEqualTo(OrderRejectionReason.INVALID_COMMAND);
        assertThat(upsert("u2", UpsertItem.newBuilder().setUpsertItem(UpsertItemKind.UPSERT_ITEM).setItemId("x").setName("X").setStockSet(1L).build()))
                .isEqualTo(OrderRejectionReason.INVALID_PRICE);
        assertThat(upsert("u3", newItem("x", eur(0), 1))).isEqualTo(OrderRejectionReason.INVALID_PRICE);
        assertThat(upsert("u4", newItem("x", new Money(100L, "EURO"), 1))).isEqualTo(OrderRejectionReason.INVALID_PRICE);
        assertThat(upsert("u5", UpsertItem.newBuilder().setUpsertItem(UpsertItemKind.UPSERT_ITEM).setItemId("x").setName("X").setPrice(eur(1)).build()))
                .isEqualTo(OrderRejectionReason.INVALID_STOCK);
        assertThat(upsert("u6", newItem("x", eur(1), -1))).isEqualTo(OrderRejectionReason.INVALID_STOCK);
        assertThat(upsert("u7", UpsertItem.newBuilder().setUpsertItem(UpsertItemKind.UPSERT_ITEM).setItemId("x").setName("X").setPrice(eur(1))
                .setStockDelta(5L).build())).isEqualTo(OrderRejectionReason.INVALID_STOCK);
        assertThat(upsert("u8", UpsertItem.newBuilder(newItem("x", eur(1), 1)).setStockDelta(1L).build()))
                .isEqualTo(OrderRejectionReason.INVALID_STOCK);
        assertThat(upsert("u9", newItem("a/b", eur(1), 1))).isEqualTo(OrderRejectionReason.INVALID_COMMAND);
        assertThat(upsert("u10", newItem(" ", eur(1), 1))).isEqualTo(OrderRejectionReason.INVALID_COMMAND);
        assertThat(count(orders.items())).isZero();
        assertThat(orders.catalogOut.isEmpty()).isTrue();
    }

    @Test
    void stockIsSetOrChangedByADeltaAndNeverGoesNegative() {
        orders.addItem(TOYS, "ball", 250, 10);

        assertThat(upsert("u2", UpsertItem.newBuilder().setUpsertItem(UpsertItemKind.UPSERT_ITEM).setItemId("ball").setStockSet(4L).build())).isNull();
        assertThat(orders.item(TOYS, "ball").getAvailable()).isEqualTo(4);
        assertThat(upsert("u3", UpsertItem.newBuilder().setUpsertItem(UpsertItemKind.UPSERT_ITEM).setItemId("ball").setStockDelta(3L).build())).isNull();
        assertThat(orders.item(TOYS, "ball").getAvailable()).isEqualTo(7);
        assertThat(upsert("u4", UpsertItem.newBuilder().setUpsertItem(UpsertItemKind.UPSERT_ITEM).setItemId("ball").setStockDelta(-8L).build()))
                .isEqualTo(OrderRejectionReason.INVALID_STOCK);
        assertThat(upsert("u5", UpsertItem.newBuilder().setUpsertItem(UpsertItemKind.UPSERT_ITEM).setItemId("ball").setStockDelta(Long.MAX_VALUE).build()))
                .isEqualTo(OrderRejectionReason.INVALID_STOCK);
        assertThat(upsert("u6", UpsertItem.newBuilder().setUpsertItem(UpsertItemKind.UPSERT_ITEM).setItemId("ball").setStockSet(-1L).build()))
                .isEqualTo(OrderRejectionReason.INVALID_STOCK);
        assertThat(upsert("u7", UpsertItem.newBuilder().setUpsertItem(UpsertItemKind.UPSERT_ITEM).setItemId("ball").setStockSet(1L).setStockDelta(1L).build()))
                .isEqualTo(OrderRejectionReason.INVALID_STOCK);
        final Item item = orders.item(TOYS, "ball");
        assertThat(item.getAvailable()).isEqualTo(7);
        assertThat(item.getStocked()).isEqualTo(7);
        // Stock alone is no news for the catalog.
        assertThat(orders.catalogOut.isEmpty()).isTrue();
    }

    @Test
    void aNewNameOrPriceIsListedAgain() {
        orders.addItem(TOYS, "ball", 250, 10);

        assertThat(upsert("u2", UpsertItem.newBuilder().setUpsertItem(UpsertItemKind.UPSERT_ITEM).setItemId("ball").setPrice(eur(300)).build())).isNull();
        assertThat(orders.catalogOut.readValue().getPrice()).isEqualTo(eur(300));
        assertThat(upsert("u3", UpsertItem.newBuilder().setUpsertItem(UpsertItemKind.UPSERT_ITEM).setItemId("ball").setName("Red ball").build())).isNull();
        assertThat(orders.catalogOut.readValue().getName()).isEqualTo("Red ball");
        assertThat(upsert("u4", UpsertItem.newBuilder().setUpsertItem(UpsertItemKind.UPSERT_ITEM).setItemId("ball").setName("Red ball").build())).isNull();
        assertThat(orders.catalogOut.isEmpty()).isTrue();
        assertThat(orders.item(TOYS, "ball").getAvailable()).isEqualTo(10);
    }

    @Test
    void restockingKeepsWhatIsHeldAndSold() {
        orders.addItem(TOYS, "ball", 250, 10);
        orders.result("o1", TOYS, order("o1", line("ball", 3)).build());

        assertThat(upsert("u2", UpsertItem.newBuilder().setUpsertItem(UpsertItemKind.UPSERT_ITEM).setItemId("ball").setStockSet(0L).build())).isNull();

        final Item item = orders.item(TOYS, "ball");
        assertThat(item.getAvailable()).isZero();
        assertThat(item.getHeld()).isEqualTo(3);
        assertThat(item.getStocked()).isEqualTo(3);
    }

    @Test
    void anItemTheCatalogPlacesInAnotherCategoryIsNotCreatedHere() {
        orders.catalogIn.pipeInput("ball", new CatalogEntry("ball", BOOKS, "Ball", eur(100), START));

        assertThat(upsert("u1", newItem("ball", eur(250), 10))).isEqualTo(OrderRejectionReason.ITEM_IN_OTHER_CATEGORY);
        assertThat(orders.item(TOYS, "ball")).isNull();
    }

    @Test
    void theCatalogLearnsOfItemsFromTheirOwnCategory() {
        orders.addItem(TOYS, "ball", 250, 10);

        assertThat(orders.result("u2", BOOKS, newItem("ball", eur(250), 10)).getReason())
                .isEqualTo(OrderRejectionReason.ITEM_IN_OTHER_CATEGORY);
        assertThat(orders.result("o1", BOOKS, order("o1", line("ball", 1)).build()).getReason())
                .isEqualTo(OrderRejectionReason.ITEM_IN_OTHER_CATEGORY);
    }

    // ---- CreateOrder ----------------------------------------------------------------------------------------

    @Test
    void creatingAnOrderHoldsItsStockAndAsksForThePaymentInOneStep() {
        orders.addItem(TOYS, "ball", 250, 10);
        orders.addItem(TOYS, "kite", 1_000, 5);

        orders.commands.pipeInput(TOYS, OrderDriver.command("c1", TOYS,
                order("o1", line("ball", 2), line("kite", 1)).setParentOrderId("parent-1").build(), START));

        final TestRecord<String, OrderEvent> record = orders.events.readRecord();
        assertThat(record.key()).isEqualTo("o1");
        final OrderEvent event = record.value();
        assertThat(event.getType()).isEqualTo(OrderEventType.CREATE_ORDER);
        assertThat(event.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        final Order order = event.getOrder();
        assertThat(order.getStatus()).isEqualTo(OrderStatus.RESERVED);
        assertThat(order.getAmount()).isEqualTo(eur(1_500));
        assertThat(order.getPaymentId()).isEqualTo("o1#0");
        assertThat(order.getParentOrderId()).isEqualTo("parent-1");
        assertThat(order.getCommandId()).isEqualTo("c1");
        assertThat(order.getExpiresAt()).isEqualTo(START.plusMillis(10_000));
        assertThat(order.getLines()).extracting("itemId", "requested", "held")
                .containsExactly(tuple("ball", 2L, 2L),
                        tuple("kite", 1L, 1L));
        assertThat(event.getItems()).extracting(Item::getItemId, Item::getAvailable, Item::getHeld)
                .containsExactly(tuple("ball", 8L, 2L),
                        tuple("kite", 4L, 1L));
        assertThat(orders.stored(TOYS, "o1", 0)).isEqualTo(order);

        final TestRecord<String, PaymentCommand> request = orders.paymentCommands.readRecord();
        assertThat(request.key()).isEqualTo("shop");
        assertThat(request.value().getCommandId()).isEqualTo("pay:o1#0");
        assertThat(request.value().getPartnerId()).isEqualTo("shop");
        final RequestPayment payment = (RequestPayment) request.value().getPayload();
        assertThat(payment.getPaymentId()).isEqualTo("o1#0");
        assertThat(payment.getAmount()).isEqualTo(eur(1_500));
        assertThat(payment.getMethod()).isEqualTo(PaymentMethod.BALANCE);
        assertThat(payment.getProviderId()).isNull();
        assertThat(payment.getOrderId()).isEqualTo("o1");
        assertThat(payment.getCategoryId()).isEqualTo(TOYS);
        assertThat(orders.paymentCommands.isEmpty()).isTrue();
    }

    @Test
    void aProviderPaymentNamesItsProvider() {
        orders.addItem(TOYS, "ball", 250, 10);

        orders.result("c1", TOYS, order("o1", line("ball", 1)).setPaymentMethod(PaymentMethod.PROVIDER)
                .setProviderId("acme").build());

        final RequestPayment payment = (RequestPayment) orders.requested().getPayload();
        assertThat(payment.getMethod()).isEqualTo(PaymentMethod.PROVIDER);
        assertThat(payment.getProviderId()).isEqualTo("acme");
    }

    @Test
    void invalidOrdersAreRejectedWithoutHoldingAnything() {
        orders.addItem(TOYS, "ball", 250, 10);
        orders.addItem(TOYS, "kite", 1_000, 5);

        assertRejected("c1", order(" ", line("ball", 1)).build(), OrderRejectionReason.INVALID_COMMAND);
        assertRejected("c2", order("o/1", line("ball", 1)).build(), OrderRejectionReason.INVALID_COMMAND);
        assertRejected("c3", order("o1", line("ball", 1)).setCustomerId("").build(), OrderRejectionReason.INVALID_COMMAND);
        assertRejected("c4", order("o1", line("ball", 1)).setPartnerId(" ").build(), OrderRejectionReason.INVALID_COMMAND);
        assertRejected("c5", order("o1").build(), OrderRejectionReason.INVALID_COMMAND);
        assertRejected("c6", order("o1", line("a", 1), line("b", 1), line("c", 1), line("d", 1), line("e", 1),
                line("f", 1)).build(), OrderRejectionReason.INVALID_COMMAND);
        assertRejected("c7", order("o1", line("ball", 0)).build(), OrderRejectionReason.INVALID_QUANTITY);
        assertRejected("c8", order("o1", line("ball", -2)).build(), OrderRejectionReason.INVALID_QUANTITY);
        assertRejected("c9", order("o1", line("ball", 1), line("ball", 2)).build(), OrderRejectionReason.INVALID_COMMAND);
        assertRejected("c10", order("o1", line("ball", 1)).setHoldTtlMs(0L).build(), OrderRejectionReason.INVALID_HOLD_TTL);
        assertRejected("c11", order("o1", line("ball", 1)).setHoldTtlMs(Duration.ofDays(2).toMillis()).build(),
                OrderRejectionReason.INVALID_HOLD_TTL);
        assertRejected("c12", order("o1", line("ball", 1)).setPaymentMethod(PaymentMethod.PROVIDER).build(),
                OrderRejectionReason.INVALID_PROVIDER);
        assertRejected("c13", order("o1", line("ball", 1)).setPaymentMethod(PaymentMethod.PROVIDER)
                .setProviderId("Not Valid").build(), OrderRejectionReason.INVALID_PROVIDER);
        assertRejected("c14", order("o1", line("ball", 1)).setProviderId("acme").build(),
                OrderRejectionReason.INVALID_PROVIDER);
        assertRejected("c15", order("o1", line("ball", 1)).setBatch(1).setBatches(1).build(),
                OrderRejectionReason.INVALID_COMMAND);
        assertRejected("c16", order("o1", line("ball", 1)).setPaymentMethod(PaymentMethod.UNKNOWN).build(),
                OrderRejectionReason.INVALID_COMMAND);
        assertRejected("c17", order("o1", line("ball", 1)).setPartnerId("a/b").build(),
                OrderRejectionReason.INVALID_COMMAND);
    }

    @Test
    void aRejectedOrderIsShownRejectedButNotStored() {
        orders.addItem(TOYS, "ball", 250, 1);

        final List<OrderEvent> out = orders.send("c1", TOYS, order("o1", line("ball", 2), line("nope", 1)).build());

        assertThat(out).hasSize(1);
        final Order snapshot = out.get(0).getOrder();
        assertThat(snapshot.getStatus()).isEqualTo(OrderStatus.REJECTED);
        assertThat(snapshot.getReason()).isEqualTo(OrderRejectionReason.ITEM_NOT_FOUND.name());
        assertThat(snapshot.getLines()).extracting("itemId", "requested", "held")
                .containsExactly(tuple("ball", 2L, 0L),
                        tuple("nope", 1L, 0L));
        assertThat(snapshot.getLines().get(1).getUnitPrice()).isEqualTo(new Money(0L, OrderFlow.NO_CURRENCY));
        assertThat(snapshot.getAmount()).isEqualTo(eur(0));
        assertThat(orders.stored(TOYS, "o1", 0)).isNull();
        // The id is free: the same order may be created once its items exist.
        orders.addItem(TOYS, "nope", 100, 1);
        assertThat(orders.result("c2", TOYS, order("o1", line("ball", 1), line("nope", 1)).build()).getOutcome())
                .isEqualTo(Outcome.ACCEPTED);
    }

    @Test
    void unknownItemsAreNotFoundAndItemsOfAnotherCategorySaySo() {
        orders.addItem(TOYS, "ball", 250, 10);
        orders.catalogIn.pipeInput("novel", new CatalogEntry("novel", BOOKS, "Novel", eur(900), START));

        assertRejected("c1", order("o1", line("ball", 1), line("ghost", 1)).build(), OrderRejectionReason.ITEM_NOT_FOUND);
        assertRejected("c2", order("o1", line("ball", 1), line("novel", 1)).build(),
                OrderRejectionReason.ITEM_IN_OTHER_CATEGORY);
    }

    @Test
    void anOrderShortOfAnyItemHoldsNothing() {
        orders.addItem(TOYS, "ball", 250, 10);
        orders.addItem(TOYS, "kite", 1_000, 1);

        assertRejected("c1", order("o1", line("ball", 5), line("kite", 2)).build(), OrderRejectionReason.OUT_OF_STOCK);

        assertThat(orders.item(TOYS, "ball").getAvailable()).isEqualTo(10);
        assertThat(orders.item(TOYS, "kite").getAvailable()).isEqualTo(1);
    }

    @Test
    void aPartialOrderHoldsWhatThereIs() {
        orders.addItem(TOYS, "ball", 250, 10);
        orders.addItem(TOYS, "kite", 1_000, 1);
        orders.addItem(TOYS, "yoyo", 50, 0);

        final OrderEvent event = orders.result("c1", TOYS, order("o1", line("ball", 5), line("kite", 3), line("yoyo", 2))
                .setAllowPartial(true).build());

        assertThat(event.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(event.getOrder().getLines()).extracting("requested", "held")
                .containsExactly(tuple(5L, 5L), tuple(3L, 1L),
                        tuple(2L, 0L));
        assertThat(event.getOrder().getAmount()).isEqualTo(eur(5 * 250 + 1_000));
        assertThat(event.getItems()).extracting(Item::getItemId).containsExactly("ball", "kite");
        assertThat(orders.item(TOYS, "kite").getAvailable()).isZero();
        assertThat(((RequestPayment) orders.requested().getPayload()).getAmount()).isEqualTo(eur(2_250));
    }

    @Test
    void aPartialOrderOfNothingIsOutOfStock() {
        orders.addItem(TOYS, "yoyo", 50, 0);

        assertRejected("c1", order("o1", line("yoyo", 2)).setAllowPartial(true).build(),
                OrderRejectionReason.OUT_OF_STOCK);
    }

    @Test
    void pricesInTwoCurrenciesCannotBeOneOrder() {
        orders.addItem(TOYS, "ball", 250, 10);
        orders.result("u2", TOYS, newItem("kite", new Money(1_000L, "USD"), 5));

        assertRejected("c1", order("o1", line("ball", 1), line("kite", 1)).build(), OrderRejectionReason.CURRENCY_MISMATCH);
    }

    @Test
    void anAmountThatWouldOverflowIsRejected() {
        orders.addItem(TOYS, "gold", Long.MAX_VALUE / 2, 10);

        assertRejected("c1", order("o1", line("gold", 3)).build(), OrderRejectionReason.INVALID_QUANTITY);
    }

    @Test
    void anOrderBatchIsCreatedOnce() {
        orders.addItem(TOYS, "ball", 250, 10);
        orders.result("c1", TOYS, order("o1", line("ball", 1)).build());
        orders.requested();

        final OrderEvent again = orders.result("c2", TOYS, order("o1", line("ball", 2)).build());

        assertThat(again.getReason()).isEqualTo(OrderRejectionReason.ORDER_ALREADY_EXISTS);
        // The order as it stands, not a REJECTED snapshot of the same id.
        assertThat(again.getOrder().getStatus()).isEqualTo(OrderStatus.RESERVED);
        assertThat(orders.item(TOYS, "ball").getHeld()).isEqualTo(1);
        assertThat(orders.sentPayments()).isEmpty();
    }

    // ---- idempotency and the command's envelope -------------------------------------------------------------

    @Test
    void aRepeatedCommandYieldsItsOriginalOutcomeAndNoSecondEffect() {
        orders.addItem(TOYS, "ball", 250, 10);
        final OrderEvent first = orders.result("c1", TOYS, order("o1", line("ball", 2)).build());
        orders.requested();

        final List<OrderEvent> again = orders.send("c1", TOYS, order("o1", line("ball", 2)).build());

        assertThat(again).hasSize(1);
        assertThat(again.get(0).getDuplicate()).isTrue();
        assertThat(again.get(0).getOutcome()).isEqualTo(first.getOutcome());
        assertThat(again.get(0).getProcessedAt()).isEqualTo(first.getProcessedAt());
        assertThat(again.get(0).getOrder()).isEqualTo(first.getOrder());
        assertThat(orders.item(TOYS, "ball").getHeld()).isEqualTo(2);
        assertThat(orders.sentPayments()).isEmpty();
    }

    @Test
    void aRepeatedRejectionStaysRejected() {
        final OrderEvent first = orders.result("c1", TOYS, order("o1", line("ball", 2)).build());
        orders.addItem(TOYS, "ball", 250, 10);

        final OrderEvent again = orders.send("c1", TOYS, order("o1", line("ball", 2)).build()).get(0);

        assertThat(first.getReason()).isEqualTo(OrderRejectionReason.ITEM_NOT_FOUND);
        assertThat(again.getReason()).isEqualTo(OrderRejectionReason.ITEM_NOT_FOUND);
        assertThat(again.getDuplicate()).isTrue();
        assertThat(orders.item(TOYS, "ball").getHeld()).isZero();
    }

    @Test
    void theSameCommandIdWithAnotherPayloadIsAConflictWithoutEffect() {
        orders.addItem(TOYS, "ball", 250, 10);
        orders.result("c1", TOYS, order("o1", line("ball", 2)).build());
        orders.requested();

        final OrderEvent conflict = orders.send("c1", TOYS, order("o1", line("ball", 3)).build()).get(0);

        assertThat(conflict.getOutcome()).isEqualTo(Outcome.REJECTED);
        assertThat(conflict.getReason()).isEqualTo(OrderRejectionReason.IDEMPOTENCY_CONFLICT);
        assertThat(conflict.getDuplicate()).isTrue();
        assertThat(orders.item(TOYS, "ball").getHeld()).isEqualTo(2);
        assertThat(orders.sentPayments()).isEmpty();
    }

    @Test
    void issuedAtDoesNotMakeARetryAConflict() {
        orders.addItem(TOYS, "ball", 250, 10);
        orders.result("c1", TOYS, order("o1", line("ball", 2)).build());

        final List<OrderEvent> retry = orders.sendKeyed(TOYS, OrderDriver.command("c1", TOYS,
                order("o1", line("ball", 2)).build(), START.plusSeconds(30)));

        assertThat(retry.get(0).getDuplicate()).isTrue();
        assertThat(retry.get(0).getOutcome()).isEqualTo(Outcome.ACCEPTED);
    }

    @Test
    void commandIdsAreScopedToTheirCategory() {
        orders.addItem(TOYS, "ball", 250, 10);
        orders.addItem(BOOKS, "novel", 900, 10);

        assertThat(orders.result("same", TOYS, order("o1", line("ball", 1)).build()).getDuplicate()).isFalse();
        assertThat(orders.result("same", BOOKS, order("o2", line("novel", 1)).build()).getDuplicate()).isFalse();
    }

    @Test
    void commandIdsAreRememberedForTheRetentionAndForgottenAfterIt() {
        orders.addItem(TOYS, "ball", 250, 10);
        final WindowStore<String, ProcessedOrderCommand> results =
                orders.driver.getWindowStore(OrderProcessor.RESULTS_STORE);
        orders.result("p1", TOYS, OrderDriver.place("nope"));
        orders.result("p2", TOYS, OrderDriver.place("nope"));
        assertThat(count(results)).isEqualTo(3);

        orders.clock.jump(Duration.ofMillis(RETENTION_MS - 1_000));
        assertThat(orders.result("p1", TOYS, OrderDriver.place("nope")).getDuplicate()).isTrue();
        orders.clock.jump(Duration.ofMillis(2_000));
        assertThat(orders.result("p1", TOYS, OrderDriver.place("nope")).getDuplicate()).isFalse();
        // Once the log's time has moved past them, old results go with their segment, without a delete each.
        orders.clock.jump(Duration.ofMillis(3 * RETENTION_MS));
        orders.result("p3", TOYS, OrderDriver.place("nope"));
        assertThat(count(results)).isLessThan(3);
    }

    @Test
    void aCommandKeyedByAnotherCategoryIsRejected() {
        orders.addItem(TOYS, "ball", 250, 10);

        final List<OrderEvent> out = orders.sendKeyed(BOOKS, OrderDriver.command("c1", TOYS,
                order("o1", line("ball", 1)).build(), START));

        assertThat(out).hasSize(1);
        assertThat(out.get(0).getReason()).isEqualTo(OrderRejectionReason.CATEGORY_KEY_MISMATCH);
        assertThat(out.get(0).getOrder().getStatus()).isEqualTo(OrderStatus.REJECTED);
        assertThat(orders.item(TOYS, "ball").getHeld()).isZero();
        assertThat(orders.sentPayments()).isEmpty();
    }

    @Test
    void aBlankCommandIdOrABadCategoryIsRejectedAndNotRemembered() {
        assertThat(orders.result(" ", TOYS, OrderDriver.place("o1")).getReason())
                .isEqualTo(OrderRejectionReason.INVALID_COMMAND);
        assertThat(orders.result(" ", TOYS, OrderDriver.place("o1")).getDuplicate()).isFalse();
        final List<OrderEvent> badCategory = orders.sendKeyed("a/b", OrderDriver.command("c1", "a/b",
                newItem("ball", eur(1), 1), START));
        assertThat(badCategory.get(0).getReason()).isEqualTo(OrderRejectionReason.INVALID_COMMAND);
        assertThat(count(orders.driver.getWindowStore(OrderProcessor.RESULTS_STORE))).isZero();
        assertThat(count(orders.items())).isZero();
    }

    @Test
    void anUnreadableRecordGoesToTheDeadLetterTopicAndProcessingContinues() {
        final TestInputTopic<byte[], byte[]> raw = orders.driver.createInputTopic(orders.topics.orderCommands.name(),
                new ByteArraySerializer(), new ByteArraySerializer());
        final TestOutputTopic<byte[], byte[]> deadLetters =
                orders.driver.createOutputTopic(orders.topics.deadLetters.name(),
                        new ByteArrayDeserializer(), new ByteArrayDeserializer());
        final byte[] garbage = "not avro".getBytes(StandardCharsets.UTF_8);

        raw.pipeInput(new StringSerializer().serialize("", TOYS), garbage);

        orders.addItem(TOYS, "ball", 250, 10);
        final TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
        assertThat(dead.value()).isEqualTo(garbage);
        assertThat(header(dead, DeadLetterHandler.HEADER_ORIGIN_TOPIC)).isEqualTo(orders.topics.orderCommands.name());
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    private OrderRejectionReason upsert(final String commandId, final UpsertItem upsert) {
        final OrderEvent event = orders.result(commandId, TOYS, upsert);
        assertThat(event.getType()).isEqualTo(OrderEventType.UPSERT_ITEM);
        assertThat(event.getOutcome()).isEqualTo(event.getReason() == null ? Outcome.ACCEPTED : Outcome.REJECTED);
        return event.getReason();
    }

    private void assertRejected(final String commandId, final Object createOrder, final OrderRejectionReason reason) {
        final List<Long> heldBefore = heldOfEveryItem();
        final List<OrderEvent> out = orders.send(commandId, TOYS, createOrder);
        assertThat(out).as("events of %s", commandId).hasSize(1);
        final OrderEvent event = out.get(0);
        assertThat(event.getOutcome()).isEqualTo(Outcome.REJECTED);
        assertThat(event.getReason()).as("reason of %s", commandId).isEqualTo(reason);
        assertThat(event.getType()).isEqualTo(OrderEventType.CREATE_ORDER);
        if (event.getOrder() != null) {
            assertThat(event.getOrder().getStatus()).isEqualTo(OrderStatus.REJECTED);
            assertThat(event.getOrder().getReason()).isEqualTo(reason.name());
        }
        assertThat(orders.sentPayments()).as("payments of %s", commandId).isEmpty();
        assertThat(heldOfEveryItem()).isEqualTo(heldBefore);
        assertThat(count(orders.orders())).isZero();
    }

    private List<Long> heldOfEveryItem() {
        final List<Long> held = new ArrayList<>();
        try (var it = orders.items().all()) {
            it.forEachRemaining(kv -> held.add(kv.value.getHeld()));
        }
        return held;
    }
}
