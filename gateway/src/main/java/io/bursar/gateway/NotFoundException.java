package io.bursar.gateway;

/** The resource does not exist (or the caller may not see it); mapped to 404. */
final class NotFoundException extends RuntimeException {
    NotFoundException(final String message) {
        super(message);
    }
}
