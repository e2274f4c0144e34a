package io.bursar.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.CaptureHold;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.Debit;
import io.bursar.schemas.payments.HoldFunds;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.ReleaseHold;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Handlers of the partner-balance command routes: validate, then publish a command. Nothing else. */
final class PartnerBalanceHandlers {

    static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    private static final Set<String> MONEY_FIELDS = Set.of("amountMinor", "currency");
    private static final Set<String> HOLD_FIELDS = Set.of("holdId", "amountMinor", "currency", "ttlMs");

    private final ObjectMapper mapper;
    private final CommandPublisher publisher;
    private final Duration publishTimeout;
    private final long holdTtlMsMax;
    private final Clock clock;

    PartnerBalanceHandlers(final ObjectMapper mapper, final CommandPublisher publisher,
                           final Gateway.Settings settings,
                           final Clock clock) {
        this.mapper = mapper;
        this.publisher = publisher;
        this.publishTimeout = settings.publishTimeout();
        this.holdTtlMsMax = settings.holdTtlMsMax();
        this.clock = clock;
    }

    void credit(final Context ctx) throws Exception {
        final RequestBody body = RequestBody.parse(mapper, ctx.body(), MONEY_FIELDS);
        final Money amount = money(body);
        body.validate();
        publish(ctx, new Credit(amount));
    }

    void debit(final Context ctx) throws Exception {
        final RequestBody body = RequestBody.parse(mapper, ctx.body(), MONEY_FIELDS);
        final Money amount = money(body);
        body.validate();
        publish(ctx, new Debit(amount));
    }

    void hold(final Context ctx) throws Exception {
        final RequestBody body = RequestBody.parse(mapper, ctx.body(), HOLD_FIELDS);
        final String holdId = body.id("holdId");
        final Money amount = money(body);
        final long ttlMs = body.durationMs("ttlMs", holdTtlMsMax);
        body.validate();
        publish(ctx, new HoldFunds(holdId, amount, ttlMs));
    }

    void capture(final Context ctx) throws Exception {
        final String holdId = RequestBody.requireId("holdId", ctx.pathParam("holdId"));
        final RequestBody body = RequestBody.parse(mapper, ctx.body(), MONEY_FIELDS);
        final Money amount = money(body);
        body.validate();
        publish(ctx, new CaptureHold(holdId, amount));
    }

    void release(final Context ctx) throws Exception {
        final String holdId = RequestBody.requireId("holdId", ctx.pathParam("holdId"));
        RequestBody.parse(mapper, ctx.body(), Set.of()).validate();
        publish(ctx, new ReleaseHold(holdId));
    }

    private static Money money(final RequestBody body) {
        final long amountMinor = body.amountMinor("amountMinor");
        final String currency = body.currency("currency");
        return new Money(amountMinor, currency);
    }

    private void publish(final Context ctx, final Object payload) throws InterruptedException {
        final String partnerId = RequestBody.requireId("partnerId", ctx.pathParam("partnerId"));
        final String key = ctx.header(IDEMPOTENCY_KEY);
        final String commandId = key == null ? UUID.randomUUID().toString() : RequestBody.requireId(IDEMPOTENCY_KEY, key);
        final PaymentCommand command = PaymentCommand.newBuilder()
                .setCommandId(commandId).setPartnerId(partnerId).setIssuedAt(clock.instant()).setPayload(payload)
                .build();
        try {
            // 202 means durably on the command topic: wait for the broker's acknowledgement, bounded.
            publisher.publish(command).get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final ExecutionException | TimeoutException e) {
            throw new UnavailableException("command not accepted by Kafka: " + e);
        }
        ctx.status(HttpStatus.ACCEPTED).json(new CommandAccepted(commandId,
                Map.of("status", "/v1/commands/" + commandId, "balance", "/v1/partners/" + partnerId + "/balance")));
    }
}
