package io.bursar.gateway;

import io.bursar.schemas.OrderRules;
import io.bursar.schemas.orders.OrderLine;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How one order request becomes its CreateOrder commands (DESIGN, Partitioning): one order per category,
 * since a category's partition owns its stock; lines beyond the batch size go in batches of that size that
 * share their order's id. The split is a pure function of the request, the catalog and the batch size, so a
 * retry with the same Idempotency-Key publishes the same commands under the same ids, and is recognised.
 *
 * <p>One category: the order keeps its id. Several: one sub-order per category, {@code <orderId>.<categoryId>},
 * all with {@code parentOrderId = orderId}. One piece in all: it carries the request's command id; else each
 * piece carries {@code <commandId>:<categoryId>:<batch>}.
 */
final class OrderSplit {

    /** Lines one order request may have; the request body's size limit usually binds first. */
    static final int LINES_MAX = 100_000;
    /** Categories one order request may span: each is one sub-order to publish and to read back. */
    static final int CATEGORIES_MAX = 100;
    /** Batches one order may have: the order processor's bound. */
    static final int BATCHES_MAX = OrderRules.BATCHES_MAX;

    /** A line of the request with the category the catalog puts its item in. */
    record Line(String itemId, long quantity, String categoryId) {
    }

    /** One CreateOrder to publish: batch {@code batch} of {@code batches} of order {@code orderId}. */
    record Piece(String commandId, String categoryId, String orderId, int batch, int batches, String parentOrderId,
                 List<OrderLine> lines) {
    }

    /** One order of the split, as the 202 answer lists it. */
    record Part(String orderId, String categoryId, int batches) {
    }

    private final String parentOrderId;
    private final List<Part> parts;
    private final List<Piece> pieces;

    private OrderSplit(final String parentOrderId, final List<Part> parts, final List<Piece> pieces) {
        this.parentOrderId = parentOrderId;
        this.parts = List.copyOf(parts);
        this.pieces = List.copyOf(pieces);
    }

    /**
     * Splits the lines of order {@code orderId}, requested by command {@code commandId}, by category (in
     * category id order) and then into batches of at most {@code batchSize} lines (in request order).
     */
    static OrderSplit of(final String orderId, final String commandId, final List<Line> lines, final int batchSize) {
        if (lines.isEmpty() || batchSize < 1) {
            throw new IllegalArgumentException("an order needs lines and a positive batch size");
        }
        final Map<String, List<OrderLine>> byCategory = new TreeMap<>();
        for (final Line line : lines) {
            byCategory.computeIfAbsent(line.categoryId(), category -> new ArrayList<>())
                    .add(new OrderLine(line.itemId(), line.quantity()));
        }
        final boolean split = byCategory.size() > 1;
        final Map<String, Part> parts = new LinkedHashMap<>();
        final List<Piece> pieces = new ArrayList<>();
        for (final Map.Entry<String, List<OrderLine>> category : byCategory.entrySet()) {
            final String categoryId = category.getKey();
            final List<OrderLine> categoryLines = category.getValue();
            final String partOrderId = split ? subOrderId(orderId, categoryId) : orderId;
            final int batches = (categoryLines.size() + batchSize - 1) / batchSize;
            parts.put(categoryId, new Part(partOrderId, categoryId, batches));
            for (int batch = 0; batch < batches; batch++) {
                final List<OrderLine> batchLines = categoryLines.subList(batch * batchSize,
                        Math.min(categoryLines.size(), (batch + 1) * batchSize));
                pieces.add(new Piece(null, categoryId, partOrderId, batch, batches, split ? orderId : null,
                        List.copyOf(batchLines)));
            }
        }
        final boolean single = pieces.size() == 1;
        final List<Piece> named = pieces.stream().map(piece -> new Piece(
                single ? commandId : commandId + ":" + piece.categoryId() + ":" + piece.batch(), piece.categoryId(),
                piece.orderId(), piece.batch(), piece.batches(), piece.parentOrderId(), piece.lines())).toList();
        return new OrderSplit(split ? orderId : null, new ArrayList<>(parts.values()), named);
    }

    /** The id of the sub-order of {@code orderId} in {@code categoryId}. */
    static String subOrderId(final String orderId, final String categoryId) {
        return orderId + "." + categoryId;
    }

    /** The parent of the sub-orders, or null when the order stayed whole (one category). */
    String parentOrderId() {
        return parentOrderId;
    }

    /** The orders the request became, in category id order. */
    List<Part> parts() {
        return parts;
    }

    /** The commands to publish, category by category, batch by batch. */
    List<Piece> pieces() {
        return pieces;
    }
}
