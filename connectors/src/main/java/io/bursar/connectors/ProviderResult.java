// The classified answer of one provider call, the only thing a connector ever returns.
package io.bursar.connectors;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of one provider call with the evidence behind it.
 *
 * @param idempotencyKey    the key of the request this answers
 * @param outcome           success, retryable or permanent
 * @param providerReference the provider's id for the charge or refund, when it gave one
 * @param httpStatus        the HTTP status received, or {@link #NO_HTTP_STATUS} when no answer arrived
 * @param reason            a short human-readable explanation, at most {@link #REASON_LENGTH_MAX} characters
 * @param retryAfter        how long the provider asked us to wait; only ever present on retryable results
 */
public record ProviderResult(
        String idempotencyKey,
        ProviderOutcome outcome,
        Optional<String> providerReference,
        int httpStatus,
        String reason,
        Optional<Duration> retryAfter) {

    /** The status of a call that got no HTTP answer at all (timeout, refused connection, I/O error). */
    public static final int NO_HTTP_STATUS = 0;

    /** Reasons are stored in events and dead-letter headers, so they stay short. */
    public static final int REASON_LENGTH_MAX = 200;

    /** Validates and normalises the fields; throws IllegalArgumentException or NullPointerException on misuse. */
    public ProviderResult {
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(providerReference, "providerReference");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(retryAfter, "retryAfter");
        if (httpStatus != NO_HTTP_STATUS && (httpStatus < 100 || httpStatus > 599)) {
            throw new IllegalArgumentException("httpStatus must be 0 or in [100, 599], was " + httpStatus);
        }
        if (retryAfter.isPresent() && outcome != ProviderOutcome.RETRYABLE) {
            throw new IllegalArgumentException("retryAfter only makes sense on a RETRYABLE result");
        }
        if (retryAfter.isPresent() && retryAfter.get().isNegative()) {
            throw new IllegalArgumentException("retryAfter must not be negative");
        }
        reason = reason.length() <= REASON_LENGTH_MAX ? reason : reason.substring(0, REASON_LENGTH_MAX);
    }

    /** A successful call, with the provider's reference when it sent one. */
    public static ProviderResult success(
            final String idempotencyKey, final int httpStatus, final Optional<String> providerReference) {
        return new ProviderResult(
                idempotencyKey, ProviderOutcome.SUCCESS, providerReference, httpStatus, "ok", Optional.empty());
    }

    /** A call worth retrying, with the wait the provider asked for when it asked. */
    public static ProviderResult retryable(
            final String idempotencyKey, final int httpStatus, final String reason, final Optional<Duration> retryAfter) {
        return new ProviderResult(
                idempotencyKey, ProviderOutcome.RETRYABLE, Optional.empty(), httpStatus, reason, retryAfter);
    }

    /** A call the provider refused for good. */
    public static ProviderResult permanent(final String idempotencyKey, final int httpStatus, final String reason) {
        return new ProviderResult(
                idempotencyKey, ProviderOutcome.PERMANENT, Optional.empty(), httpStatus, reason, Optional.empty());
    }

    /** True when the outcome is {@link ProviderOutcome#SUCCESS}. */
    public boolean isSuccess() {
        return outcome == ProviderOutcome.SUCCESS;
    }

    /** True when the outcome is {@link ProviderOutcome#RETRYABLE}. */
    public boolean isRetryable() {
        return outcome == ProviderOutcome.RETRYABLE;
    }

    /** True when the outcome is {@link ProviderOutcome#PERMANENT}. */
    public boolean isPermanent() {
        return outcome == ProviderOutcome.PERMANENT;
    }
}
