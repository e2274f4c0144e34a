package io.bursar.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.queries.RoutedRead;
import io.bursar.schemas.orders.CancelOrder;
import io.bursar.schemas.orders.CancelOrderKind;
import io.bursar.schemas.orders.CatalogEntry;
import io.bursar.schemas.orders.CreateOrder;
import io.bursar.schemas.orders.CreateOrderKind;
import io.bursar.schemas.orders.OrderView;
import io.bursar.schemas.orders.PlaceOrder;
import io.bursar.schemas.orders.PlaceOrderKind;
import io.bursar.schemas.payments.PaymentMethod;
import io.javalin.http.Context;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Handlers of the order command routes: validate, split a new order by category and batch size
 * ({@link OrderSplit}), then publish its CreateOrder commands keyed by category; or find an existing order's
 * category and publish a CancelOrder or PlaceOrder to it (under {@code /v1/categories/{categoryId}/orders} the category
 * is in the path and nothing is read first). Whether an order may be cancelled or placed is the order processor's
 * decision.
 */
final class OrderHandlers {

    static final String ORDERS_PATH = "/v1/orders";
    static final String PARENT_PARAM = "parentOrderId";
    private static final String PARTNER_ID = "partnerId";
    private static final String CATEGORY_ID = "categoryId";
    private static final String ITEMS = "items";
    private static final Set<String> CREATE_FIELDS = Set.of("orderId", "customerId", PARTNER_ID, ITEMS, "holdTtlMs",
            "allowPartial", "payment", "placeOnPayment");
    private static final Set<String> LINE_FIELDS = Set.of("itemId", "quantity");
    private static final Set<String> PAYMENT_FIELDS = Set.of("method", "providerId");

    private final ObjectMapper mapper;
    private final OwnerLookup owners;
    private final CommandSubmitter commands;
    private final RoutedRead<OrderView> orders;
    private final Function<String, Optional<CatalogEntry>> catalog;
    private final long holdTtlMsMax;
    private final int batchSize;

    OrderHandlers(final ObjectMapper mapper, final CommandSubmitter commands, final RoutedRead<OrderView> orders,
                  final Function<String, Optional<CatalogEntry>> catalog, final long holdTtlMsMax,
                  final int batchSize) {
        this.mapper = mapper;
        this.owners = new OwnerLookup(mapper);
        this.commands = commands;
        this.orders = orders;
        this.catalog = catalog;
        this.holdTtlMsMax = holdTtlMsMax;
        this.batchSize = batchSize;
    }

    /** Where order {@code orderId} is read. */
    static String orderPath(final String orderId) {
        return ORDERS_PATH + "/" + orderId;
    }

    /** Where {@code action} (cancel, place) is done in one hop to order {@code orderId} of {@code categoryId}. */
    static String inCategoryPath(final String categoryId, final String orderId, final String action) {
        return "/v1/categories/" + categoryId + ORDERS_PATH.substring("/v1".length()) + "/" + orderId + "/" + action;
    }

    /** Where the sub-orders of {@code parentOrderId} are read. */
    static String parentPath(final String parentOrderId) {
        return ORDERS_PATH + "?" + PARENT_PARAM + "=" + URLEncoder.encode(parentOrderId, StandardCharsets.UTF_8);
    }

    void create(final Context ctx) {
        final RequestBody body = RequestBody.parse(mapper, ctx.body(), CREATE_FIELDS);
        final NewOrder order = newOrder(body, Caller.of(ctx));
        body.validate();
        final String commandId = CommandSubmitter.commandId(ctx);
        final String orderId = order.orderId() == null ? commandId : order.orderId();
        final OrderSplit split = split(body, orderId, commandId, order.lines());
        CommandSubmitter.answerAccepted(ctx, commands.submitOrders(split.pieces().stream()
                .map(piece -> commands.orderCommand(piece.commandId(), piece.categoryId(), order.create(piece))).toList()),
                OrderAccepted.of(commandId, orderId, split));
    }

    void cancel(final Context ctx) {
        submitTo(ctx, OrderHandlers::cancelOrder);
    }

    void place(final Context ctx) {
        submitTo(ctx, OrderHandlers::placeOrder);
    }

