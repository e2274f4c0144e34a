package io.bursar.app.live;

import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderStatus;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * How far orders get: created → paid → placed → completed, or they end expired, failed, cancelled or rejected.
 * Counted from the order carried by each order event, per order (by its first batch: an order of several batches
 * counts once), remembering the furthest step of at most {@value #ORDERS_MAX} orders, so each step of an order
 * counts once, and a step reached by passing over another (placed on payment: paid, then placed in one event)
 * counts both.
 */
final class OrderFunnel {

    static final int ORDERS_MAX = 100_000;
    /** The steps of an order that goes well, in order. */
    static final String[] STEPS = {"created", "paid", "placed", "completed"};

    private final Map<String, Integer> furthest = new LinkedHashMap<>(1_024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(final Map.Entry<String, Integer> eldest) {
            return size() > ORDERS_MAX;
        }
    };
    private final Map<String, Long> counts = new TreeMap<>();

    /** An order as an event carried it. */
    synchronized void saw(final Order order) {
        if (order.getBatch() != 0) {
            return;
        }
        final OrderStatus status = order.getStatus();
        final Integer before = furthest.get(order.getOrderId());
        if (status == OrderStatus.UNKNOWN || before != null && before < 0) {
            return; // a status this build does not know, or an order that has ended already
        }
        final int step = step(status);
        if (step < 0) {
            // An end: counted once per order, as it is reached.
            counts.merge(status.name().toLowerCase(Locale.ROOT), 1L, Long::sum);
            furthest.put(order.getOrderId(), -1);
            return;
        }
        final int from = before == null ? 0 : before + 1;
        for (int s = from; s <= step; s++) {
            counts.merge(STEPS[s], 1L, Long::sum);
        }
        if (before == null || step > before) {
            furthest.put(order.getOrderId(), step);
        }
    }

    /** Orders counted at each step and end since the start. */
    synchronized Map<String, Long> counts() {
        final Map<String, Long> all = new LinkedHashMap<>();
        for (final String step : STEPS) {
            all.put(step, counts.getOrDefault(step, 0L));
        }
        for (final String end : new String[] {"expired", "failed", "cancelled", "rejected"}) {
            all.put(end, counts.getOrDefault(end, 0L));
        }
        return all;
    }

    /** The step an order in {@code status} has reached, or -1 for an end (expired, failed, cancelled, rejected). */
    private static int step(final OrderStatus status) {
        return switch (status) {
            case PENDING, RESERVED -> 0;
            case PAID -> 1;
            case PLACED -> 2;
            case COMPLETED -> 3;
            default -> -1;
        };
    }
}
