package io.bursar.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.queries.OwnerRouter;
import io.bursar.queries.PeerForwarder;
import io.bursar.schemas.OrderRules;
import io.bursar.schemas.orders.OrderView;
import io.bursar.schemas.orders.CatalogEntry;
import io.bursar.schemas.orders.ParentOrderView;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Handlers of the read routes: each read is answered by the instance that owns its key (see
 * {@link io.bursar.queries.OwnerRouter}); this class only maps the outcome to HTTP.
 */
final class ReadHandlers {

    static final String WAIT_PARAM = "waitMs";
    private static final List<String> CREDENTIAL_HEADERS = List.of("Authorization", "X-Api-Key");

    private final ObjectMapper mapper;
    private final Gateway.Reads reads;
    private final Duration longPollMax;

    ReadHandlers(final ObjectMapper mapper, final Gateway.Reads reads, final Duration longPollMax) {
        this.mapper = mapper;
        this.reads = reads;
        this.longPollMax = longPollMax;
    }

    void balance(final Context ctx) {
        final String partnerId = RequestBody.requireId("partnerId", ctx.pathParam("partnerId"));
        answer(ctx, reads.balances().readAsync(partnerId, request(ctx), Duration.ZERO), BalanceView::of, balance -> true,
                () -> NotFoundException.partner(partnerId));
    }

    void command(final Context ctx) {
        final String commandId = RequestBody.requireId("commandId", ctx.pathParam("commandId"));
        final Duration wait = waitOf(ctx);
        final Caller caller = Caller.of(ctx);
        // Another partner's command answers exactly like an unknown one.
        answer(ctx, reads.commandOutcomes().readAsync(commandId, request(ctx), wait), CommandOutcomeView::of,
                event -> caller.mayAccessPartner(event.getPartnerId()),
                () -> new NotFoundException("command " + commandId + " not found"));
    }

    void payment(final Context ctx) {
        final String paymentId = RequestBody.requireId("paymentId", ctx.pathParam("paymentId"));
        final Duration wait = waitOf(ctx);
        final Caller caller = Caller.of(ctx);
        // The read waits until the payment is in a final state (the router's condition), then answers at once.
        answer(ctx, reads.payments().readAsync(paymentId, request(ctx), wait), PaymentView::of,
                payment -> caller.mayAccessPartner(payment.getPartnerId()), () -> NotFoundException.payment(paymentId));
    }

    void order(final Context ctx) {
        final String orderId = RequestBody.requireId("orderId", ctx.pathParam("orderId"));
        final Duration wait = waitOf(ctx);
        final Caller caller = Caller.of(ctx);
        // The read waits until every batch is final (the router's condition), then answers at once.
        answer(ctx, reads.orders().readAsync(orderId, request(ctx), wait), OrderStatusView::of,
                view -> visible(caller, view), () -> NotFoundException.order(orderId));
    }

    /**
     * The sub-orders of {@code ?parentOrderId=}: the parent is read where it lives, then each sub-order where
     * it lives. Sub-orders the caller may not see are left out; a parent with none left is not found.
     */
    void parentOrder(final Context ctx) {
        final String parentOrderId = ctx.queryParam(OrderHandlers.PARENT_PARAM);
        if (parentOrderId == null) {
            throw new InvalidRequestException(List.of(new FieldError(OrderHandlers.PARENT_PARAM, "required")));
        }
        RequestBody.requireId(OrderHandlers.PARENT_PARAM, parentOrderId);
        final Caller caller = Caller.of(ctx);
        final Map<String, String> credentials = credentials(ctx);
        final CompletableFuture<OwnerRouter.Outcome<ParentOrderView>> parent = reads.parentOrders()
                .readAsync(parentOrderId, request(ctx), Duration.ZERO);
        ctx.future(() -> parent.thenCompose(outcome -> {
            if (!(outcome instanceof OwnerRouter.Outcome.Local<ParentOrderView> local)) {
                answer(ctx, outcome, view -> view, view -> true, () -> NotFoundException.parentOrder(parentOrderId));
                return CompletableFuture.completedFuture(null);
            }
            return subOrders(caller, credentials, local.value()).thenAccept(orders -> {
                if (orders.isEmpty()) {
                    throw NotFoundException.parentOrder(parentOrderId);
                }
                if (local.standbyLag() != null) {
                    ctx.header(PeerForwarder.STANDBY_LAG_HEADER, Long.toString(local.standbyLag()));
                }
                ctx.json(new ParentOrders(parentOrderId, orders));
            });
        }));
    }

