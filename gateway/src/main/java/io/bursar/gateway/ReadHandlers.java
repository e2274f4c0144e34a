package io.bursar.gateway;

import io.bursar.queries.OwnerRouter;
import io.bursar.queries.PeerForwarder;
import io.bursar.queries.RoutedRead;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentEvent;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Handlers of the read routes: each read is answered by the instance that owns its key (see
 * {@link io.bursar.queries.OwnerRouter}); this class only maps the outcome to HTTP.
 */
final class ReadHandlers {

    static final String WAIT_PARAM = "waitMs";
    private static final List<String> CREDENTIAL_HEADERS = List.of("Authorization", "X-Api-Key");

    private final RoutedRead<PartnerBalance> balances;
    private final RoutedRead<PaymentEvent> outcomes;
    private final RoutedRead<Payment> payments;
    private final Duration longPollMax;

    ReadHandlers(final RoutedRead<PartnerBalance> balances, final RoutedRead<PaymentEvent> outcomes,
                 final RoutedRead<Payment> payments, final Duration longPollMax) {
        this.balances = balances;
        this.outcomes = outcomes;
        this.payments = payments;
        this.longPollMax = longPollMax;
    }

    void balance(final Context ctx) {
        final String partnerId = RequestBody.requireId("partnerId", ctx.pathParam("partnerId"));
        answer(ctx, balances.read(partnerId, request(ctx), Duration.ZERO), BalanceView::of, balance -> true,
                () -> NotFoundException.partner(partnerId));
    }

    void command(final Context ctx) {
        final String commandId = RequestBody.requireId("commandId", ctx.pathParam("commandId"));
        final Duration wait = waitOf(ctx);
        final Caller caller = Caller.of(ctx);
        // Another partner's command answers exactly like an unknown one.
        answer(ctx, outcomes.read(commandId, request(ctx), wait), CommandOutcomeView::of,
                event -> caller.mayAccessPartner(event.getPartnerId()),
                () -> new NotFoundException("command " + commandId + " not found"));
    }

    void payment(final Context ctx) {
        final String paymentId = RequestBody.requireId("paymentId", ctx.pathParam("paymentId"));
        final Duration wait = waitOf(ctx);
        final Caller caller = Caller.of(ctx);
        // The read waits until the payment is in a final state (the router's condition), then answers at once.
        answer(ctx, payments.read(paymentId, request(ctx), wait), PaymentView::of,
                payment -> caller.mayAccessPartner(payment.getPartnerId()), () -> NotFoundException.payment(paymentId));
    }

    private Duration waitOf(final Context ctx) {
        final String raw = ctx.queryParam(WAIT_PARAM);
        if (raw == null) {
            return Duration.ZERO;
        }
        try {
            final long waitMs = Long.parseLong(raw);
            if (waitMs >= 0 && waitMs <= longPollMax.toMillis()) {
                return Duration.ofMillis(waitMs);
            }
        } catch (final NumberFormatException e) {
            // Reported below with the accepted range.
        }
        throw new InvalidRequestException(List.of(new FieldError(WAIT_PARAM,
                "must be an integer from 0 to " + longPollMax.toMillis())));
    }

    private static <V> void answer(final Context ctx, final OwnerRouter.Outcome<V> outcome,
                                   final Function<V, Object> view, final Predicate<V> visible,
                                   final Supplier<NotFoundException> notFound) {
        if (outcome instanceof OwnerRouter.Outcome.Local<V> local) {
            if (!visible.test(local.value())) {
                throw notFound.get();
            }
            if (local.standbyLag() != null) {
                ctx.header(PeerForwarder.STANDBY_LAG_HEADER, Long.toString(local.standbyLag()));
            }
            ctx.json(view.apply(local.value()));
        } else if (outcome instanceof OwnerRouter.Outcome.NotFound<V>) {
            throw notFound.get();
        } else if (outcome instanceof OwnerRouter.Outcome.Relayed<V> relayed) {
            relayed.answer().headers().forEach(ctx::header);
            ctx.status(relayed.answer().status()).contentType("application/json").result(relayed.answer().body());
        } else if (outcome instanceof OwnerRouter.Outcome.Unavailable<V> unavailable) {
            throw new UnavailableException(unavailable.reason());
        }
    }

    private static OwnerRouter.Request request(final Context ctx) {
        final String query = ctx.queryString();
        return new OwnerRouter.Request(ctx.path() + (query == null || query.isEmpty() ? "" : "?" + query),
                credentials(ctx), ctx.header(PeerForwarder.FORWARDED_HEADER) != null,
                ctx.header(PeerForwarder.STANDBY_HEADER) != null);
    }

    /** The caller's credential headers, which a peer answering a forwarded read checks again. */
    static Map<String, String> credentials(final Context ctx) {
        final Map<String, String> pass = new HashMap<>();
        for (final String name : CREDENTIAL_HEADERS) {
            final String value = ctx.header(name);
            if (value != null) {
                pass.put(name, value);
            }
        }
        return pass;
    }
}
