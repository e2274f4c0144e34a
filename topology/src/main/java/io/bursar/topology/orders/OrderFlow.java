package io.bursar.topology.orders;

import io.bursar.schemas.OrderRules;
import io.bursar.schemas.ProviderIds;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.dispatch.FulfilmentLine;
import io.bursar.schemas.dispatch.FulfilmentLineOutcome;
import io.bursar.schemas.dispatch.ProviderCall;
import io.bursar.schemas.dispatch.ProviderCallResult;
import io.bursar.schemas.dispatch.ProviderOperation;
import io.bursar.schemas.orders.CancelOrder;
import io.bursar.schemas.orders.CreateOrder;
import io.bursar.schemas.orders.FulfilmentStatus;
import io.bursar.schemas.orders.Item;
import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderCommand;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.orders.OrderEventType;
import io.bursar.schemas.orders.OrderLine;
import io.bursar.schemas.orders.OrderLineState;
import io.bursar.schemas.orders.OrderRejectionReason;
import io.bursar.schemas.orders.OrderStatus;
import io.bursar.schemas.orders.PlaceOrder;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentMethod;
import io.bursar.schemas.payments.PaymentStatus;
import io.bursar.schemas.payments.RefundPayment;
import io.bursar.schemas.payments.RefundPaymentKind;
import io.bursar.schemas.payments.RequestPayment;
import io.bursar.schemas.payments.RequestPaymentKind;
import io.bursar.topology.DeadlineIndex;
import io.bursar.topology.LogClock;
import io.bursar.topology.Outbox;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The order state machine of one task: creating an order holds its stock and asks for its payment in the
 * same transaction; the payment's outcome, PlaceOrder, CancelOrder and the hold's deadline move it on.
 *
 * <p>RESERVED → PAID → PLACED → COMPLETED, or EXPIRED / CANCELLED / FAILED. Stock is held while an order
 * is RESERVED or PAID, sold once it is PLACED, and released when it ends otherwise. An order past its
 * {@code expiresAt} belongs to the expiry, whatever reaches it first: the punctuator, or a command or
 * payment outcome about it, which expires it before deciding, so outcomes never depend on when the
 * punctuator last ran. A payment that succeeds for an order that can no longer use it is refunded, once.
 */
final class OrderFlow {

    /** Between an orderId and its batch number, in store keys and paymentIds: {@code orderId#batch}. */
    static final char BATCH_SEPARATOR = '#';
    /** Most batches of one order; more are rejected INVALID_COMMAND, so PlaceOrder and CancelOrder stay bounded. */
    static final int BATCHES_MAX = OrderRules.BATCHES_MAX;
    /** Prefix of the commandId of the RequestPayment an order sends: {@code pay:<paymentId>}. */
    static final String PAY_COMMAND_PREFIX = "pay:";
    /** Prefix of the commandId of the RefundPayment an order sends: {@code refund:<paymentId>}. */
    static final String REFUND_COMMAND_PREFIX = "refund:";
    /** Prefix of the commandId of an event caused by a payment outcome: {@code payment:<paymentId>:<status>}. */
    static final String OUTCOME_COMMAND_PREFIX = "payment:";
    /** Prefix of the commandId of an event caused by a fulfilment provider's answer: {@code fulfilment:<call key>:<outcome>}. */
    static final String FULFILMENT_COMMAND_PREFIX = "fulfilment:";
    /** Longest reason kept on a removed line. */
    static final int REASON_LENGTH_MAX = 200;
    /** ISO 4217's "no currency", for the prices of unknown items in a rejected order's snapshot. */
    static final String NO_CURRENCY = "XXX";

    private static final Logger LOG = LoggerFactory.getLogger(OrderFlow.class);
    /** Bounds the prefix scan for an order's batches, which also passes other orders whose ids start "orderId#". */
    private static final int BATCH_SCAN_MAX = 10 * BATCHES_MAX;

    private final KeyValueStore<String, Order> orders;
    private final DeadlineIndex deadlines;
    private final Inventory inventory;
    private final OrderTopologyConfig config;
    /** categoryId → the provider that keeps the record of its items (the fulfilment provider). */
    private final Map<String, String> fulfilmentProviders;

    OrderFlow(final KeyValueStore<String, Order> orders, final DeadlineIndex deadlines, final Inventory inventory,
              final OrderTopologyConfig config) {
        this.orders = Objects.requireNonNull(orders, "orders");
        this.deadlines = Objects.requireNonNull(deadlines, "deadlines");
        this.inventory = Objects.requireNonNull(inventory, "inventory");
        this.config = Objects.requireNonNull(config, "config");
        this.fulfilmentProviders = config.fulfilmentProviders();
    }

    /** Ids in store keys: not blank, and without the keys' separator '/'. */
    static boolean isId(final String id) {
        return id != null && !id.isBlank() && id.indexOf(OrderProcessor.KEY_SEPARATOR) < 0;
    }

    /** One batch of an order, and its paymentId: {@code orderId#batch}. */
    static String batchId(final String orderId, final int batch) {
        return orderId + BATCH_SEPARATOR + batch;
    }