    void item(final Context ctx) {
        final String categoryId = RequestBody.requireId("categoryId", ctx.pathParam("categoryId"));
        final String itemId = RequestBody.requireId("itemId", ctx.pathParam("itemId"));
        // Stock is public to every key: anyone who may order may see what is there to order.
        answer(ctx, reads.items().readAsync(OrderRules.itemKey(categoryId, itemId), request(ctx), Duration.ZERO), ItemView::of,
                item -> true, () -> new NotFoundException("item " + itemId + " not found in category " + categoryId));
    }

    /** Most items in one page of {@code GET /v1/categories/{categoryId}/items}. */
    static final int ITEMS_PAGE_MAX = 1_000;

    /**
     * The items a category sells (a pool's loans), a page at a time in itemId order, from the catalog every instance
     * holds: {@code ?after=<itemId>} continues after that item, {@code ?limit=} (1 to {@value #ITEMS_PAGE_MAX},
     * default 100). Admin keys only. Each item's stock is read with {@code GET .../items/{itemId}}.
     */
    void items(final Context ctx) {
        if (!Caller.of(ctx).isAdmin()) {
            throw new ForbiddenException("items are listed with an admin key");
        }
        final String categoryId = RequestBody.requireId("categoryId", ctx.pathParam("categoryId"));
        final String after = ctx.queryParam("after") == null ? null : RequestBody.requireId("after", ctx.queryParam("after"));
        final int limit = pageLimit(ctx.queryParam("limit"));
        final List<CatalogEntry> page = reads.catalog().page(categoryId, after, limit);
        final List<ItemListing.Entry> entries = page.stream().map(ItemListing.Entry::of).toList();
        ctx.json(new ItemListing(categoryId, entries,
                page.size() == limit ? page.get(page.size() - 1).getItemId() : null));
    }

    static int pageLimit(final String limit) {
        if (limit == null) {
            return 100;
        }
        try {
            final int value = Integer.parseInt(limit);
            if (value >= 1 && value <= ITEMS_PAGE_MAX) {
                return value;
            }
        } catch (final NumberFormatException e) {
            // reported below
        }
        throw new InvalidRequestException(List.of(new FieldError("limit", "must be an integer from 1 to " + ITEMS_PAGE_MAX)));
    }

    /** The JSON answer to the item listing: a page, and the {@code after} of the next one (null on the last page). */
    record ItemListing(String categoryId, List<Entry> items, String next) {

        record Entry(String itemId, String name, long priceMinor, String currency) {
            static Entry of(final CatalogEntry entry) {
                return new Entry(entry.getItemId(), entry.getName(), entry.getPrice().getAmountMinor(),
                        entry.getPrice().getCurrency());
            }
        }
    }

    /**
     * An investor's positions: the notes it invested in each loan (units of items of categories with a fulfilment
     * provider), from its completed batches. Admin keys, and a partner key whose partner is the investor (who pays
     * its orders from its balance); others get the 404 of an unknown investor.
     */
    void positions(final Context ctx) {
        final String customerId = RequestBody.requireId("customerId", ctx.pathParam("customerId"));
        final Caller caller = Caller.of(ctx);
        answer(ctx, reads.positions().readAsync(customerId, request(ctx), Duration.ZERO), PositionsView::of,
                positions -> caller.mayAccessPartner(customerId),
                () -> new NotFoundException("no positions for investor " + customerId));
    }

    /** The JSON answer to {@code GET /v1/orders?parentOrderId=}: the sub-orders, each shaped as its own read. */
    record ParentOrders(String parentOrderId, List<Object> orders) {
    }

    /**
     * Each sub-order of {@code parent} the caller may see, as {@code GET /v1/orders/{orderId}} answers it, in the
     * parent's order. The sub-orders are read at once, each where it lives.
     */
    private CompletableFuture<List<Object>> subOrders(final Caller caller, final Map<String, String> credentials,
                                                      final ParentOrderView parent) {
        final List<CompletableFuture<Optional<Object>>> each = parent.getOrderIds().stream().map(orderId -> {
            // A read of another key: routed afresh, as a client's own read of the order would be.
            final OwnerRouter.Request read = new OwnerRouter.Request(OrderHandlers.orderPath(orderId), credentials,
                    false, false);
            return reads.orders().readAsync(orderId, read, Duration.ZERO)
                    .thenApply(outcome -> subOrder(caller, orderId, outcome));
        }).toList();
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
                .thenApply(done -> each.stream().map(CompletableFuture::join).flatMap(Optional::stream).toList());
    }

