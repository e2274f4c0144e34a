// How a provider call ended, in the three classes the dispatcher acts on differently.
package io.bursar.connectors;

/** The classification of one provider call: succeeded, may succeed if retried, or never will. */
public enum ProviderOutcome {
    /** The provider accepted the request (HTTP 2xx); the payment is done. */
    SUCCESS,
    /** Not known to have succeeded and worth retrying with the same idempotency key: timeouts, I/O errors, 408, 429, 5xx. */
    RETRYABLE,
    /** The provider refused the request for good (other 4xx); retrying the same request cannot help. */
    PERMANENT
}
