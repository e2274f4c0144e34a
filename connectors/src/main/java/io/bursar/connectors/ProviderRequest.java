// One call to make to a provider: what the dispatcher hands a connector.
package io.bursar.connectors;

import java.util.Objects;

/**
 * A charge or a refund to submit to a provider, identified for the provider by its idempotency key.
 *
 * <p>The amount is deliberately not range-checked here: the provider is the authority on what it
 * accepts, and its refusal arrives as a {@link ProviderOutcome#PERMANENT} result rather than an
 * exception on the dispatcher's thread.
 *
 * @param idempotencyKey the key the provider deduplicates on; the same for every attempt of one payment
 * @param paymentId      the payment this call is for
 * @param partnerId      the partner whose payment it is
 * @param amountMinor    the amount in minor units of {@code currency}
 * @param currency       the ISO-4217 currency code
 * @param attempt        0 for the first call, incremented on every retry
 * @param operation      whether the call charges or refunds, or what it does with an item; kept by every retry
 * @param itemId         the item of a fulfilment line (a loan), null for a payment
 * @param quantity       the units of {@code itemId} (notes), 0 for a payment
 */
public record ProviderRequest(
        String idempotencyKey,
        String paymentId,
        String partnerId,
        long amountMinor,
        String currency,
        int attempt,
        ProviderOperation operation,
        String itemId,
        long quantity) {

    /** Longest idempotency key accepted; providers commonly cap it at 255 characters. */
    public static final int IDEMPOTENCY_KEY_LENGTH_MAX = 255;

    /** Attempts beyond this are a dispatcher bug, since its retry limit is far lower. */
    public static final int ATTEMPT_MAX = 1_000;

    /** Validates the fields a connector relies on; throws IllegalArgumentException or NullPointerException otherwise. */
    public ProviderRequest {
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        Objects.requireNonNull(paymentId, "paymentId");
        Objects.requireNonNull(partnerId, "partnerId");
        Objects.requireNonNull(currency, "currency");
        Objects.requireNonNull(operation, "operation");
        if (idempotencyKey.isBlank() || idempotencyKey.length() > IDEMPOTENCY_KEY_LENGTH_MAX) {
            throw new IllegalArgumentException(
                    "idempotencyKey must be 1.." + IDEMPOTENCY_KEY_LENGTH_MAX + " non-blank characters");
        }
        if (operation.isFulfilment() && (itemId == null || itemId.isBlank() || quantity <= 0)) {
            throw new IllegalArgumentException("a " + operation + " line needs an itemId and a positive quantity");
        }
        if (attempt < 0 || attempt > ATTEMPT_MAX) {
            throw new IllegalArgumentException("attempt must be in [0, " + ATTEMPT_MAX + "], was " + attempt);
        }
    }

    /** A {@link ProviderOperation#CHARGE}, for callers that only ever charge. */
    public ProviderRequest(
            final String idempotencyKey,
            final String paymentId,
            final String partnerId,
            final long amountMinor,
            final String currency,
            final int attempt) {
        this(idempotencyKey, paymentId, partnerId, amountMinor, currency, attempt, ProviderOperation.CHARGE);
    }

    /** A charge or refund of a payment: no item. */
    public ProviderRequest(
            final String idempotencyKey,
            final String paymentId,
            final String partnerId,
            final long amountMinor,
            final String currency,
            final int attempt,
            final ProviderOperation operation) {
        this(idempotencyKey, paymentId, partnerId, amountMinor, currency, attempt, operation, null, 0L);
    }

    /** Returns the same request, operation included, for the next attempt. */
    public ProviderRequest nextAttempt() {
        return new ProviderRequest(idempotencyKey, paymentId, partnerId, amountMinor, currency, attempt + 1, operation,
                itemId, quantity);
    }
}
