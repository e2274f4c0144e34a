package io.bursar.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.queries.RoutedRead;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentMethod;
import io.bursar.schemas.payments.RefundPayment;
import io.bursar.schemas.payments.RefundPaymentKind;
import io.bursar.schemas.payments.RequestPayment;
import io.bursar.schemas.payments.RequestPaymentKind;
import io.bursar.schemas.payments.RetryPayment;
import io.bursar.schemas.payments.RetryPaymentKind;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Handlers of the payment command routes: validate, then publish a {@link RequestPayment} or a
 * {@link RefundPayment} (or an admin's {@link RetryPayment}) keyed by the payment's partner. Whether a payment may be refunded is the stream
 * processor's decision; the gateway only finds whose payment it is.
 */
final class PaymentHandlers {

    static final String PAYMENTS_PATH = "/v1/payments";
    private static final String PARTNER_ID = "partnerId";
    private static final String PROVIDER_ID = "providerId";
    private static final Set<String> REQUEST_FIELDS = Set.of("paymentId", PARTNER_ID, "amountMinor", "currency",
            "method", PROVIDER_ID, "orderId");
    /** UNKNOWN is the reader's default for a newer symbol, never a client's choice. */
    static final List<PaymentMethod> METHODS = List.of(PaymentMethod.BALANCE, PaymentMethod.PROVIDER);

    private final ObjectMapper mapper;
    private final OwnerLookup owners;
    private final CommandSubmitter commands;
    private final RoutedRead<Payment> payments;

    PaymentHandlers(final ObjectMapper mapper, final CommandSubmitter commands, final RoutedRead<Payment> payments) {
        this.mapper = mapper;
        this.owners = new OwnerLookup(mapper);
        this.commands = commands;
        this.payments = payments;
    }

    /** Where payment {@code paymentId} is read. */
    static String paymentPath(final String paymentId) {
        return PAYMENTS_PATH + "/" + paymentId;
    }

    void request(final Context ctx) throws InterruptedException {
        final RequestBody body = RequestBody.parse(mapper, ctx.body(), REQUEST_FIELDS);
        final String partnerId = body.id(PARTNER_ID);
        // The partner is in the body, not the path: refused here as AccessControl refuses a path's partner,
        // before any other field is judged, so an invalid body gives no hint either.
        if (partnerId != null && !Caller.of(ctx).mayAccessPartner(partnerId)) {
            throw NotFoundException.partner(partnerId);
        }
        final String paymentId = body.optionalId("paymentId");
        final Money amount = new Money(body.amountMinor("amountMinor"), body.currency("currency"));
        final PaymentMethod method = body.oneOf("method", METHODS);
        final String providerId = providerId(body, method);
        final String orderId = body.optionalId("orderId");
        body.validate();
        final String commandId = CommandSubmitter.commandId(ctx);
        // Without a paymentId the command's id names the payment: a retry with the same Idempotency-Key
        // asks for the same payment, and gets the original outcome.
        final String id = paymentId == null ? commandId : paymentId;
        commands.submit(commandId, partnerId, new RequestPayment(RequestPaymentKind.REQUEST_PAYMENT, id, amount, method, providerId, orderId, null));
        ctx.status(HttpStatus.ACCEPTED).json(PaymentAccepted.of(commandId, id));
    }

    void refund(final Context ctx) throws InterruptedException {
        final String paymentId = RequestBody.requireId("paymentId", ctx.pathParam("paymentId"));
        RequestBody.parse(mapper, ctx.body(), Set.of()).validate();
        final String commandId = CommandSubmitter.commandId(ctx);
        final String partnerId = partnerOf(paymentId, ctx);
        if (!Caller.of(ctx).mayAccessPartner(partnerId)) {
            throw NotFoundException.payment(paymentId);
        }
        commands.submit(commandId, partnerId, new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, paymentId, null));
        ctx.status(HttpStatus.ACCEPTED).json(PaymentAccepted.of(commandId, paymentId));
    }

    /**
     * An admin's retry of a DEAD_LETTERED provider payment (the provider is back): a {@link RetryPayment} that puts it
     * back in the provider's queue. Whether it may be retried is the stream processor's decision (a payment in any
     * other state is rejected PAYMENT_NOT_RETRYABLE).
     */
    void retry(final Context ctx) throws InterruptedException {
        // Only the operator who can see the provider's state decides that a charge may be tried again.
        if (!Caller.of(ctx).isAdmin()) {
            throw new ForbiddenException("payments are retried with an admin key");
        }
        final String paymentId = RequestBody.requireId("paymentId", ctx.pathParam("paymentId"));
        RequestBody.parse(mapper, ctx.body(), Set.of()).validate();
        final String commandId = CommandSubmitter.commandId(ctx);
        final String partnerId = partnerOf(paymentId, ctx);
        commands.submit(commandId, partnerId, new RetryPayment(RetryPaymentKind.RETRY_PAYMENT, paymentId));
        ctx.status(HttpStatus.ACCEPTED).json(PaymentAccepted.of(commandId, paymentId));
    }

    /** The body's provider: required with PROVIDER, refused with BALANCE (also for an order's payment). */
    static String providerId(final RequestBody body, final PaymentMethod method) {
        if (method == PaymentMethod.BALANCE) {
            body.refuse(PROVIDER_ID, "not allowed with method BALANCE");
            return null;
        }
        if (method == PaymentMethod.PROVIDER) {
            body.require(PROVIDER_ID, "required with method PROVIDER");
        }
        return body.has(PROVIDER_ID) ? body.providerId(PROVIDER_ID) : null;
    }

    /** The partner owning {@code paymentId}, wherever the payment lives; 404 when the caller may not see it. */
    private String partnerOf(final String paymentId, final Context ctx) {
        return owners.find(payments, paymentId, paymentPath(paymentId), ctx,
                payment -> Optional.of(payment.getPartnerId()),
                json -> Optional.of(json.path(PARTNER_ID)).filter(JsonNode::isTextual).map(JsonNode::textValue),
                () -> NotFoundException.payment(paymentId), "payment");
    }
}