    /** Key in the orders store: {@code categoryId/orderId#batch}. */
    static String orderKey(final String categoryId, final String batchId) {
        return categoryId + OrderProcessor.KEY_SEPARATOR + batchId;
    }

    private static String orderKey(final Order order) {
        return orderKey(order.getCategoryId(), batchId(order.getOrderId(), order.getBatch()));
    }

    /** The stored state of the order {@code snapshot} shows, when it is still the same order (same CreateOrder); else null. */
    Order current(final Order snapshot) {
        final Order stored = orders.get(orderKey(snapshot));
        return stored != null && stored.getCommandId().equals(snapshot.getCommandId()) ? stored : null;
    }

    // ---- CreateOrder -------------------------------------------------------------------------------------

    OrderEvent create(final OrderCommand command, final CreateOrder create, final long nowMs, final Outbox out) {
        final String categoryId = command.getCategoryId();
        final OrderRejectionReason invalid = invalidCreate(create);
        if (invalid != null) {
            return rejectCreate(command, create, invalid, nowMs, out);
        }
        final String batchId = batchId(create.getOrderId(), create.getBatch());
        final String key = orderKey(categoryId, batchId);
        final Order existing = orders.get(key);
        if (existing != null) {
            // The order as it stands, not a REJECTED snapshot that a view would take for its new state.
            expireIfDue(existing, nowMs, out);
            final OrderEvent result = OrderEvents.rejected(command.getCommandId(), categoryId,
                    OrderEventType.CREATE_ORDER, OrderRejectionReason.ORDER_ALREADY_EXISTS, existing, List.of(), nowMs);
            out.event(result);
            return result;
        }
        final List<OrderLine> lines = create.getItems();
        final List<Item> items = new ArrayList<>(lines.size());
        for (final OrderLine line : lines) {
            final Item item = inventory.find(categoryId, line.getItemId());
            if (item == null) {
                return rejectCreate(command, create, inventory.otherCategoryOf(categoryId, line.getItemId()) != null
                        ? OrderRejectionReason.ITEM_IN_OTHER_CATEGORY : OrderRejectionReason.ITEM_NOT_FOUND, nowMs, out);
            }
            items.add(item);
        }
        final String currency = items.get(0).getPrice().getCurrency();
        if (items.stream().anyMatch(item -> !item.getPrice().getCurrency().equals(currency))) {
            return rejectCreate(command, create, OrderRejectionReason.CURRENCY_MISMATCH, nowMs, out);
        }
        final long[] held = new long[lines.size()];
        long heldTotal = 0;
        long amountMinor = 0;
        try {
            for (int i = 0; i < held.length; i++) {
                final long requested = lines.get(i).getQuantity();
                held[i] = Math.min(requested, items.get(i).getAvailable());
                if (held[i] < requested && !create.getAllowPartial()) {
                    return rejectCreate(command, create, OrderRejectionReason.OUT_OF_STOCK, nowMs, out);
                }
                heldTotal = Math.addExact(heldTotal, held[i]);
                amountMinor = Math.addExact(amountMinor,
                        Math.multiplyExact(held[i], items.get(i).getPrice().getAmountMinor()));
            }
        } catch (final ArithmeticException overflow) {
            return rejectCreate(command, create, OrderRejectionReason.INVALID_QUANTITY, nowMs, out);
        }
        if (heldTotal == 0) {
            return rejectCreate(command, create, OrderRejectionReason.OUT_OF_STOCK, nowMs, out);
        }

        final List<OrderLineState> states = new ArrayList<>(lines.size());
        final List<Item> changed = new ArrayList<>(lines.size());
        for (int i = 0; i < held.length; i++) {
            final Item item = items.get(i);
            if (held[i] > 0) {
                inventory.hold(item, held[i], nowMs);
                changed.add(item);
            }
            states.add(new OrderLineState(item.getItemId(), lines.get(i).getQuantity(), held[i],
                    Money.newBuilder(item.getPrice()).build(), null));
        }
        final long expiresAtMs = saturatedAdd(nowMs, create.getHoldTtlMs());
        final Order order = newOrder(command, create, states, new Money(amountMinor, currency), OrderStatus.RESERVED,
                expiresAtMs, null, nowMs);
        final String fulfilmentProvider = fulfilmentProviders.get(categoryId);
        order.setFulfilmentProviderId(fulfilmentProvider);
        if (fulfilmentProvider != null) {
            // The provider reserves first; the hold's TTL starts, and the payment is asked for, once it answered.
            order.setFulfilment(FulfilmentStatus.RESERVING);
            out.call(fulfilmentCall(order, ProviderOperation.RESERVE, heldLines(order), nowMs));
        } else {
            deadlines.add(expiresAtMs, key);
        }
        orders.put(key, order);
        final OrderEvent result = OrderEvents.accepted(command.getCommandId(), categoryId, OrderEventType.CREATE_ORDER,
                order, changed, nowMs);
        out.event(result);
        if (fulfilmentProvider == null) {
            requestPayment(order, nowMs, out);
        }
        return result;
    }