    /** A cancel of an order of the category in the path: published at once, to that category. */
    void cancelInCategory(final Context ctx) {
        submitToCategory(ctx, OrderHandlers::cancelOrder);
    }

    /** A place of an order of the category in the path: published at once, to that category. */
    void placeInCategory(final Context ctx) {
        submitToCategory(ctx, OrderHandlers::placeOrder);
    }

    private static Object cancelOrder(final String orderId, final String partnerId) {
        return new CancelOrder(CancelOrderKind.CANCEL_ORDER, orderId, partnerId);
    }

    private static Object placeOrder(final String orderId, final String partnerId) {
        return new PlaceOrder(PlaceOrderKind.PLACE_ORDER, orderId, partnerId);
    }

    /** A new order as the request asks for it, before the catalog has placed its lines. */
    private record NewOrder(String orderId, String customerId, String partnerId, List<Line> lines, long holdTtlMs,
                            boolean allowPartial, PaymentMethod method, String providerId, boolean placeOnPayment) {

        /** The CreateOrder of one piece of this order. */
        CreateOrder create(final OrderSplit.Piece piece) {
            return new CreateOrder(CreateOrderKind.CREATE_ORDER, piece.orderId(), piece.batch(), piece.batches(), piece.parentOrderId(), customerId,
                    partnerId, piece.lines(), holdTtlMs, allowPartial, method, providerId, placeOnPayment);
        }
    }

    /** One line of the request, with the part of the body it was read from (to report on). */
    private record Line(String itemId, long quantity, RequestBody body) {
    }

    /** Reads a new order from {@code body}, reporting every problem into it; another partner's is a 404 at once. */
    private NewOrder newOrder(final RequestBody body, final Caller caller) {
        final String partnerId = body.id(PARTNER_ID);
        // As for payments: another partner's order is refused before any other field is judged.
        if (partnerId != null && !caller.mayAccessPartner(partnerId)) {
            throw NotFoundException.partner(partnerId);
        }
        final String orderId = body.optionalId("orderId");
        final String customerId = body.id("customerId");
        final long holdTtlMs = body.durationMs("holdTtlMs", holdTtlMsMax);
        final boolean allowPartial = body.flag("allowPartial", false);
        final boolean placeOnPayment = body.flag("placeOnPayment", true);
        final RequestBody payment = body.object("payment", PAYMENT_FIELDS);
        final PaymentMethod method = payment == null ? null : payment.oneOf("method", PaymentHandlers.METHODS);
        final String providerId = payment == null ? null : PaymentHandlers.providerId(payment, method);
        return new NewOrder(orderId, customerId, partnerId, lines(body), holdTtlMs, allowPartial, method, providerId,
                placeOnPayment);
    }

