package io.bursar.topology.orders;

import io.bursar.schemas.CurrencyCodes;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.orders.CatalogEntry;
import io.bursar.schemas.orders.Item;
import io.bursar.schemas.orders.LoanTerms;
import io.bursar.schemas.orders.OrderCommand;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.orders.OrderEventType;
import io.bursar.schemas.orders.OrderRejectionReason;
import io.bursar.schemas.orders.UpsertItem;
import io.bursar.topology.LogClock;
import io.bursar.topology.Outbox;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * The items of one task's categories and their stock, read and written only on its stream thread: the
 * one place stock moves, and where {@code available + held + sold = stocked} (none negative) is checked
 * after every move. It also decides {@link UpsertItem}, the admin's way to create and restock items.
 */
final class Inventory {

    private final KeyValueStore<String, Item> items;
    private final ReadOnlyKeyValueStore<String, ValueAndTimestamp<CatalogEntry>> catalog;

    Inventory(final KeyValueStore<String, Item> items,
              final ReadOnlyKeyValueStore<String, ValueAndTimestamp<CatalogEntry>> catalog) {
        this.items = Objects.requireNonNull(items, "items");
        this.catalog = Objects.requireNonNull(catalog, "catalog");
    }

    /** The category's item, or null. */
    Item find(final String categoryId, final String itemId) {
        return items.get(OrderProcessor.itemKey(categoryId, itemId));
    }

    /**
     * The category that, by the catalog, sells {@code itemId} when that is not {@code categoryId}; else null.
     * The catalog is a global table fed by its own thread, so an item created a moment ago elsewhere may not
     * be in it yet.
     */
    String otherCategoryOf(final String categoryId, final String itemId) {
        final CatalogEntry entry = ValueAndTimestamp.getValueOrNull(catalog.get(itemId));
        return entry != null && !entry.getCategoryId().equals(categoryId) ? entry.getCategoryId() : null;
    }

    /** Moves {@code units} from available to held. */
    void hold(final Item item, final long units, final long nowMs) {
        move(item, -units, units, 0, nowMs);
    }

    /** Moves {@code units} from held back to available. */
    void release(final Item item, final long units, final long nowMs) {
        move(item, units, -units, 0, nowMs);
    }

    /** Moves {@code units} from held to sold. */
    void sell(final Item item, final long units, final long nowMs) {
        move(item, 0, -units, units, nowMs);
    }

    /** The item an order holds stock of; it must exist, since items are never deleted. */
    Item require(final String categoryId, final String itemId) {
        final Item item = find(categoryId, itemId);
        if (item == null) {
            throw new IllegalStateException("an order holds item " + categoryId + '/' + itemId + ", which is gone");
        }
        return item;
    }

    private void move(final Item item, final long availableDelta, final long heldDelta, final long soldDelta,
                      final long nowMs) {
        item.setAvailable(item.getAvailable() + availableDelta);
        item.setHeld(item.getHeld() + heldDelta);
        item.setSold(item.getSold() + soldDelta);
        check(item);
        save(item, nowMs);
    }

    private void save(final Item item, final long nowMs) {
        item.setUpdatedAt(LogClock.notBefore(item.getUpdatedAt(), nowMs));
        items.put(OrderProcessor.itemKey(item.getCategoryId(), item.getItemId()), item);
    }

    /** Invariant 3 of docs/reliability.md; a break is a bug in this package, never bad input. */
    static void check(final Item item) {
        if (item.getAvailable() < 0 || item.getHeld() < 0 || item.getSold() < 0
                || item.getAvailable() + item.getHeld() + item.getSold() != item.getStocked()) {
            throw new IllegalStateException("stock invariant broken: " + item);
        }
    }