    /** Asks the order's partner for the batch's amount, in the transaction of the change that calls for it. */
    private static void requestPayment(final Order order, final long nowMs, final Outbox out) {
        out.payment(PaymentCommand.newBuilder()
                .setCommandId(PAY_COMMAND_PREFIX + order.getPaymentId()).setPartnerId(order.getPartnerId())
                .setIssuedAt(Instant.ofEpochMilli(nowMs))
                .setPayload(RequestPayment.newBuilder().setRequestPayment(RequestPaymentKind.REQUEST_PAYMENT)
                        .setPaymentId(order.getPaymentId()).setAmount(Money.newBuilder(order.getAmount()).build())
                        .setMethod(order.getPaymentMethod()).setProviderId(order.getProviderId())
                        .setOrderId(order.getOrderId()).setCategoryId(order.getCategoryId())
                        .build())
                .build());
    }

    private OrderRejectionReason invalidCreate(final CreateOrder create) {
        if (!isId(create.getOrderId()) || create.getCustomerId().isBlank() || !isId(create.getPartnerId())
                || create.getBatch() < 0 || create.getBatches() < 1 || create.getBatches() > BATCHES_MAX
                || create.getBatch() >= create.getBatches() || create.getPaymentMethod() == PaymentMethod.UNKNOWN) {
            return OrderRejectionReason.INVALID_COMMAND;
        }
        final List<OrderLine> lines = create.getItems();
        if (lines.isEmpty() || lines.size() > config.linesMax()) {
            return OrderRejectionReason.INVALID_COMMAND;
        }
        final Set<String> itemIds = new HashSet<>();
        for (final OrderLine line : lines) {
            if (!isId(line.getItemId()) || !itemIds.add(line.getItemId())) {
                return OrderRejectionReason.INVALID_COMMAND;
            }
            if (line.getQuantity() <= 0) {
                return OrderRejectionReason.INVALID_QUANTITY;
            }
        }
        if (create.getHoldTtlMs() <= 0 || create.getHoldTtlMs() > config.holdTtlMsMax()) {
            return OrderRejectionReason.INVALID_HOLD_TTL;
        }
        final boolean provider = create.getPaymentMethod() == PaymentMethod.PROVIDER;
        if (provider ? !ProviderIds.isValid(create.getProviderId()) : create.getProviderId() != null) {
            return OrderRejectionReason.INVALID_PROVIDER;
        }
        return null;
    }

    private OrderEvent rejectCreate(final OrderCommand command, final CreateOrder create,
                                    final OrderRejectionReason reason, final long nowMs, final Outbox out) {
        final Order snapshot = rejectedSnapshot(command, create, reason,
                itemId -> isId(itemId) ? inventory.find(command.getCategoryId(), itemId) : null, config.linesMax(),
                nowMs);
        final OrderEvent result = OrderEvents.rejected(command.getCommandId(), command.getCategoryId(),
                OrderEventType.CREATE_ORDER, reason, snapshot, List.of(), nowMs);
        out.event(result);
        return result;
    }

    /**
     * What a rejected CreateOrder would have been, with status REJECTED, nothing held and the reason: events
     * about every order, rejected ones included, carry the order, so readers see it end. Never stored. Null
     * when the command names no usable orderId. Lines are left out past {@code linesMax}; prices are those of
     * the items {@code items} knows, else zero in {@value #NO_CURRENCY}.
     */
    static Order rejectedSnapshot(final OrderCommand command, final CreateOrder create,
                                  final OrderRejectionReason reason, final Function<String, Item> items,
                                  final int linesMax, final long nowMs) {
        if (!isId(create.getOrderId())) {
            return null;
        }
        final List<OrderLineState> lines = new ArrayList<>();
        String currency = null;
        if (create.getItems().size() <= linesMax) {
            for (final OrderLine line : create.getItems()) {
                final Item item = items.apply(line.getItemId());
                if (item != null && currency == null) {
                    currency = item.getPrice().getCurrency();
                }
                lines.add(new OrderLineState(line.getItemId(), line.getQuantity(), 0L,
                        item != null ? Money.newBuilder(item.getPrice()).build() : new Money(0L, NO_CURRENCY), null));
            }
        }
        return newOrder(command, create, lines, new Money(0L, currency != null ? currency : NO_CURRENCY),
                OrderStatus.REJECTED, nowMs, reason.name(), nowMs);
    }