    private static List<Line> lines(final RequestBody body) {
        final List<RequestBody> entries = body.objects(ITEMS, LINE_FIELDS, OrderSplit.LINES_MAX);
        final List<Line> lines = new ArrayList<>(entries.size());
        final Map<String, Integer> firstLineOf = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            final RequestBody entry = entries.get(i);
            final String itemId = entry.id("itemId");
            if (itemId != null && firstLineOf.putIfAbsent(itemId, i) != null) {
                entry.report("itemId", "already in items[" + firstLineOf.get(itemId) + "]");
            }
            lines.add(new Line(itemId, entry.integer("quantity", 1, Long.MAX_VALUE), entry));
        }
        return lines;
    }

    /** The split of valid {@code lines} by the catalog's categories; 400 when an item is unknown or ids overflow. */
    private OrderSplit split(final RequestBody body, final String orderId, final String commandId,
                             final List<Line> lines) {
        final List<OrderSplit.Line> catalogued = catalogued(lines);
        body.validate();
        final OrderSplit split = OrderSplit.of(orderId, commandId, catalogued, batchSize);
        checkSplit(body, split);
        return split;
    }

    /** Each line with its item's category from the catalog; an item the catalog does not know is reported. */
    private List<OrderSplit.Line> catalogued(final List<Line> lines) {
        final List<OrderSplit.Line> catalogued = new ArrayList<>(lines.size());
        for (final Line line : lines) {
            final Optional<CatalogEntry> entry = catalog.apply(line.itemId());
            if (entry.isEmpty()) {
                line.body().report("itemId", "unknown item");
            } else {
                catalogued.add(new OrderSplit.Line(line.itemId(), line.quantity(), entry.get().getCategoryId()));
            }
        }
        return catalogued;
    }

    /** The ids the split made must be ids too; one request may span only so many categories and batches. */
    private static void checkSplit(final RequestBody body, final OrderSplit split) {
        if (split.parts().size() > OrderSplit.CATEGORIES_MAX) {
            body.report(ITEMS, "span " + split.parts().size() + " categories; at most " + OrderSplit.CATEGORIES_MAX);
        }
        for (final OrderSplit.Part part : split.parts()) {
            if (part.batches() > OrderSplit.BATCHES_MAX) {
                body.report(ITEMS, "make " + part.batches() + " batches in category " + part.categoryId()
                        + "; at most " + OrderSplit.BATCHES_MAX);
            }
            if (!RequestBody.isId(part.orderId())) {
                body.report("orderId", "with category " + part.categoryId() + " names sub-order " + part.orderId()
                        + ", which is not 1 to 128 characters of A-Z a-z 0-9 . _ : -");
            }
        }
        body.validate();
    }

    /**
     * Publishes {@code payload} of the order in the path to the order's category, once the order is found (a read,
     * maybe on a peer; no request thread waits for it).
     */
    private void submitTo(final Context ctx, final BiFunction<String, String, Object> payload) {
        final String orderId = RequestBody.requireId("orderId", ctx.pathParam("orderId"));
        RequestBody.parse(mapper, ctx.body(), Set.of()).validate();
        final String commandId = CommandSubmitter.commandId(ctx);
        final Caller caller = Caller.of(ctx);
        final CompletableFuture<Owner> owner = ownerOf(orderId, ctx);
        ctx.future(() -> owner.thenCompose(found -> {
            if (!caller.mayAccessPartner(found.partnerId())) {
                throw NotFoundException.order(orderId);
            }
            return published(ctx, commandId, found.categoryId(), orderId, payload.apply(orderId, caller.partnerId()));
        }));
    }

    /**
     * Publishes {@code payload} of the order in the path to the category in the path, without reading anything: the
     * command names the partner the caller acts for, and the order processor finds no order of another partner.
     */
    private void submitToCategory(final Context ctx, final BiFunction<String, String, Object> payload) {
        final String categoryId = RequestBody.requireId(CATEGORY_ID, ctx.pathParam(CATEGORY_ID));
        final String orderId = RequestBody.requireId("orderId", ctx.pathParam("orderId"));
        RequestBody.parse(mapper, ctx.body(), Set.of()).validate();
        final String commandId = CommandSubmitter.commandId(ctx);
        final Object command = payload.apply(orderId, Caller.of(ctx).partnerId());
        ctx.future(() -> published(ctx, commandId, categoryId, orderId, command));
    }

    /** Publishes {@code payload} to {@code categoryId} and answers 202 once Kafka has it. */
    private CompletableFuture<Void> published(final Context ctx, final String commandId, final String categoryId,
                                              final String orderId, final Object payload) {
        return CommandSubmitter.accepted(ctx, commands.submitOrder(commandId, categoryId, payload),
                OrderAccepted.OfCommand.of(commandId, orderId));
    }

    /** The category that owns an order, and the partner it pays. */
    private record Owner(String categoryId, String partnerId) {
    }

    /** Whose order {@code orderId} is, wherever the order lives; 404 when the caller may not see it. */
    private CompletableFuture<Owner> ownerOf(final String orderId, final Context ctx) {
        return owners.find(orders, orderId, orderPath(orderId), ctx,
                view -> Optional.ofNullable(OrderStatusView.categoryOf(view))
                        .map(categoryId -> new Owner(categoryId, OrderStatusView.partnerOf(view))),
                json -> json.path(CATEGORY_ID).isTextual() && json.path(PARTNER_ID).isTextual()
                        ? Optional.of(new Owner(json.path(CATEGORY_ID).textValue(), json.path(PARTNER_ID).textValue()))
                        : Optional.empty(),
                () -> NotFoundException.order(orderId), "order");
    }
}
