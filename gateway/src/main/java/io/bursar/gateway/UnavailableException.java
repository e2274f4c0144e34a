package io.bursar.gateway;

/** The answer cannot be given now (rebalancing, Kafka unreachable); mapped to 503 with Retry-After. */
final class UnavailableException extends RuntimeException {
    UnavailableException(final String message) {
        super(message);
    }
}
