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
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Handlers of the payment command routes: validate, then publish a {@link RequestPayment} or a
 * {@link RefundPayment} (or an admin's {@link RetryPayment}) keyed by the payment's partner. Whether a payment may be refunded is the stream
 * processor's decision. The routes under {@code /v1/partners/{partnerId}/payments} publish at once; those under
 * {@code /v1/payments/{paymentId}} first find whose payment it is.
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

    /** Where payment {@code paymentId} of {@code partnerId} is refunded in one hop. */
    static String refundPath(final String partnerId, final String paymentId) {
        return "/v1/partners/" + partnerId + PAYMENTS_PATH.substring("/v1".length()) + "/" + paymentId + "/refund";
    }

    void request(final Context ctx) {
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
        CommandSubmitter.answerAccepted(ctx, commands.submit(commandId, partnerId,
                new RequestPayment(RequestPaymentKind.REQUEST_PAYMENT, id, amount, method, providerId, orderId, null)),
                PaymentAccepted.of(commandId, partnerId, id));
    }

    /** A refund of a payment found by id alone: its partner is looked up first (a read, maybe on a peer). */
    void refund(final Context ctx) {
        final String paymentId = RequestBody.requireId("paymentId", ctx.pathParam("paymentId"));
        RequestBody.parse(mapper, ctx.body(), Set.of()).validate();
        submitToOwner(ctx, paymentId, new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, paymentId, null));
    }

    /**
     * A refund of a payment of the partner in the path: published at once, keyed by that partner (AccessControl has
     * checked the caller may act for it). A payment the partner does not have is rejected PAYMENT_NOT_FOUND.
     */
    void refundOfPartner(final Context ctx) {
        final String partnerId = RequestBody.requireId(PARTNER_ID, ctx.pathParam(PARTNER_ID));
        final String paymentId = RequestBody.requireId("paymentId", ctx.pathParam("paymentId"));
        RequestBody.parse(mapper, ctx.body(), Set.of()).validate();
        submit(ctx, CommandSubmitter.commandId(ctx), partnerId, paymentId,
                new RefundPayment(RefundPaymentKind.REFUND_PAYMENT, paymentId, null));
    }

    /**
     * An admin's retry of a DEAD_LETTERED provider payment (the provider is back): a {@link RetryPayment} that puts it
     * back in the provider's queue. Whether it may be retried is the stream processor's decision (a payment in any
     * other state is rejected PAYMENT_NOT_RETRYABLE). By id alone, the partner is looked up first.
     */
    void retry(final Context ctx) {
        requireAdmin(ctx);
        final String paymentId = RequestBody.requireId("paymentId", ctx.pathParam("paymentId"));
        RequestBody.parse(mapper, ctx.body(), Set.of()).validate();
        submitToOwner(ctx, paymentId, new RetryPayment(RetryPaymentKind.RETRY_PAYMENT, paymentId));
    }

    /** {@link #retry}, for a payment of the partner in the path: published at once. */
    void retryOfPartner(final Context ctx) {
        requireAdmin(ctx);
        final String partnerId = RequestBody.requireId(PARTNER_ID, ctx.pathParam(PARTNER_ID));
        final String paymentId = RequestBody.requireId("paymentId", ctx.pathParam("paymentId"));
        RequestBody.parse(mapper, ctx.body(), Set.of()).validate();
        submit(ctx, CommandSubmitter.commandId(ctx), partnerId, paymentId,
                new RetryPayment(RetryPaymentKind.RETRY_PAYMENT, paymentId));
    }

    private static void requireAdmin(final Context ctx) {
        // Only the operator who can see the provider's state decides that a charge may be tried again.
        if (!Caller.of(ctx).isAdmin()) {
            throw new ForbiddenException("payments are retried with an admin key");
        }
    }

    private void submit(final Context ctx, final String commandId, final String partnerId, final String paymentId,
                        final Object payload) {
        CommandSubmitter.answerAccepted(ctx, commands.submit(commandId, partnerId, payload),
                PaymentAccepted.of(commandId, partnerId, paymentId));
    }

    /**
     * Publishes {@code payload} to the partner of payment {@code paymentId}, once that partner is found (a read, maybe
     * on a peer; no request thread waits for it); 404 when the caller may not act for it.
     */
    private void submitToOwner(final Context ctx, final String paymentId, final Object payload) {
        final String commandId = CommandSubmitter.commandId(ctx);
        final Caller caller = Caller.of(ctx);
        final CompletableFuture<String> partner = partnerOf(paymentId, ctx);
        ctx.future(() -> partner.thenCompose(partnerId -> {
            if (!caller.mayAccessPartner(partnerId)) {
                throw NotFoundException.payment(paymentId);
            }
            return CommandSubmitter.accepted(ctx, commands.submit(commandId, partnerId, payload),
                    PaymentAccepted.of(commandId, partnerId, paymentId));
        }));
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
    private CompletableFuture<String> partnerOf(final String paymentId, final Context ctx) {
        return owners.find(payments, paymentId, paymentPath(paymentId), ctx,
                payment -> Optional.of(payment.getPartnerId()),
                json -> Optional.of(json.path(PARTNER_ID)).filter(JsonNode::isTextual).map(JsonNode::textValue),
                () -> NotFoundException.payment(paymentId), "payment");
    }
}
