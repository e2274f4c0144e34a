package io.bursar.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.orders.LoanTerms;
import io.bursar.schemas.orders.UpsertItem;
import io.bursar.schemas.orders.UpsertItemKind;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.Map;
import java.util.Set;

/**
 * Handler of the item route (admin only): validate, then publish an {@link UpsertItem} keyed by the item's
 * category. Whether the item may be changed (its category, the stock it would leave) is the order processor's
 * decision.
 */
final class ItemHandlers {

    static final int NAME_LENGTH_MAX = 200;
    private static final String PRICE = "priceMinor";
    private static final String CURRENCY = "currency";
    private static final String STOCK = "stock";
    private static final String STOCK_DELTA = "stockDelta";
    private static final String LOAN_RATE = "loanRateBps";
    private static final String LOAN_TERM = "loanTermMonths";
    private static final Set<String> UPSERT_FIELDS = Set.of("categoryId", "name", PRICE, CURRENCY, STOCK, STOCK_DELTA,
            LOAN_RATE, LOAN_TERM);
    /** Highest yearly rate a loan may carry: 1,000 %. */
    private static final long LOAN_RATE_BPS_MAX = 100_000;
    /** Longest term a loan may have: 50 years. */
    private static final long LOAN_TERM_MONTHS_MAX = 600;

    private final ObjectMapper mapper;
    private final CommandSubmitter commands;

    ItemHandlers(final ObjectMapper mapper, final CommandSubmitter commands) {
        this.mapper = mapper;
        this.commands = commands;
    }

    /** Where item {@code itemId} of {@code categoryId} is read. */
    static String itemPath(final String categoryId, final String itemId) {
        return "/v1/categories/" + categoryId + "/items/" + itemId;
    }

    void upsert(final Context ctx) {
        // Items are readable by every key, so refusing a partner says nothing it could not learn: 403, not 404.
        if (!Caller.of(ctx).isAdmin()) {
            throw new ForbiddenException("items are changed with an admin key");
        }
        final String itemId = RequestBody.requireId("itemId", ctx.pathParam("itemId"));
        final RequestBody body = RequestBody.parse(mapper, ctx.body(), UPSERT_FIELDS);
        final String categoryId = body.id("categoryId");
        final String name = body.has("name") ? body.text("name", NAME_LENGTH_MAX) : null;
        final Money price = price(body);
        final Long stock = body.has(STOCK) ? body.integer(STOCK, 0, Long.MAX_VALUE) : null;
        final Long stockDelta = body.has(STOCK_DELTA) ? body.nonZeroInteger(STOCK_DELTA) : null;
        if (stock != null) {
            body.refuse(STOCK_DELTA, "not allowed with stock: send one of the two");
        }
        final LoanTerms loan = loan(body);
        if (!body.has("name") && !body.has(PRICE) && !body.has(CURRENCY) && !body.has(STOCK) && !body.has(STOCK_DELTA)
                && !body.has(LOAN_RATE) && !body.has(LOAN_TERM)) {
            body.report("$", "nothing to change: send name, priceMinor with currency, stock or stockDelta");
        }
        body.validate();
        final String commandId = CommandSubmitter.commandId(ctx);
        CommandSubmitter.answerAccepted(ctx, commands.submitOrder(commandId, categoryId,
                new UpsertItem(UpsertItemKind.UPSERT_ITEM, itemId, name, price, stock, stockDelta, loan)),
                new ItemAccepted(commandId, itemId, categoryId,
                Map.of("item", itemPath(categoryId, itemId))));
    }

    /** A loan's terms when either is sent (the item is a loan: one unit is one note, the price its size); both are required. */
    private static LoanTerms loan(final RequestBody body) {
        if (!body.has(LOAN_RATE) && !body.has(LOAN_TERM)) {
            return null;
        }
        final long rateBps = body.integer(LOAN_RATE, 0, LOAN_RATE_BPS_MAX);
        final long termMonths = body.integer(LOAN_TERM, 1, LOAN_TERM_MONTHS_MAX);
        return new LoanTerms((int) rateBps, (int) termMonths);
    }

    /** The price when either part is sent: then both are required. */
    private static Money price(final RequestBody body) {
        if (!body.has(PRICE) && !body.has(CURRENCY)) {
            return null;
        }
        final long priceMinor = body.amountMinor(PRICE);
        final String currency = body.currency(CURRENCY);
        return currency == null || priceMinor == 0 ? null : new Money(priceMinor, currency);
    }

    /** The 202 answer to an item change: its command, the item, and where to read the item. */
    record ItemAccepted(String commandId, String itemId, String categoryId, Map<String, String> links) {
    }
}
