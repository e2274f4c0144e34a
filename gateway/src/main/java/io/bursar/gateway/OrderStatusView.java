package io.bursar.gateway;

import io.bursar.schemas.OrderStatuses;
import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderLineState;
import io.bursar.schemas.orders.OrderView;
import java.util.Comparator;
import java.util.List;

/**
 * The JSON shape of an order with its batches: one combined status ({@link OrderProgress}), the amount of all
 * batches (null when they are in different currencies), and each batch as its latest event left it.
 */
record OrderStatusView(String orderId, String parentOrderId, String categoryId, String partnerId, String customerId,
                       String status, boolean terminal, int batchCount, Long amountMinor, String currency,
                       String paymentMethod, String providerId, boolean placeOnPayment, String createdAt,
                       String updatedAt, List<Batch> batches) {

    record Batch(int batch, String status, boolean terminal, List<Line> lines, long amountMinor, String currency,
                 String paymentId, String paymentStatus, boolean refundRequested, String expiresAt, String reason,
                 String updatedAt) {

        static Batch of(final Order order) {
            return new Batch(order.getBatch(), order.getStatus().name(), OrderStatuses.isTerminal(order.getStatus()),
                    order.getLines().stream().map(Line::of).toList(), order.getAmount().getAmountMinor(),
                    order.getAmount().getCurrency(), order.getPaymentId(),
                    order.getPaymentStatus() == null ? null : order.getPaymentStatus().name(),
                    order.getRefundRequested(), order.getExpiresAt().toString(), order.getReason(),
                    order.getUpdatedAt().toString());
        }
    }

    /** One line: units asked for, units held (sold once placed), and the price of one unit. */
    record Line(String itemId, long requested, long held, long unitPriceMinor, String currency) {

        static Line of(final OrderLineState line) {
            return new Line(line.getItemId(), line.getRequested(), line.getHeld(),
                    line.getUnitPrice().getAmountMinor(), line.getUnitPrice().getCurrency());
        }
    }

    /** The view of {@code view}; it must have at least one batch (the views store never holds one without). */
    static OrderStatusView of(final OrderView view) {
        final List<Order> batches = view.getBatches().values().stream()
                .sorted(Comparator.comparingInt(Order::getBatch)).toList();
        final Order first = batches.get(0);
        final String currency = first.getAmount().getCurrency();
        Long amountMinor = 0L;
        for (final Order batch : batches) {
            if (amountMinor == null || !batch.getAmount().getCurrency().equals(currency)) {
                amountMinor = null;
                break;
            }
            try {
                amountMinor = Math.addExact(amountMinor, batch.getAmount().getAmountMinor());
            } catch (final ArithmeticException e) {
                amountMinor = null;
            }
        }
        final String createdAt = batches.stream().map(Order::getCreatedAt).min(Comparator.naturalOrder())
                .orElseThrow().toString();
        final String updatedAt = batches.stream().map(Order::getUpdatedAt).max(Comparator.naturalOrder())
                .orElseThrow().toString();
        return new OrderStatusView(view.getOrderId(), view.getParentOrderId(), first.getCategoryId(),
                first.getPartnerId(), first.getCustomerId(), OrderProgress.status(view), OrderProgress.isFinal(view),
                OrderProgress.batchCount(view), amountMinor, amountMinor == null ? null : currency,
                first.getPaymentMethod().name(), first.getProviderId(), first.getPlaceOnPayment(), createdAt,
                updatedAt, batches.stream().map(Batch::of).toList());
    }

    /** The partner the order pays; null for an order without batches, which no caller may see. */
    static String partnerOf(final OrderView view) {
        return view.getBatches().values().stream().findFirst().map(Order::getPartnerId).orElse(null);
    }

    /** The category that owns the order; null for an order without batches. */
    static String categoryOf(final OrderView view) {
        return view.getBatches().values().stream().findFirst().map(Order::getCategoryId).orElse(null);
    }
}
