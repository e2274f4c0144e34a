package io.bursar.queries;

/** A local store cannot be read now (Streams not running, store not loaded yet); the caller may retry later. */
public final class StoreUnavailableException extends RuntimeException {

    public StoreUnavailableException(final String message) {
        super(message);
    }

    public StoreUnavailableException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