    private static Order newOrder(final OrderCommand command, final CreateOrder create,
                                  final List<OrderLineState> lines, final Money amount, final OrderStatus status,
                                  final long expiresAtMs, final String reason, final long nowMs) {
        return Order.newBuilder()
                .setOrderId(create.getOrderId()).setBatch(create.getBatch()).setBatches(create.getBatches())
                .setParentOrderId(create.getParentOrderId()).setCategoryId(command.getCategoryId())
                .setCustomerId(create.getCustomerId()).setPartnerId(create.getPartnerId())
                .setCommandId(command.getCommandId()).setLines(lines).setAmount(amount).setStatus(status)
                .setPaymentMethod(create.getPaymentMethod()).setProviderId(create.getProviderId())
                .setPaymentId(batchId(create.getOrderId(), create.getBatch())).setPaymentStatus(null)
                .setRefundRequested(false).setPlaceOnPayment(create.getPlaceOnPayment())
                .setAllowPartial(create.getAllowPartial())
                .setExpiresAt(Instant.ofEpochMilli(expiresAtMs)).setReason(reason)
                .setCreatedAt(Instant.ofEpochMilli(nowMs)).setUpdatedAt(Instant.ofEpochMilli(nowMs))
                .build();
    }

    // ---- PlaceOrder and CancelOrder: every batch of the order in this category, decided together ----------

    /**
     * Places every PAID batch (its held stock becomes sold). Rejected ORDER_NOT_PAID while any batch still
     * waits for its payment, or when no batch was ever paid; batches already placed stay as they are (a
     * repeated PlaceOrder is accepted without change), and batches that ended otherwise are left ended.
     */
    OrderEvent place(final OrderCommand command, final PlaceOrder place, final long nowMs, final Outbox out) {
        final List<Order> batches = batchesOf(command.getCategoryId(), place.getOrderId(), nowMs, out);
        if (batches.isEmpty() || !actsFor(place.getPartnerId(), batches)) {
            return rejectOn(command, OrderEventType.PLACE_ORDER, isId(place.getOrderId())
                    ? OrderRejectionReason.ORDER_NOT_FOUND : OrderRejectionReason.INVALID_COMMAND, null, nowMs, out);
        }
        final boolean unpaid = batches.stream().anyMatch(order -> holdsStock(order.getStatus())
                && order.getStatus() != OrderStatus.PAID);
        final boolean paidOrPlaced = batches.stream().anyMatch(order -> order.getStatus() == OrderStatus.PAID
                || isPlaced(order.getStatus()));
        if (unpaid || !paidOrPlaced) {
            return rejectOn(command, OrderEventType.PLACE_ORDER, OrderRejectionReason.ORDER_NOT_PAID, batches.get(0),
                    nowMs, out);
        }
        return applyToBatches(command, OrderEventType.PLACE_ORDER, batches, order -> {
            if (order.getStatus() != OrderStatus.PAID || order.getFulfilment() == FulfilmentStatus.INVESTING) {
                return null;
            }
            if (order.getFulfilmentProviderId() != null) {
                startInvesting(order, nowMs, out);
                save(order, nowMs);
                return List.of();
            }
            final List<Item> sold = placeBatch(order, nowMs);
            completeBatch(order, nowMs);
            save(order, nowMs);
            return sold;
        }, nowMs, out);
    }

    /**
     * Cancels every batch still holding stock (RESERVED or PAID: released, and a paid one refunded).
     * Rejected ORDER_ALREADY_PLACED when any batch was placed; when none holds stock, accepted without change
     * if all are CANCELLED already, else rejected ORDER_NOT_CANCELLABLE (they expired or failed).
     */
    /**
     * True when a sender acting for {@code partnerId} (null: an administrator) may act on the order of
     * {@code batches}: to another partner's sender the order does not exist.
     */
    private static boolean actsFor(final String partnerId, final List<Order> batches) {
        return partnerId == null || partnerId.equals(batches.get(0).getPartnerId());
    }

    OrderEvent cancel(final OrderCommand command, final CancelOrder cancel, final long nowMs, final Outbox out) {
        final List<Order> batches = batchesOf(command.getCategoryId(), cancel.getOrderId(), nowMs, out);
        if (batches.isEmpty() || !actsFor(cancel.getPartnerId(), batches)) {
            return rejectOn(command, OrderEventType.CANCEL_ORDER, isId(cancel.getOrderId())
                    ? OrderRejectionReason.ORDER_NOT_FOUND : OrderRejectionReason.INVALID_COMMAND, null, nowMs, out);
        }
        OrderRejectionReason reason = null;
        if (batches.stream().anyMatch(order -> isPlaced(order.getStatus()))) {
            reason = OrderRejectionReason.ORDER_ALREADY_PLACED;
        } else if (batches.stream().anyMatch(OrderFlow::atTheProvider)) {
            // The provider is reserving or investing this batch; its answer decides what can be undone.
            reason = OrderRejectionReason.ORDER_NOT_CANCELLABLE;
        } else if (batches.stream().noneMatch(order -> holdsStock(order.getStatus()))
                && batches.stream().anyMatch(order -> order.getStatus() != OrderStatus.CANCELLED)) {
            reason = OrderRejectionReason.ORDER_NOT_CANCELLABLE;
        }
        if (reason != null) {
            return rejectOn(command, OrderEventType.CANCEL_ORDER, reason, batches.get(0), nowMs, out);
        }
        return applyToBatches(command, OrderEventType.CANCEL_ORDER, batches, order -> {
            if (!holdsStock(order.getStatus())) {
                return null;
            }
            final boolean paid = order.getStatus() == OrderStatus.PAID;
            final List<Item> released = end(order, OrderStatus.CANCELLED, "CANCELLED", nowMs, out);
            if (paid) {
                requestRefund(order, nowMs, out);
            }
            save(order, nowMs);
            return released;
        }, nowMs, out);
    }

