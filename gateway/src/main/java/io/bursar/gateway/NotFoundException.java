package io.bursar.gateway;

/** The resource does not exist (or the caller may not see it); mapped to 404. */
final class NotFoundException extends AnswerException {
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

    /** No order {@code orderId}, or not the caller's: the two answer alike. */
    static NotFoundException order(final String orderId) {
        return new NotFoundException("order " + orderId + " not found");
    }

    /** No sub-orders of {@code parentOrderId}, or none of the caller's: the two answer alike. */
    static NotFoundException parentOrder(final String parentOrderId) {
        return new NotFoundException("parent order " + parentOrderId + " not found");
    }

    /** No payment {@code paymentId}, or not the caller's: the two answer alike. */
    static NotFoundException payment(final String paymentId) {
        return new NotFoundException("payment " + paymentId + " not found");
    }
}
