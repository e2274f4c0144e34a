package io.bursar.gateway;

/** The resource does not exist (or the caller may not see it); mapped to 404. */
final class NotFoundException extends RuntimeException {
    NotFoundException(final String message) {
        super(message);
    }

    /**
     * Nothing of {@code partnerId} to show; the same answer whether the partner has nothing or the caller
     * may not see it, so a partner's key cannot learn which other partners exist.
     */
    static NotFoundException partner(final String partnerId) {
        return new NotFoundException("partner " + partnerId + " not found");
    }

    /** No payment {@code paymentId}, or not the caller's: the two answer alike. */
    static NotFoundException payment(final String paymentId) {
        return new NotFoundException("payment " + paymentId + " not found");
    }
}
