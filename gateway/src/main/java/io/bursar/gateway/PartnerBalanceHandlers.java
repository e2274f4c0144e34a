package io.bursar.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.CaptureHold;
import io.bursar.schemas.payments.CaptureHoldKind;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.CreditKind;
import io.bursar.schemas.payments.Debit;
import io.bursar.schemas.payments.DebitKind;
import io.bursar.schemas.payments.HoldFunds;
import io.bursar.schemas.payments.HoldFundsKind;
import io.bursar.schemas.payments.ReleaseHold;
import io.bursar.schemas.payments.ReleaseHoldKind;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.Map;
import java.util.Set;

/** Handlers of the partner-balance command routes: validate, then publish a command. Nothing else. */
final class PartnerBalanceHandlers {

    private static final Set<String> MONEY_FIELDS = Set.of("amountMinor", "currency");
    private static final Set<String> HOLD_FIELDS = Set.of("holdId", "amountMinor", "currency", "ttlMs");

    private final ObjectMapper mapper;
    private final CommandSubmitter commands;
    private final long holdTtlMsMax;

    PartnerBalanceHandlers(final ObjectMapper mapper, final CommandSubmitter commands, final long holdTtlMsMax) {
        this.mapper = mapper;
        this.commands = commands;
        this.holdTtlMsMax = holdTtlMsMax;
    }

    void credit(final Context ctx) throws Exception {
        final RequestBody body = RequestBody.parse(mapper, ctx.body(), MONEY_FIELDS);
        final Money amount = money(body);
        body.validate();
        publish(ctx, new Credit(CreditKind.CREDIT, amount));
    }

    void debit(final Context ctx) throws Exception {
        final RequestBody body = RequestBody.parse(mapper, ctx.body(), MONEY_FIELDS);
        final Money amount = money(body);
        body.validate();
        publish(ctx, new Debit(DebitKind.DEBIT, amount));
    }

    void hold(final Context ctx) throws Exception {
        final RequestBody body = RequestBody.parse(mapper, ctx.body(), HOLD_FIELDS);
        final String holdId = body.id("holdId");
        final Money amount = money(body);
        final long ttlMs = body.durationMs("ttlMs", holdTtlMsMax);
        body.validate();
        publish(ctx, new HoldFunds(HoldFundsKind.HOLD_FUNDS, holdId, amount, ttlMs));
    }

    void capture(final Context ctx) throws Exception {
        final String holdId = RequestBody.requireId("holdId", ctx.pathParam("holdId"));
        final RequestBody body = RequestBody.parse(mapper, ctx.body(), MONEY_FIELDS);
        final Money amount = money(body);
        body.validate();
        publish(ctx, new CaptureHold(CaptureHoldKind.CAPTURE_HOLD, holdId, amount));
    }

    void release(final Context ctx) throws Exception {
        final String holdId = RequestBody.requireId("holdId", ctx.pathParam("holdId"));
        RequestBody.parse(mapper, ctx.body(), Set.of()).validate();
        publish(ctx, new ReleaseHold(ReleaseHoldKind.RELEASE_HOLD, holdId));
    }

    private static Money money(final RequestBody body) {
        final long amountMinor = body.amountMinor("amountMinor");
        final String currency = body.currency("currency");
        return new Money(amountMinor, currency);
    }

    private void publish(final Context ctx, final Object payload) throws InterruptedException {
        final String partnerId = RequestBody.requireId("partnerId", ctx.pathParam("partnerId"));
        final String commandId = CommandSubmitter.commandId(ctx);
        commands.submit(commandId, partnerId, payload);
        ctx.status(HttpStatus.ACCEPTED).json(new CommandAccepted(commandId,
                Map.of("status", "/v1/commands/" + commandId, "balance", "/v1/partners/" + partnerId + "/balance")));
    }
}
