// Which category sells each item: the item-catalog table, which every instance holds whole.
package io.bursar.gateway;

import io.bursar.queries.StoreUnavailableException;
import io.bursar.schemas.orders.CatalogEntry;
import java.util.List;
import java.util.Optional;

/**
 * The item catalog as the gateway reads it, locally on every instance. Both reads throw
 * {@link StoreUnavailableException} while the catalog cannot be read (not loaded yet).
 */
public interface ItemCatalog {

    /** The entry of {@code itemId}; empty when no category sells it. */
    Optional<CatalogEntry> find(String itemId);

    /** Up to {@code limit} items of {@code categoryId}, in itemId order, after {@code afterItemId} (or from the first). */
    List<CatalogEntry> page(String categoryId, String afterItemId, int limit);
}
