package io.bursar.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.ApplyBatch;
import io.bursar.schemas.payments.ApplyBatchKind;
import io.bursar.schemas.payments.BalanceOperation;
import io.bursar.schemas.payments.BalanceOperationType;
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
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Handlers of the partner-balance command routes: validate, then publish a command. Nothing else. */
final class PartnerBalanceHandlers {

    private static final Set<String> MONEY_FIELDS = Set.of("amountMinor", "currency");
    private static final Set<String> HOLD_FIELDS = Set.of("holdId", "amountMinor", "currency", "ttlMs");
    private static final Set<String> BATCH_FIELDS = Set.of("atomic", "operations");
    private static final Set<String> OPERATION_FIELDS = Set.of("type", "holdId", "amountMinor", "currency", "ttlMs");
    /**
     * Most operations one request may carry: the largest {@code payments.batch.operations.max} allows. The
     * processor rejects a batch above its configured limit BATCH_TOO_LARGE; {@code http.max.request.bytes}
     * bounds a request first.
     */
    static final int BATCH_OPERATIONS_MAX = 10_000;

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

    /**
     * Many operations in one command: {@code {"atomic": false, "operations": [{"type": "CREDIT", "amountMinor":
     * 100, "currency": "EUR"}, ...]}}, each operation with the fields of the route of the same name.
     */
    void batch(final Context ctx) throws Exception {
        final RequestBody body = RequestBody.parse(mapper, ctx.body(), BATCH_FIELDS);
        final boolean atomic = body.flag("atomic", false);
        final List<BalanceOperation> operations = new ArrayList<>();
        for (final RequestBody entry : body.objects("operations", OPERATION_FIELDS, BATCH_OPERATIONS_MAX)) {
            operations.add(operation(entry));
        }
        body.validate();
        publish(ctx, new ApplyBatch(ApplyBatchKind.APPLY_BATCH, atomic, operations));
    }

    private BalanceOperation operation(final RequestBody entry) {
        final BalanceOperationType type = entry.oneOf("type", EnumSet.allOf(BalanceOperationType.class));
        if (type == null) {
            return null;
        }
        final boolean moves = type != BalanceOperationType.RELEASE_HOLD;
        final boolean namesHold = type == BalanceOperationType.HOLD_FUNDS || type == BalanceOperationType.CAPTURE_HOLD
                || type == BalanceOperationType.RELEASE_HOLD;
        final Money amount = moves ? money(entry) : null;
        final String holdId = namesHold ? entry.id("holdId") : null;
        final Long ttlMs = type == BalanceOperationType.HOLD_FUNDS ? entry.durationMs("ttlMs", holdTtlMsMax) : null;
        for (final String field : List.of("amountMinor", "currency", "holdId", "ttlMs")) {
            final boolean used = field.equals("holdId") ? namesHold : field.equals("ttlMs")
                    ? type == BalanceOperationType.HOLD_FUNDS : moves;
            if (!used && entry.has(field)) {
                entry.unexpected(field, "not used by " + type);
            }
        }
        return new BalanceOperation(type, amount, holdId, ttlMs);
    }

    private static Money money(final RequestBody body) {
        final long amountMinor = body.amountMinor("amountMinor");
        final String currency = body.currency("currency");
        return new Money(amountMinor, currency);
    }

    private void publish(final Context ctx, final Object payload) {
        final String partnerId = RequestBody.requireId("partnerId", ctx.pathParam("partnerId"));
        final String commandId = CommandSubmitter.commandId(ctx);
        CommandSubmitter.answerAccepted(ctx, commands.submit(commandId, partnerId, payload), new CommandAccepted(commandId,
                Map.of("status", "/v1/commands/" + commandId, "balance", "/v1/partners/" + partnerId + "/balance")));
    }
}