    /**
     * The batches of {@code orderId} in the category, batch 0 (or the lowest) first, those past their deadline
     * expired first (their events go to {@code out}); empty for an unusable id or an unknown order.
     */
    private List<Order> batchesOf(final String categoryId, final String orderId, final long nowMs, final Outbox out) {
        if (!isId(orderId)) {
            return List.of();
        }
        final List<Order> found = new ArrayList<>();
        int scanned = 0;
        try (KeyValueIterator<String, Order> it = orders.prefixScan(
                orderKey(categoryId, orderId + BATCH_SEPARATOR), new StringSerializer())) {
            while (it.hasNext() && scanned++ < BATCH_SCAN_MAX) {
                final Order order = it.next().value;
                // "o#1" batch 0 also starts with "o#": keep only the batches of this very orderId.
                if (order.getOrderId().equals(orderId)) {
                    found.add(order);
                    if (found.size() >= order.getBatches()) {
                        break;
                    }
                }
            }
        }
        if (scanned > BATCH_SCAN_MAX) {
            LOG.warn("Stopped looking for the batches of order {} in category {} after {} keys", orderId, categoryId,
                    BATCH_SCAN_MAX);
        }
        found.sort(Comparator.comparingInt(Order::getBatch));
        for (final Order order : found) {
            expireIfDue(order, nowMs, out);
        }
        return found;
    }

    /**
     * Applies {@code transition} to every batch in turn (it returns the items it changed, or null for a batch it
     * leaves alone). The first batch's state after it is the command's one result; each other batch it changed
     * gets an ORDER_UPDATED event with commandId {@code <commandId>#<batch>}.
     */
    private OrderEvent applyToBatches(final OrderCommand command, final OrderEventType type, final List<Order> batches,
                                      final Function<Order, List<Item>> transition, final long nowMs,
                                      final Outbox out) {
        OrderEvent result = null;
        for (final Order order : batches) {
            final List<Item> changed = transition.apply(order);
            if (result == null) {
                result = OrderEvents.accepted(command.getCommandId(), command.getCategoryId(), type, order,
                        changed == null ? List.of() : changed, nowMs);
                out.event(result);
            } else if (changed != null) {
                out.event(OrderEvents.accepted(command.getCommandId() + BATCH_SEPARATOR + order.getBatch(),
                        command.getCategoryId(), OrderEventType.ORDER_UPDATED, order, changed, nowMs));
            }
        }
        return result;
    }

    private static OrderEvent rejectOn(final OrderCommand command, final OrderEventType type,
                                       final OrderRejectionReason reason, final Order order, final long nowMs,
                                       final Outbox out) {
        final OrderEvent result = OrderEvents.rejected(command.getCommandId(), command.getCategoryId(), type, reason,
                order, List.of(), nowMs);
        out.event(result);
        return result;
    }

    // ---- payment outcomes ---------------------------------------------------------------------------------

    /**
     * Applies a payment's outcome to the order batch it pays for. An outcome the order recorded already
     * (a repeated or late one) changes nothing; one for an unknown order, or a payment that is not the
     * order's (another partner or amount), is ignored.
     */
    void onPayment(final PaymentEvent event, final long nowMs, final Outbox out) {
        final Payment payment = event.getPayment();
        final Order order = orders.get(orderKey(payment.getCategoryId(), payment.getPaymentId()));
        if (order == null || !order.getOrderId().equals(payment.getOrderId())
                || !order.getPartnerId().equals(payment.getPartnerId()) || !order.getAmount().equals(payment.getAmount())) {
            LOG.warn("Payment {} ({}) of partner {} for order {} in category {} matches no order; ignored",
                    payment.getPaymentId(), payment.getStatus(), payment.getPartnerId(), payment.getOrderId(),
                    payment.getCategoryId());
            return;
        }
        expireIfDue(order, nowMs, out);
        final PaymentStatus status = payment.getStatus();
        if (status == order.getPaymentStatus()) {
            return;
        }
        final String commandId = OUTCOME_COMMAND_PREFIX + payment.getPaymentId() + ':' + status;
        order.setPaymentStatus(status);
        List<Item> changed = List.of();
        boolean place = false;
        switch (status) {
            case SUCCEEDED -> {
                if (order.getStatus() == OrderStatus.RESERVED) {
                    order.setStatus(OrderStatus.PAID);
                    if (order.getFulfilmentProviderId() == null) {
                        place = order.getPlaceOnPayment();
                    } else if (order.getPlaceOnPayment()) {
                        startInvesting(order, nowMs, out);
                    }
                } else if (order.getStatus() == OrderStatus.EXPIRED || order.getStatus() == OrderStatus.CANCELLED
                        || order.getStatus() == OrderStatus.FAILED) {
                    // Paid too late: the order cannot use the money any more.
                    requestRefund(order, nowMs, out);
                }
            }
            case FAILED, DEAD_LETTERED -> {
                if (holdsStock(order.getStatus())) {
                    final String reason = payment.getFailureReason() == null ? "PAYMENT_" + status
                            : "PAYMENT_" + status + ": " + payment.getFailureReason();
                    changed = end(order, OrderStatus.FAILED, reason, nowMs, out);
                }
            }
            default -> {
                // REFUNDED, REFUND_FAILED: recorded, nothing else moves.
            }
        }
        touch(order, nowMs);
        out.event(OrderEvents.accepted(commandId, order.getCategoryId(), OrderEventType.ORDER_UPDATED, order, changed,
                nowMs));
        if (place) {
            final List<Item> sold = placeBatch(order, nowMs);
            out.event(OrderEvents.accepted(commandId + ':' + OrderStatus.PLACED, order.getCategoryId(),
                    OrderEventType.ORDER_UPDATED, order, sold, nowMs));
            completeBatch(order, nowMs);
            out.event(OrderEvents.accepted(commandId + ':' + OrderStatus.COMPLETED, order.getCategoryId(),
                    OrderEventType.ORDER_UPDATED, order, List.of(), nowMs));
        }
        // Every step above is one event; the store needs only where the order ended.
        save(order, nowMs);
    }

