// What a provider call does with the money: take it from the payer, or give it back.
package io.bursar.connectors;

/** The kind of call a {@link ProviderRequest} asks of the provider; each has its own endpoint. */
public enum ProviderOperation {
    /** Takes the amount from the payer. */
    CHARGE,
    /** Gives the amount of an earlier charge back; the provider, not Bursar, decides whether it matches one. */
    REFUND
}
