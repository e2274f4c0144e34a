package io.bursar.gateway;

import io.bursar.schemas.orders.InvestorPositions;
import java.util.List;
import java.util.Map;

/**
 * The JSON shape of an investor's positions: per category and item (a pool and a loan), the units (notes)
 * invested, sorted; with the totals and how many batches they came from.
 */
record PositionsView(String customerId, long items, long units, int batches, List<Position> positions) {

    record Position(String categoryId, String itemId, long units) {
    }

    static PositionsView of(final InvestorPositions positions) {
        final List<Position> sorted = positions.getUnits().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(entry -> {
                    final String key = entry.getKey();
                    final int slash = key.indexOf('/');
                    return new Position(key.substring(0, slash), key.substring(slash + 1), entry.getValue());
                })
                .toList();
        return new PositionsView(positions.getCustomerId(), sorted.size(),
                sorted.stream().mapToLong(Position::units).sum(), positions.getBatches().size(), sorted);
    }
}