    // ---- fulfilment: the provider that keeps the record of the category's items -------------------------------

    /**
     * Applies the one final answer of a batch's RESERVE or INVEST call. Lines the provider refused for good (or never
     * answered) are removed from the batch: their units released and, once paid, their share refunded. After
     * RESERVE the hold's TTL starts and the remaining lines are paid for; after INVEST the remaining lines are sold
     * and the batch completes. A batch left with no line fails. An answer the batch no longer waits for (a repeat,
     * a RELEASE's) changes nothing.
     */
    void onFulfilment(final ProviderCallResult result, final long nowMs, final Outbox out) {
        final Order order = result.getCategoryId() == null ? null
                : orders.get(orderKey(result.getCategoryId(), result.getPaymentId()));
        final ProviderOperation operation = result.getOperation();
        final FulfilmentStatus awaited = operation == ProviderOperation.RESERVE ? FulfilmentStatus.RESERVING
                : operation == ProviderOperation.INVEST ? FulfilmentStatus.INVESTING : null;
        if (order == null || awaited == null || order.getFulfilment() != awaited
                || !result.getIdempotencyKey().equals(callKey(order, operation))) {
            if (operation != ProviderOperation.RELEASE) {
                LOG.warn("{} answer {} for batch {} of category {} matches no batch waiting for it; ignored", operation,
                        result.getOutcome(), result.getPaymentId(), result.getCategoryId());
            }
            return;
        }
        final Map<String, FulfilmentLine> answers = new HashMap<>();
        for (final FulfilmentLine line : result.getLines()) {
            answers.put(line.getItemId(), line);
        }
        final List<Item> changed = new ArrayList<>();
        long removedMinor = 0;
        int kept = 0;
        for (final OrderLineState line : order.getLines()) {
            if (line.getHeld() == 0) {
                continue;
            }
            final FulfilmentLine answer = answers.get(line.getItemId());
            if (answer != null && answer.getOutcome() == FulfilmentLineOutcome.SUCCEEDED) {
                kept++;
                continue;
            }
            final Item item = inventory.require(order.getCategoryId(), line.getItemId());
            inventory.release(item, line.getHeld(), nowMs);
            changed.add(item);
            removedMinor = Math.addExact(removedMinor, line.getHeld() * line.getUnitPrice().getAmountMinor());
            line.setHeld(0L);
            line.setRemovedReason(truncated(operation + " " + (answer == null ? "NOT_ANSWERED"
                    : answer.getOutcome() + (answer.getReason() == null ? "" : ": " + answer.getReason()))));
        }
        final String commandId = FULFILMENT_COMMAND_PREFIX + result.getIdempotencyKey() + ':' + result.getOutcome();
        if (operation == ProviderOperation.RESERVE) {
            reserved(order, kept, changed, nowMs, out);
        } else {
            invested(order, kept, removedMinor, changed, nowMs, out);
        }
        save(order, nowMs);
        out.event(OrderEvents.accepted(commandId, order.getCategoryId(), OrderEventType.ORDER_UPDATED, order, changed,
                nowMs));
    }

