package io.bursar.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.bursar.schemas.orders.OrderLine;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How an order request becomes its pieces: by category, then by batch size; ids derived, never random. */
class OrderSplitTest {

    @Test
    void oneCategoryWithinTheBatchSizeStaysOneOrderUnderTheRequestsCommandId() {
        final OrderSplit split = OrderSplit.of("o-1", "k-1", List.of(line("a", 2, "books"), line("b", 1, "books")), 10);

        assertThat(split.parentOrderId()).isNull();
        assertThat(split.parts()).containsExactly(new OrderSplit.Part("o-1", "books", 1));
        assertThat(split.pieces()).containsExactly(new OrderSplit.Piece("k-1", "books", "o-1", 0, 1, null,
                List.of(new OrderLine("a", 2L), new OrderLine("b", 1L))));
    }

    @Test
    void severalCategoriesBecomeSubOrdersOfTheOrderInCategoryOrder() {
        final OrderSplit split = OrderSplit.of("o-1", "k-1",
                List.of(line("kite", 1, "toys"), line("dune", 2, "books"), line("yoyo", 3, "toys")), 10);

        assertThat(split.parentOrderId()).isEqualTo("o-1");
        assertThat(split.parts()).containsExactly(new OrderSplit.Part("o-1.books", "books", 1),
                new OrderSplit.Part("o-1.toys", "toys", 1));
        assertThat(split.pieces()).extracting(OrderSplit.Piece::commandId, OrderSplit.Piece::categoryId,
                OrderSplit.Piece::orderId, OrderSplit.Piece::parentOrderId, OrderSplit.Piece::lines).containsExactly(
                tuple("k-1:books:0", "books", "o-1.books", "o-1", List.of(new OrderLine("dune", 2L))),
                tuple("k-1:toys:0", "toys", "o-1.toys", "o-1",
                        List.of(new OrderLine("kite", 1L), new OrderLine("yoyo", 3L))));
    }

    @Test
    void linesBeyondTheBatchSizeGoInBatchesThatShareTheOrderId() {
        final List<OrderSplit.Line> lines = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            lines.add(line("loan-" + i, 1, "loans"));
        }
        final OrderSplit split = OrderSplit.of("o-1", "k-1", lines, 2);

        assertThat(split.parentOrderId()).isNull();
        assertThat(split.parts()).containsExactly(new OrderSplit.Part("o-1", "loans", 3));
        assertThat(split.pieces()).extracting(OrderSplit.Piece::commandId, OrderSplit.Piece::orderId,
                OrderSplit.Piece::batch, OrderSplit.Piece::batches, piece -> piece.lines().size()).containsExactly(
                tuple("k-1:loans:0", "o-1", 0, 3, 2), tuple("k-1:loans:1", "o-1", 1, 3, 2),
                tuple("k-1:loans:2", "o-1", 2, 3, 1));
        assertThat(split.pieces().get(2).lines()).containsExactly(new OrderLine("loan-4", 1L));
    }

    @Test
    void theSplitIsAFunctionOfItsInputSoARetryPublishesTheSameCommands() {
        final List<OrderSplit.Line> lines = List.of(line("kite", 1, "toys"), line("dune", 2, "books"),
                line("emma", 1, "books"));
        assertThat(OrderSplit.of("o-1", "k-1", lines, 1).pieces())
                .isEqualTo(OrderSplit.of("o-1", "k-1", lines, 1).pieces())
                .extracting(OrderSplit.Piece::commandId)
                .containsExactly("k-1:books:0", "k-1:books:1", "k-1:toys:0");
    }

    private static OrderSplit.Line line(final String itemId, final long quantity, final String categoryId) {
        return new OrderSplit.Line(itemId, quantity, categoryId);
    }
}
