package io.bursar.gateway;

import java.util.List;
import java.util.Map;

/**
 * The 202 answer to a new order: the request's command id, the order's id, its parent (null unless the order
 * was split by category; then it is the order's id) and the orders it became, with where to read them.
 */
record OrderAccepted(String commandId, String orderId, String parentOrderId, List<OrderSplit.Part> orders,
                     Map<String, String> links) {

    static OrderAccepted of(final String commandId, final String orderId, final OrderSplit split) {
        final Map<String, String> links = split.parentOrderId() == null
                ? Map.of("order", OrderHandlers.orderPath(orderId),
                        "cancel", OrderHandlers.inCategoryPath(split.parts().get(0).categoryId(), orderId, "cancel"),
                        "place", OrderHandlers.inCategoryPath(split.parts().get(0).categoryId(), orderId, "place"))
                : Map.of("orders", OrderHandlers.parentPath(split.parentOrderId()));
        return new OrderAccepted(commandId, orderId, split.parentOrderId(), split.parts(), links);
    }

    /** The 202 answer to a cancel or place: the command, the order, and where to read the order. */
    record OfCommand(String commandId, String orderId, Map<String, String> links) {

        static OfCommand of(final String commandId, final String orderId) {
            return new OfCommand(commandId, orderId, Map.of("order", OrderHandlers.orderPath(orderId)));
        }
    }
}
