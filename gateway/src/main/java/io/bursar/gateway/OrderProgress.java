package io.bursar.gateway;

import io.bursar.schemas.OrderStatuses;
import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderStatus;
import io.bursar.schemas.orders.OrderView;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * How far an order has come over all its batches: one status for the whole order, and whether it is final.
 * A batch not seen yet counts as {@code PENDING}, so an order is final only once every batch is.
 */
public final class OrderProgress {

    /** Shown when every batch is final but they did not all end alike. */
    static final String MIXED = "MIXED";
    /** Non-final states, least advanced first; UNKNOWN (a state newer than this server) before all. */
    private static final List<OrderStatus> ADVANCE = List.of(OrderStatus.UNKNOWN, OrderStatus.PENDING,
            OrderStatus.RESERVED, OrderStatus.PAID, OrderStatus.PLACED, OrderStatus.COMPLETED);

    private OrderProgress() {
    }

    /**
     * True once every batch of the order exists and is in a final state: what a long-poll of
     * {@code GET /v1/orders/{orderId}?waitMs=} waits for ({@code router.reads(reader, OrderProgress::isFinal)}).
     */
    public static boolean isFinal(final OrderView view) {
        return statuses(view).stream().allMatch(OrderStatuses::isTerminal);
    }

    /**
     * The order's status: the batches' one status when they agree; else the least advanced status of a batch
     * still under way, if any; else {@value #MIXED}.
     */
    static String status(final OrderView view) {
        final List<OrderStatus> statuses = statuses(view);
        if (statuses.stream().distinct().count() == 1) {
            return statuses.get(0).name();
        }
        return statuses.stream().filter(status -> !OrderStatuses.isTerminal(status))
                .min(Comparator.comparingInt(OrderProgress::advance))
                .map(OrderStatus::name).orElse(MIXED);
    }

    /** The status of every batch the order has, {@code PENDING} for those not seen yet; batch order. */
    private static List<OrderStatus> statuses(final OrderView view) {
        final int batches = batchCount(view);
        final List<OrderStatus> statuses = new ArrayList<>(batches);
        for (int batch = 0; batch < batches; batch++) {
            final Order order = view.getBatches().get(Integer.toString(batch));
            statuses.add(order == null ? OrderStatus.PENDING : order.getStatus());
        }
        return statuses;
    }

    /**
     * How many batches the order has: as its batches say (at least one more than the highest seen), and never
     * more than an order can have lines.
     */
    static int batchCount(final OrderView view) {
        int count = 1;
        for (final Order order : view.getBatches().values()) {
            count = Math.max(count, Math.max(order.getBatches(), order.getBatch() + 1));
        }
        return Math.min(count, OrderSplit.LINES_MAX);
    }

    private static int advance(final OrderStatus status) {
        final int index = ADVANCE.indexOf(status);
        return index < 0 ? ADVANCE.size() : index;
    }
}