    /** Creates or changes an item; emits its result and, on a new name or price, its catalog entry. */
    OrderEvent upsert(final OrderCommand command, final UpsertItem upsert, final long nowMs, final Outbox out) {
        final String categoryId = command.getCategoryId();
        final Item stored = OrderFlow.isId(upsert.getItemId()) ? find(categoryId, upsert.getItemId()) : null;
        final OrderRejectionReason invalid = invalidUpsert(categoryId, upsert, stored);
        if (invalid != null) {
            return reject(command, invalid, stored, nowMs, out);
        }
        final Item item;
        final boolean listed;
        if (stored == null) {
            item = new Item(upsert.getItemId(), categoryId, upsert.getName(), Money.newBuilder(upsert.getPrice()).build(),
                    upsert.getStockSet(), 0L, 0L, upsert.getStockSet(), Instant.ofEpochMilli(nowMs),
                    upsert.getLoan() == null ? null : LoanTerms.newBuilder(upsert.getLoan()).build());
            listed = true;
        } else {
            item = Item.newBuilder(stored).build();
            final Long available = availableAfter(stored, upsert);
            if (available == null) {
                return reject(command, OrderRejectionReason.INVALID_STOCK, stored, nowMs, out);
            }
            item.setAvailable(available);
            item.setStocked(available + stored.getHeld() + stored.getSold());
            listed = upsert.getName() != null && !upsert.getName().equals(stored.getName())
                    || upsert.getPrice() != null && !upsert.getPrice().equals(stored.getPrice());
            if (upsert.getName() != null) {
                item.setName(upsert.getName());
            }
            if (upsert.getPrice() != null) {
                item.setPrice(Money.newBuilder(upsert.getPrice()).build());
            }
            if (upsert.getLoan() != null) {
                item.setLoan(LoanTerms.newBuilder(upsert.getLoan()).build());
            }
        }
        check(item);
        save(item, nowMs);
        final OrderEvent result = OrderEvents.accepted(command.getCommandId(), categoryId, OrderEventType.UPSERT_ITEM,
                null, List.of(item), nowMs);
        out.event(result);
        if (listed) {
            out.catalog(new CatalogEntry(item.getItemId(), categoryId, item.getName(),
                    Money.newBuilder(item.getPrice()).build(), Instant.ofEpochMilli(nowMs)));
        }
        return result;
    }

    private OrderRejectionReason invalidUpsert(final String categoryId, final UpsertItem upsert, final Item stored) {
        if (!OrderFlow.isId(upsert.getItemId())) {
            return OrderRejectionReason.INVALID_COMMAND;
        }
        if (stored == null && otherCategoryOf(categoryId, upsert.getItemId()) != null) {
            return OrderRejectionReason.ITEM_IN_OTHER_CATEGORY;
        }
        if (upsert.getName() != null && upsert.getName().isBlank()) {
            return OrderRejectionReason.INVALID_COMMAND;
        }
        if (upsert.getPrice() != null && !validPrice(upsert.getPrice())) {
            return OrderRejectionReason.INVALID_PRICE;
        }
        if (upsert.getStockSet() != null && (upsert.getStockDelta() != null || upsert.getStockSet() < 0)) {
            return OrderRejectionReason.INVALID_STOCK;
        }
        if (upsert.getLoan() != null && (upsert.getLoan().getRateBps() < 0 || upsert.getLoan().getTermMonths() <= 0)) {
            return OrderRejectionReason.INVALID_COMMAND;
        }
        if (stored == null) {
            // A new item needs all it is sold by; a delta has nothing to apply to.
            if (upsert.getName() == null) {
                return OrderRejectionReason.INVALID_COMMAND;
            }
            if (upsert.getPrice() == null) {
                return OrderRejectionReason.INVALID_PRICE;
            }
            if (upsert.getStockSet() == null) {
                return OrderRejectionReason.INVALID_STOCK;
            }
        }
        return null;
    }

    /** The available units after the upsert, or null when they would be negative or overflow. */
    private static Long availableAfter(final Item stored, final UpsertItem upsert) {
        long available = stored.getAvailable();
        try {
            if (upsert.getStockSet() != null) {
                available = upsert.getStockSet();
            } else if (upsert.getStockDelta() != null) {
                available = Math.addExact(available, upsert.getStockDelta());
            }
            Math.addExact(Math.addExact(available, stored.getHeld()), stored.getSold());
        } catch (final ArithmeticException overflow) {
            return null;
        }
        return available < 0 ? null : available;
    }

    static boolean validPrice(final Money price) {
        return price.getAmountMinor() > 0 && CurrencyCodes.isKnown(price.getCurrency());
    }

    private static OrderEvent reject(final OrderCommand command, final OrderRejectionReason reason, final Item stored,
                                     final long nowMs, final Outbox out) {
        final OrderEvent result = OrderEvents.rejected(command.getCommandId(), command.getCategoryId(),
                OrderEventType.UPSERT_ITEM, reason, null, stored == null ? List.of() : List.of(stored), nowMs);
        out.event(result);
        return result;
    }
}
