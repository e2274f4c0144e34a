// The commands, payment requests and amounts that tests send to the partner topology, written once.
package io.bursar.topology.testing;

import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentMethod;
import io.bursar.schemas.payments.RequestPayment;
import io.bursar.schemas.payments.RequestPaymentKind;
import java.time.Instant;

/** Builders of the records a test sends to {@code payment-commands}: commands, their payloads and amounts. */
public final class Payments {

    private Payments() {
    }

    /** The command {@code commandId} of {@code partnerId}, carrying {@code payload}, issued at {@code issuedAt}. */
    public static PaymentCommand command(final String commandId, final String partnerId, final Object payload,
                                         final Instant issuedAt) {
        return PaymentCommand.newBuilder().setCommandId(commandId).setPartnerId(partnerId)
                .setIssuedAt(issuedAt).setPayload(payload).build();
    }

    /**
     * A request for payment {@code paymentId} of {@code amount} by {@code method}, at {@code providerId} (null for
     * none), for no order.
     */
    public static RequestPayment requestPayment(final String paymentId, final Money amount, final PaymentMethod method,
                                                final String providerId) {
        return RequestPayment.newBuilder().setRequestPayment(RequestPaymentKind.REQUEST_PAYMENT)
                .setPaymentId(paymentId).setAmount(amount).setMethod(method).setProviderId(providerId)
                .setOrderId(null).build();
    }

    /** {@code minor} units of EUR. */
    public static Money eur(final long minor) {
        return money(minor, "EUR");
    }

    /** {@code minor} units of {@code currency}. */
    public static Money money(final long minor, final String currency) {
        return new Money(minor, currency);
    }
}
