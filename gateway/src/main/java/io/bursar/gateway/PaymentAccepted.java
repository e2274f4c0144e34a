package io.bursar.gateway;

import java.util.Map;

/** The 202 answer to a payment command: its id, the payment's id, and where to look for both. */
record PaymentAccepted(String commandId, String paymentId, Map<String, String> links) {

    static PaymentAccepted of(final String commandId, final String partnerId, final String paymentId) {
        return new PaymentAccepted(commandId, paymentId, Map.of("status", "/v1/commands/" + commandId,
                "payment", PaymentHandlers.paymentPath(paymentId),
                "refund", PaymentHandlers.refundPath(partnerId, paymentId)));
    }
}
