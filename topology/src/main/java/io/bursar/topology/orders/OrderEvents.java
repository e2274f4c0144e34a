package io.bursar.topology.orders;

import io.bursar.schemas.orders.CancelOrder;
import io.bursar.schemas.orders.CreateOrder;
import io.bursar.schemas.orders.Item;
import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.orders.OrderEventType;
import io.bursar.schemas.orders.OrderRejectionReason;
import io.bursar.schemas.orders.PlaceOrder;
import io.bursar.schemas.orders.UpsertItem;
import io.bursar.schemas.payments.Outcome;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Builds {@link OrderEvent}s, with copies of the records they carry so later changes never leak into sent events. */
public final class OrderEvents {

    private OrderEvents() {
    }

    static OrderEvent accepted(final String commandId, final String categoryId, final OrderEventType type,
                               final Order order, final List<Item> items, final long nowMs) {
        return event(commandId, categoryId, type, Outcome.ACCEPTED, null, order, items, nowMs);
    }

    static OrderEvent rejected(final String commandId, final String categoryId, final OrderEventType type,
                               final OrderRejectionReason reason, final Order order, final List<Item> items,
                               final long nowMs) {
        return event(commandId, categoryId, type, Outcome.REJECTED, reason, order, items, nowMs);
    }

    private static OrderEvent event(final String commandId, final String categoryId, final OrderEventType type,
                                    final Outcome outcome, final OrderRejectionReason reason, final Order order,
                                    final List<Item> items, final long nowMs) {
        final List<Item> copies = new ArrayList<>(items.size());
        for (final Item item : items) {
            copies.add(Item.newBuilder(item).build());
        }
        return OrderEvent.newBuilder()
                .setCommandId(commandId).setCategoryId(categoryId).setType(type).setOutcome(outcome)
                .setReason(reason).setOrder(order == null ? null : Order.newBuilder(order).build())
                .setItems(copies).setDuplicate(false).setProcessedAt(Instant.ofEpochMilli(nowMs))
                .build();
    }

    /** The key an event is published under: the order it is about, else its category. */
    public static String keyOf(final OrderEvent event) {
        return event.getOrder() != null ? event.getOrder().getOrderId() : event.getCategoryId();
    }

    static OrderEventType typeOf(final Object payload) {
        if (payload instanceof UpsertItem) {
            return OrderEventType.UPSERT_ITEM;
        } else if (payload instanceof CreateOrder) {
            return OrderEventType.CREATE_ORDER;
        } else if (payload instanceof PlaceOrder) {
            return OrderEventType.PLACE_ORDER;
        } else if (payload instanceof CancelOrder) {
            return OrderEventType.CANCEL_ORDER;
        }
        return OrderEventType.UNKNOWN;
    }
}
