package io.bursar.gateway;

/** The caller's key is over its rate; mapped to 429 with {@code Retry-After}. */
final class TooManyRequestsException extends AnswerException {

    private final long retryAfterSeconds;

    TooManyRequestsException(final long retryAfterSeconds) {
        super("rate limit exceeded; retry after " + retryAfterSeconds + " s");
        if (retryAfterSeconds < 1) {
            throw new IllegalArgumentException("retryAfterSeconds must be at least 1: " + retryAfterSeconds);
        }
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** Whole seconds until the key has a token again, at least 1. */
    long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
