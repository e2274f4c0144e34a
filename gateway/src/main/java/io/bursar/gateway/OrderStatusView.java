package io.bursar.gateway;

import io.bursar.schemas.OrderStatuses;
import io.bursar.schemas.orders.FulfilmentStatus;
import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderLineState;
import io.bursar.schemas.orders.OrderView;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON shape of an order with its batches: one combined status ({@link OrderProgress}), the amount of all
 * batches (null when they are in different currencies), and each batch as its latest event left it.
 */
record OrderStatusView(String orderId, String parentOrderId, String categoryId, String partnerId, String customerId,
                       String status, boolean terminal, int batchCount, Long amountMinor, String currency,
                       String paymentMethod, String providerId, boolean placeOnPayment, String createdAt,
                       String updatedAt, Fulfilment fulfilment, List<Batch> batches) {

    /**
     * One batch: its lines, what it pays, and where it stands with its fulfilment provider (null when its
     * category has none), with its lines counted: held (reserved, or invested once INVESTED) and removed.
     */
    record Batch(int batch, String status, boolean terminal, List<Line> lines, long amountMinor, String currency,
                 String paymentId, String paymentStatus, boolean refundRequested, String expiresAt, String reason,
                 String updatedAt, String fulfilment, int linesHeld, int linesRemoved) {

        static Batch of(final Order order) {
            return new Batch(order.getBatch(), order.getStatus().name(), OrderStatuses.isTerminal(order.getStatus()),
                    order.getLines().stream().map(Line::of).toList(), order.getAmount().getAmountMinor(),
                    order.getAmount().getCurrency(), order.getPaymentId(),
                    order.getPaymentStatus() == null ? null : order.getPaymentStatus().name(),
                    order.getRefundRequested(), order.getExpiresAt().toString(), order.getReason(),
                    order.getUpdatedAt().toString(),
                    order.getFulfilment() == null ? null : order.getFulfilment().name(),
                    (int) order.getLines().stream().filter(line -> line.getHeld() > 0).count(),
                    (int) order.getLines().stream().filter(line -> line.getRemovedReason() != null).count());
        }
    }

    /**
     * An order told to a fulfilment provider, over all its batches seen: how many batches stand at each step
     * (RESERVING, RESERVED, INVESTING, INVESTED, RELEASED), lines reserved (held by batches not invested yet),
     * invested, and removed by the provider.
     */
    record Fulfilment(String providerId, Map<String, Integer> batches, long linesReserved, long linesInvested,
                      long linesRemoved) {

        static Fulfilment of(final List<Order> batches) {
            final Order first = batches.get(0);
            if (first.getFulfilmentProviderId() == null) {
                return null;
            }
            final Map<String, Integer> byStep = new TreeMap<>();
            long reserved = 0;
            long invested = 0;
            long removed = 0;
            for (final Order batch : batches) {
                if (batch.getFulfilment() != null) {
                    byStep.merge(batch.getFulfilment().name(), 1, Integer::sum);
                }
                for (final OrderLineState line : batch.getLines()) {
                    if (line.getRemovedReason() != null) {
                        removed++;
                    } else if (line.getHeld() > 0 && batch.getFulfilment() == FulfilmentStatus.INVESTED) {
                        invested++;
                    } else if (line.getHeld() > 0) {
                        reserved++;
                    }
                }
            }
            return new Fulfilment(first.getFulfilmentProviderId(), byStep, reserved, invested, removed);
        }
    }

    /**
     * One line: units asked for, units held (sold once placed), the price of one unit, and why the fulfilment
     * provider removed it (null unless it did).
     */
    record Line(String itemId, long requested, long held, long unitPriceMinor, String currency, String removedReason) {

        static Line of(final OrderLineState line) {
            return new Line(line.getItemId(), line.getRequested(), line.getHeld(),
                    line.getUnitPrice().getAmountMinor(), line.getUnitPrice().getCurrency(), line.getRemovedReason());
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
                updatedAt, Fulfilment.of(batches), batches.stream().map(Batch::of).toList());
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