    /** Sub-order {@code orderId} as its own read answers it; empty when it is unknown or the caller may not see it. */
    private Optional<Object> subOrder(final Caller caller, final String orderId,
                                      final OwnerRouter.Outcome<OrderView> outcome) {
        if (outcome instanceof OwnerRouter.Outcome.Local<OrderView> local) {
            return visible(caller, local.value()) ? Optional.of(OrderStatusView.of(local.value())) : Optional.empty();
        } else if (outcome instanceof OwnerRouter.Outcome.Relayed<OrderView> relayed) {
            final PeerForwarder.Answer answer = relayed.answer();
            if (answer.status() == HttpStatus.OK.getCode()) {
                return Optional.of(json(answer.body()));
            } else if (answer.status() != HttpStatus.NOT_FOUND.getCode()) {
                throw new UnavailableException("the owner of order " + orderId + " answered " + answer.status());
            }
        } else if (outcome instanceof OwnerRouter.Outcome.Unavailable<OrderView> unavailable) {
            throw new UnavailableException(unavailable.reason());
        }
        return Optional.empty();
    }

    private Object json(final String body) {
        try {
            return mapper.readTree(body);
        } catch (final JsonProcessingException e) {
            throw new UnavailableException("a peer answered with broken JSON");
        }
    }

    /** An order the caller may see: it has a batch, and pays the caller's partner (or the caller is admin). */
    private static boolean visible(final Caller caller, final OrderView view) {
        return !view.getBatches().isEmpty() && caller.mayAccessPartner(OrderStatusView.partnerOf(view));
    }

    private Duration waitOf(final Context ctx) {
        final String raw = ctx.queryParam(WAIT_PARAM);
        if (raw == null) {
            return Duration.ZERO;
        }
        try {
            final long waitMs = Long.parseLong(raw);
            if (waitMs >= 0 && waitMs <= longPollMax.toMillis()) {
                return Duration.ofMillis(waitMs);
            }
        } catch (final NumberFormatException e) {
            // Reported below with the accepted range.
        }
        throw new InvalidRequestException(List.of(new FieldError(WAIT_PARAM,
                "must be an integer from 0 to " + longPollMax.toMillis())));
    }

    /**
     * {@link #answer}, once {@code outcome} completes: a read that waits (a long-poll, a forwarded read, a retry
     * while partitions move) holds no request thread meanwhile. A read answered here at once is answered on the
     * request's own thread.
     */
    private static <V> void answer(final Context ctx, final CompletableFuture<OwnerRouter.Outcome<V>> outcome,
                                   final Function<V, Object> view, final Predicate<V> visible,
                                   final Supplier<NotFoundException> notFound) {
        if (outcome.isDone() && !outcome.isCompletedExceptionally()) {
            answer(ctx, outcome.join(), view, visible, notFound);
        } else {
            ctx.future(() -> outcome.thenAccept(done -> answer(ctx, done, view, visible, notFound)));
        }
    }

    private static <V> void answer(final Context ctx, final OwnerRouter.Outcome<V> outcome,
                                   final Function<V, Object> view, final Predicate<V> visible,
                                   final Supplier<NotFoundException> notFound) {
        if (outcome instanceof OwnerRouter.Outcome.Local<V> local) {
            if (!visible.test(local.value())) {
                throw notFound.get();
            }
            if (local.standbyLag() != null) {
                ctx.header(PeerForwarder.STANDBY_LAG_HEADER, Long.toString(local.standbyLag()));
            }
            ctx.json(view.apply(local.value()));
        } else if (outcome instanceof OwnerRouter.Outcome.NotFound<V>) {
            throw notFound.get();
        } else if (outcome instanceof OwnerRouter.Outcome.Relayed<V> relayed) {
            relayed.answer().headers().forEach(ctx::header);
            ctx.status(relayed.answer().status()).contentType("application/json").result(relayed.answer().body());
        } else if (outcome instanceof OwnerRouter.Outcome.Unavailable<V> unavailable) {
            throw new UnavailableException(unavailable.reason());
        }
    }

    private static OwnerRouter.Request request(final Context ctx) {
        final String query = ctx.queryString();
        return new OwnerRouter.Request(ctx.path() + (query == null || query.isEmpty() ? "" : "?" + query),
                credentials(ctx), ctx.header(PeerForwarder.FORWARDED_HEADER) != null,
                ctx.header(PeerForwarder.STANDBY_HEADER) != null);
    }

    /** The caller's credential headers, which a peer answering a forwarded read checks again. */
    static Map<String, String> credentials(final Context ctx) {
        final Map<String, String> pass = new HashMap<>();
        for (final String name : CREDENTIAL_HEADERS) {
            final String value = ctx.header(name);
            if (value != null) {
                pass.put(name, value);
            }
        }
        return pass;
    }
}
