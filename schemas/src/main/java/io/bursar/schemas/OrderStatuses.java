package io.bursar.schemas;

import io.bursar.schemas.orders.OrderStatus;
import java.util.EnumSet;
import java.util.Set;

/** Which order states are final (invariant 6 of docs/reliability.md: every order reaches one). */
public final class OrderStatuses {

    private static final Set<OrderStatus> TERMINAL = EnumSet.of(OrderStatus.COMPLETED, OrderStatus.REJECTED,
            OrderStatus.EXPIRED, OrderStatus.CANCELLED, OrderStatus.FAILED);

    private OrderStatuses() {
    }

    /** True for COMPLETED, REJECTED, EXPIRED, CANCELLED and FAILED. */
    public static boolean isTerminal(final OrderStatus status) {
        return TERMINAL.contains(status);
    }
}