    /** The provider reserved what it could: pay for the lines left (from now, within the hold's TTL), or fail. */
    private void reserved(final Order order, final int kept, final List<Item> released, final long nowMs,
                          final Outbox out) {
        final boolean removed = !released.isEmpty();
        order.setFulfilment(FulfilmentStatus.RESERVED);
        if (kept == 0 || removed && !order.getAllowPartial()) {
            changedAlso(released, end(order, OrderStatus.FAILED, "FULFILMENT_REFUSED", nowMs, out));
            return;
        }
        long amountMinor = 0;
        for (final OrderLineState line : order.getLines()) {
            amountMinor = Math.addExact(amountMinor, line.getHeld() * line.getUnitPrice().getAmountMinor());
        }
        order.setAmount(new Money(amountMinor, order.getAmount().getCurrency()));
        final long ttlMs = order.getExpiresAt().toEpochMilli() - order.getCreatedAt().toEpochMilli();
        final long expiresAtMs = saturatedAdd(nowMs, ttlMs);
        order.setExpiresAt(Instant.ofEpochMilli(expiresAtMs));
        deadlines.add(expiresAtMs, orderKey(order));
        requestPayment(order, nowMs, out);
    }

    /** The provider invested what it could: sell those lines and complete, refunding the share of the lines removed. */
    private void invested(final Order order, final int kept, final long removedMinor, final List<Item> changed,
                          final long nowMs, final Outbox out) {
        order.setFulfilment(FulfilmentStatus.INVESTED);
        if (kept == 0) {
            order.setStatus(OrderStatus.FAILED);
            order.setReason("FULFILMENT_REFUSED");
            requestRefund(order, nowMs, out);
            return;
        }
        if (removedMinor > 0) {
            order.setRefundRequested(true);
            out.payment(PaymentCommand.newBuilder()
                    .setCommandId(REFUND_COMMAND_PREFIX + order.getPaymentId() + ":removed-lines")
                    .setPartnerId(order.getPartnerId()).setIssuedAt(Instant.ofEpochMilli(nowMs))
                    .setPayload(new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, order.getPaymentId(),
                            new Money(removedMinor, order.getAmount().getCurrency())))
                    .build());
        }
        changedAlso(changed, placeBatch(order, nowMs));
        completeBatch(order, nowMs);
    }

    /** PAID → the provider is asked to invest every line still held; the batch no longer expires. */
    private void startInvesting(final Order order, final long nowMs, final Outbox out) {
        deadlines.remove(order.getExpiresAt().toEpochMilli(), orderKey(order));
        order.setFulfilment(FulfilmentStatus.INVESTING);
        out.call(fulfilmentCall(order, ProviderOperation.INVEST, heldLines(order), nowMs));
    }

    /** A batch whose provider call is out: it neither expires nor cancels until the answer arrives. */
    private static boolean atTheProvider(final Order order) {
        return order.getFulfilment() == FulfilmentStatus.RESERVING || order.getFulfilment() == FulfilmentStatus.INVESTING;
    }

    /** The lines of the batch that hold units, as lines of a fulfilment call. */
    private static List<FulfilmentLine> heldLines(final Order order) {
        final List<FulfilmentLine> lines = new ArrayList<>(order.getLines().size());
        for (final OrderLineState line : order.getLines()) {
            if (line.getHeld() > 0) {
                lines.add(FulfilmentLine.newBuilder().setItemId(line.getItemId()).setQuantity(line.getHeld())
                        .setAmount(new Money(Math.multiplyExact(line.getHeld(), line.getUnitPrice().getAmountMinor()),
                                line.getUnitPrice().getCurrency()))
                        .setOutcome(FulfilmentLineOutcome.UNKNOWN).setReason(null).build());
            }
        }
        return lines;
    }

    /** One bulk call of {@code lines} to the batch's fulfilment provider, its results keyed back to the category. */
    private static ProviderCall fulfilmentCall(final Order order, final ProviderOperation operation,
                                               final List<FulfilmentLine> lines, final long nowMs) {
        long totalMinor = 0;
        for (final FulfilmentLine line : lines) {
            totalMinor = Math.addExact(totalMinor, line.getAmount().getAmountMinor());
        }
        return ProviderCall.newBuilder()
                .setIdempotencyKey(callKey(order, operation)).setPaymentId(order.getPaymentId())
                .setPartnerId(order.getCustomerId()).setProviderId(order.getFulfilmentProviderId())
                .setAmount(new Money(totalMinor, order.getAmount().getCurrency()))
                .setRequestedAt(Instant.ofEpochMilli(nowMs)).setOperation(operation)
                .setCategoryId(order.getCategoryId()).setLines(lines)
                .build();
    }

    /**
     * The provider's idempotency key of a batch's call: {@code reserve:<categoryId>:<orderId#batch>} (and invest:,
     * release:), the same for every attempt and after a reset; '%' and ':' inside an id are written %25 and %3A.
     */
    static String callKey(final Order order, final ProviderOperation operation) {
        return operation.name().toLowerCase(java.util.Locale.ROOT) + ':' + keyPart(order.getCategoryId()) + ':'
                + keyPart(order.getPaymentId());
    }

    private static String keyPart(final String id) {
        return id.replace("%", "%25").replace(":", "%3A");
    }

    private static void changedAlso(final List<Item> changed, final List<Item> more) {
        for (final Item item : more) {
            if (!changed.contains(item)) {
                changed.add(item);
            }
        }
    }

    private static String truncated(final String reason) {
        return reason.length() <= REASON_LENGTH_MAX ? reason : reason.substring(0, REASON_LENGTH_MAX);
    }

    // ---- expiry ---------------------------------------------------------------------------------------------

    /** True when an order's deadline has passed at {@code nowMs}. */
    boolean hasDue(final long nowMs) {
        return deadlines.hasDue(nowMs);
    }

    /** Expires at most {@code limit} orders whose deadline is at or before {@code nowMs}. */
    void expireDue(final long nowMs, final int limit, final Outbox out) {
        for (final String key : deadlines.pollDue(nowMs, limit)) {
            final Order order = orders.get(key);
            if (order != null) {
                expireIfDue(order, nowMs, out);
            }
        }
    }

    /** Expires the order if it still holds stock and its deadline has passed: released, and refunded if paid. */
    private void expireIfDue(final Order order, final long nowMs, final Outbox out) {
        if (!holdsStock(order.getStatus()) || order.getExpiresAt().toEpochMilli() > nowMs || atTheProvider(order)) {
            return;
        }
        final boolean paid = order.getStatus() == OrderStatus.PAID;
        final List<Item> released = end(order, OrderStatus.EXPIRED, "HOLD_EXPIRED", nowMs, out);
        if (paid) {
            requestRefund(order, nowMs, out);
        }
        save(order, nowMs);
        out.event(OrderEvents.accepted(OrderProcessor.EXPIRY_COMMAND_PREFIX + order.getPaymentId(),
                order.getCategoryId(), OrderEventType.ORDER_EXPIRED, order, released, nowMs));
    }

    // ---- transitions --------------------------------------------------------------------------------------

    /** RESERVED and PAID orders hold their stock (PENDING is never stored, but would too). */
    static boolean holdsStock(final OrderStatus status) {
        return status == OrderStatus.RESERVED || status == OrderStatus.PAID || status == OrderStatus.PENDING;
    }

    private static boolean isPlaced(final OrderStatus status) {
        return status == OrderStatus.PLACED || status == OrderStatus.COMPLETED;
    }

    /**
     * Ends an order that holds stock without placing it: releases its holds, and the units its fulfilment provider
     * reserved for it (one RELEASE call); returns the items changed.
     */
    private List<Item> end(final Order order, final OrderStatus status, final String reason, final long nowMs,
                           final Outbox out) {
        if (order.getFulfilment() == FulfilmentStatus.RESERVED) {
            final List<FulfilmentLine> reserved = heldLines(order);
            if (!reserved.isEmpty()) {
                out.call(fulfilmentCall(order, ProviderOperation.RELEASE, reserved, nowMs));
            }
            order.setFulfilment(FulfilmentStatus.RELEASED);
        }
        final List<Item> released = endHolds(order, false, nowMs);
        order.setStatus(status);
        order.setReason(reason);
        return released;
    }

    /** PAID → PLACED: the held units become sold. The caller saves the order. */
    private List<Item> placeBatch(final Order order, final long nowMs) {
        final List<Item> sold = endHolds(order, true, nowMs);
        order.setStatus(OrderStatus.PLACED);
        touch(order, nowMs);
        return sold;
    }

    /**
     * Ends the order's holds: the held units of each line become sold, or go back to available; the deadline
     * no longer applies. Returns the items changed.
     */
    private List<Item> endHolds(final Order order, final boolean sell, final long nowMs) {
        final List<Item> changed = new ArrayList<>(order.getLines().size());
        for (final OrderLineState line : order.getLines()) {
            if (line.getHeld() > 0) {
                final Item item = inventory.require(order.getCategoryId(), line.getItemId());
                if (sell) {
                    inventory.sell(item, line.getHeld(), nowMs);
                } else {
                    inventory.release(item, line.getHeld(), nowMs);
                }
                changed.add(item);
            }
        }
        deadlines.remove(order.getExpiresAt().toEpochMilli(), orderKey(order));
        return changed;
    }

    /**
     * PLACED → COMPLETED: nothing is delivered by a provider yet, so a placed order is complete at once. The caller
     * saves the order.
     */
    private static void completeBatch(final Order order, final long nowMs) {
        order.setStatus(OrderStatus.COMPLETED);
        touch(order, nowMs);
    }

    /** Asks for the order's payment back, once per order. */
    private static void requestRefund(final Order order, final long nowMs, final Outbox out) {
        if (order.getRefundRequested()) {
            return;
        }
        order.setRefundRequested(true);
        out.payment(PaymentCommand.newBuilder()
                .setCommandId(REFUND_COMMAND_PREFIX + order.getPaymentId()).setPartnerId(order.getPartnerId())
                .setIssuedAt(Instant.ofEpochMilli(nowMs)).setPayload(new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, order.getPaymentId(), null))
                .build());
    }

    private void save(final Order order, final long nowMs) {
        touch(order, nowMs);
        orders.put(orderKey(order), order);
    }

    private static void touch(final Order order, final long nowMs) {
        order.setUpdatedAt(LogClock.notBefore(order.getUpdatedAt(), nowMs));
    }

    private static long saturatedAdd(final long a, final long b) {
        final long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }
}
