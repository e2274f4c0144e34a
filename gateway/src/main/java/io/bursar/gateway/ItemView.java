package io.bursar.gateway;

import io.bursar.schemas.orders.Item;

/** The JSON shape of an item and its stock: available + held + sold = stocked. */
record ItemView(String itemId, String categoryId, String name, long priceMinor, String currency, long available,
                long held, long sold, long stocked, String updatedAt) {

    static ItemView of(final Item item) {
        return new ItemView(item.getItemId(), item.getCategoryId(), item.getName(), item.getPrice().getAmountMinor(),
                item.getPrice().getCurrency(), item.getAvailable(), item.getHeld(), item.getSold(), item.getStocked(),
                item.getUpdatedAt().toString());
    }
}
