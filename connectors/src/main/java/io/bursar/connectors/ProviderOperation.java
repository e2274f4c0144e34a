// What a provider call asks: move a payment's money, or tell the keeper of an item's record what an order did with it.
package io.bursar.connectors;

/** The kind of call a {@link ProviderRequest} asks of the provider. */
public enum ProviderOperation {
    /** Takes the amount from the payer. */
    CHARGE,
    /** Gives the amount of an earlier charge back; the provider, not Bursar, decides whether it matches one. */
    REFUND,
    /** Reserves units of an item (a loan's notes) for an order's customer (an investor) at the provider that keeps its record. */
    RESERVE,
    /** Turns reserved units into the customer's for good (the notes are INVESTED). */
    INVEST,
    /** Gives reserved units back: the order ended without investing them. */
    RELEASE;

    /** True for the operations on items sent in bulk ({@link ProviderConnector#submitBulk}), false for payments. */
    public boolean isFulfilment() {
        return this == RESERVE || this == INVEST || this == RELEASE;
    }
}
