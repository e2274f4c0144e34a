package io.bursar.schemas;

/**
 * Rules of orders that the gateway and the order processor share, defined once: how big an order may be, and how
 * its category's store keys are made.
 */
public final class OrderRules {

    /**
     * Most batches of one order: PlaceOrder and CancelOrder act on every batch, so the processor rejects more
     * (INVALID_COMMAND) and the gateway refuses what the processor would reject.
     */
    public static final int BATCHES_MAX = 1_000;

    /** Between the categoryId and the rest of every key of a category's stores: {@code categoryId/itemId}, ... */
    public static final char KEY_SEPARATOR = '/';

    private OrderRules() {
    }

    /** Key of an item in its category's store: {@code categoryId/itemId}. */
    public static String itemKey(final String categoryId, final String itemId) {
        return categoryId + KEY_SEPARATOR + itemId;
    }
}
