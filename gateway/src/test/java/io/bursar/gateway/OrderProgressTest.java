package io.bursar.gateway;

import static io.bursar.gateway.GatewayFixture.order;
import static io.bursar.gateway.GatewayFixture.view;
import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderStatus;
import io.bursar.schemas.orders.OrderView;
import org.junit.jupiter.api.Test;

/** One status for an order of many batches, and when it is final. */
class OrderProgressTest {

    @Test
    void batchesThatAgreeGiveTheirStatus() {
        final OrderView paid = view(batch(0, 2, OrderStatus.PAID), batch(1, 2, OrderStatus.PAID));
        assertThat(OrderProgress.status(paid)).isEqualTo("PAID");
        assertThat(OrderProgress.isFinal(paid)).isFalse();

        final OrderView done = view(batch(0, 1, OrderStatus.COMPLETED));
        assertThat(OrderProgress.status(done)).isEqualTo("COMPLETED");
        assertThat(OrderProgress.isFinal(done)).isTrue();
    }

    @Test
    void theLeastAdvancedBatchStillUnderWayGivesTheStatus() {
        assertThat(OrderProgress.status(view(batch(0, 3, OrderStatus.PLACED), batch(1, 3, OrderStatus.RESERVED),
                batch(2, 3, OrderStatus.CANCELLED)))).isEqualTo("RESERVED");
        assertThat(OrderProgress.status(view(batch(0, 2, OrderStatus.COMPLETED), batch(1, 2, OrderStatus.PLACED))))
                .isEqualTo("PLACED");
        assertThat(OrderProgress.status(view(batch(0, 2, OrderStatus.UNKNOWN), batch(1, 2, OrderStatus.PENDING))))
                .isEqualTo("UNKNOWN");
    }

    @Test
    void finalBatchesThatEndedDifferentlyAreMixed() {
        final OrderView mixed = view(batch(0, 2, OrderStatus.COMPLETED), batch(1, 2, OrderStatus.REJECTED));
        assertThat(OrderProgress.status(mixed)).isEqualTo(OrderProgress.MIXED);
        assertThat(OrderProgress.isFinal(mixed)).isTrue();
    }

    @Test
    void aBatchNotSeenYetIsPendingSoTheOrderIsNotFinal() {
        final OrderView partly = view(batch(0, 3, OrderStatus.REJECTED), batch(2, 3, OrderStatus.REJECTED));
        assertThat(OrderProgress.batchCount(partly)).isEqualTo(3);
        assertThat(OrderProgress.status(partly)).isEqualTo("PENDING");
        assertThat(OrderProgress.isFinal(partly)).isFalse();
    }

    private static Order batch(final int batch, final int batches, final OrderStatus status) {
        return order("o-1", batch, batches, "books", "acme", status);
    }
}
