package io.bursar.app.verify;

import io.bursar.schemas.OrderStatuses;
import io.bursar.schemas.PaymentStatuses;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.dispatch.ProviderCallOutcome;
import io.bursar.schemas.dispatch.ProviderCallResult;
import io.bursar.schemas.orders.Item;
import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderCommand;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.orders.OrderRejectionReason;
import io.bursar.schemas.payments.ApplyBatch;
import io.bursar.schemas.payments.BalanceOperation;
import io.bursar.schemas.payments.BalanceSnapshot;
import io.bursar.schemas.payments.CurrencyAccount;
import io.bursar.schemas.payments.FundsHold;
import io.bursar.schemas.payments.HoldFunds;
import io.bursar.schemas.payments.OperationResult;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentMethod;
import io.bursar.schemas.payments.PaymentStatus;
import io.bursar.schemas.payments.RejectionReason;
import io.bursar.topology.payments.PartnerProcessor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The invariants of the design checked from what the topics hold: fed every record of the command, event,
 * provider-result and dead-letter topics and the last value of every key of the state stores' changelogs,
 * it re-derives balances, holds, stock and provider call rates on its own and reports each break as a
 * {@link Violation} that names the record where it shows.
 *
 * <p>Records are fed topic by topic: commands first (so batches and hold lifetimes are known when their
 * results arrive), then events, dead letters and provider results, then the stores. Within a partition,
 * records arrive in offset order, which is all the derivation relies on: every record about one partner's
 * balance and holds is on that partner's partition.
 */
public final class Audit {

    /** Where a record is. */
    public record Position(String topic, int partition, long offset) {
        @Override
        public String toString() {
            return topic + "/" + partition + "@" + offset;
        }
    }

    /** One break of an invariant, with the record that shows it. */
    public record Violation(String check, String detail, Position at) {
    }

    /** The checks, each named after the invariant it guards. */
    public enum Check {
        ONE_RESULT_PER_COMMAND("exactly one result (duplicate = false) per command id"),
        COMMAND_WITHOUT_RESULT("every command the application has consumed has a result or a dead letter"),
        MISROUTED_COMMAND_APPLIED("a command on the wrong partition is rejected WRONG_PARTITION, never applied"),
        NEGATIVE_BALANCE("available and held are never negative"),
        BALANCE_MISMATCH("each stored balance equals the one re-derived from the events"),
        HOLDS_MISMATCH("the stored funds holds are exactly the holds the events left open"),
        HOLD_NOT_ENDED("every hold ends by its deadline plus the grace"),
        HOLD_ENDED_LATE("an expired hold ends within the grace after its deadline"),
        STOCK_IDENTITY("available + held + sold = stocked, none negative, for every item"),
        ITEM_MISMATCH("each stored item equals its last state in the events"),
        PAYMENT_MISMATCH("each stored payment has the status of its last event"),
        PAYMENT_NOT_TERMINAL("every payment is in a final state (with --drained)"),
        ORDER_NOT_TERMINAL("every order is in a final state (with --drained)"),
        PROVIDER_RATE("calls started per provider in any one second never exceed its rate");

        private final String description;

        Check(final String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    /**
     * What the audit is told besides the records.
     *
     * @param nowMs          the audit's clock, for hold deadlines
     * @param holdGraceMs    how long after its deadline a hold may still be open or be expired
     * @param drained        the load has stopped and the pipeline drained: every payment and order must be final
     * @param providerRates  calls per second allowed per provider id; providers not named are not rate-checked
     */
    public record Settings(long nowMs, long holdGraceMs, boolean drained, Map<String, Integer> providerRates) {
        public Settings {
            providerRates = Map.copyOf(providerRates);
        }
    }

    private static final int KEPT_PER_CHECK = 20;

    private final Settings settings;
    private final Map<Check, Long> violationCounts = new TreeMap<>();
    private final List<Violation> violations = new ArrayList<>();
    private final List<String> notices = new ArrayList<>();
    private final Map<String, Long> counts = new TreeMap<>();

    // Commands, by command id, of the part of each command topic the application has consumed.
    private final Map<String, CommandSeen> paymentCommands = new HashMap<>();
    private final Map<String, CommandSeen> orderCommands = new HashMap<>();
    private final List<Position> unreadableCommands = new ArrayList<>();
    private final Set<Position> deadLetterOrigins = new HashSet<>();
    private final Map<String, List<BalanceOperation>> batchOperations = new HashMap<>();
    private final Map<String, Long> holdTtls = new HashMap<>();

    // Results, by command id.
    private final Map<String, ResultsSeen> paymentResults = new HashMap<>();
    private final Map<String, ResultsSeen> orderResults = new HashMap<>();

    // What the events say, re-derived.
    private final Map<String, Map<String, long[]>> balances = new HashMap<>();
    private final Map<String, HoldSeen> openHolds = new HashMap<>();
    private final Set<String> underivablePartners = new HashSet<>();
    private final Map<String, PaymentSeen> payments = new HashMap<>();
    private final Map<String, OrderSeen> orders = new HashMap<>();
    private final Map<String, List<Item>> latestItems = new HashMap<>();
    private final Map<String, Map<String, List<Long>>> providerCallStarts = new HashMap<>();
    private long holdLatenessMaxMs;

    // The stores, last value per key.
    private final Map<String, Stored<PartnerBalance>> storedBalances = new HashMap<>();
    private final Map<String, Stored<FundsHold>> storedHolds = new HashMap<>();
    private final Map<String, Stored<Item>> storedItems = new HashMap<>();
    private final Map<String, Stored<Payment>> storedPayments = new HashMap<>();

    private static final class CommandSeen {
        int count;
        int misrouted;
        final Position first;

        CommandSeen(final Position first) {
            this.first = first;
        }
    }

    private static final class ResultsSeen {
        int all;
        int firsts;
        int wrongPartition;
        Position first;
    }

    private record HoldSeen(String partnerId, String currency, long amountMinor, long expiresAtMs, Position at) {
    }

    private record PaymentSeen(PaymentStatus status, Position at) {
    }

    private record OrderSeen(Order order, Position at) {
    }

    private record Stored<T>(T value, Position at) {
    }

    public Audit(final Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    // ---- commands -------------------------------------------------------------------------------------

    /**
     * A payment command. {@code consumed}: below the application's committed offset, so it must have a result;
     * {@code misrouted}: on a partition its key does not map to.
     */
    public void paymentCommand(final Position at, final PaymentCommand command, final boolean consumed,
                               final boolean misrouted) {
        count("payment commands read");
        final Object payload = command.getPayload();
        if (payload instanceof ApplyBatch batch) {
            batchOperations.put(command.getCommandId(), List.copyOf(batch.getOperations()));
        } else if (payload instanceof HoldFunds hold) {
            holdTtls.put(command.getCommandId(), hold.getTtlMs());
        }
        if (consumed) {
            remember(paymentCommands, command.getCommandId(), at, misrouted);
        }
    }

    /** An order command; as {@link #paymentCommand}. */
    public void orderCommand(final Position at, final OrderCommand command, final boolean consumed,
                             final boolean misrouted) {
        count("order commands read");
        if (consumed) {
            remember(orderCommands, command.getCommandId(), at, misrouted);
        }
    }

    /** A command record that cannot be read: it must be on a dead-letter topic when consumed. */
    public void unreadableCommand(final Position at, final boolean consumed) {
        count("unreadable commands");
        if (consumed) {
            unreadableCommands.add(at);
        }
    }

    /** How many records the audit was fed in all, for its report. */
    public void recordsRead(final long records) {
        counts.put("records read", records);
    }

    /** A tick of the processors' clock on a command topic: no command, nothing to answer. */
    public void tick() {
        count("clock ticks");
    }

    /**
     * An event of an earlier generation of the commands application: the current one processed its command again and
     * emitted its own, which is audited instead.
     */
    public void earlierGeneration() {
        count("events of earlier generations (superseded)");
    }

    /** An output record that cannot be read: nothing is derived from it, so the audit says it is incomplete. */
    public void unreadableRecord(final Position at) {
        count("unreadable output records");
        notice("unreadable record at " + at + ": not audited");
    }

    /** A dead letter whose headers name its origin record. */
    public void deadLetter(final Position at, final Position origin) {
        count("dead letters");
        if (origin != null) {
            deadLetterOrigins.add(origin);
        }
    }

    private void remember(final Map<String, CommandSeen> seen, final String commandId, final Position at,
                          final boolean misrouted) {
        final CommandSeen command = seen.computeIfAbsent(commandId, id -> new CommandSeen(at));
        command.count++;
        if (misrouted) {
            command.misrouted++;
        }
    }

    // ---- events ---------------------------------------------------------------------------------------

    /** A record of payment-events. */
    public void paymentEvent(final Position at, final PaymentEvent event) {
        count("payment events");
        final boolean wrongPartition = event.getReason() == RejectionReason.WRONG_PARTITION;
        result(paymentResults, event.getCommandId(), event.getDuplicate(), wrongPartition, at);
        checkSnapshot(event.getPartnerId(), event.getBalanceAfter(), at);
        if (event.getBatch() != null) {
            event.getBatch().getBalancesAfter().forEach(snapshot -> checkSnapshot(event.getPartnerId(), snapshot, at));
        }
        if (event.getDuplicate()) {
            return;
        }
        if (event.getPayment() != null) {
            final Payment payment = event.getPayment();
            payments.put(PartnerProcessor.partnerScopedKey(payment.getPartnerId(), payment.getPaymentId()),
                    new PaymentSeen(payment.getStatus(), at));
        }
        try {
            derive(event, at);
        } catch (final ArithmeticException e) {
            underivablePartners.add(event.getPartnerId());
            violation(Check.BALANCE_MISMATCH, "balance of " + event.getPartnerId() + " overflows a long when re-derived",
                    at);
        }
    }

    private void derive(final PaymentEvent event, final Position at) {
        final String partner = event.getPartnerId();
        final long processedAtMs = event.getProcessedAt().toEpochMilli();
        if (event.getBatch() != null) {
            deriveBatch(event, at, processedAtMs);
            return;
        }
        if (event.getOutcome() != Outcome.ACCEPTED) {
            return;
        }
        final Money amount = event.getAmount();
        switch (event.getType()) {
            case CREDIT -> move(partner, amount, amount.getAmountMinor(), 0);
            case DEBIT -> move(partner, amount, -amount.getAmountMinor(), 0);
            case HOLD_FUNDS -> hold(partner, event.getHoldId(), amount, holdTtls.get(event.getCommandId()),
                    processedAtMs, at);
            case CAPTURE_HOLD -> capture(partner, event.getHoldId(), amount, at);
            case RELEASE_HOLD -> endHold(partner, event.getHoldId(), at);
            case HOLD_EXPIRED -> {
                count("holds expired");
                final HoldSeen hold = endHold(partner, event.getHoldId(), at);
                if (hold != null && hold.expiresAtMs() >= 0) {
                    final long lateMs = processedAtMs - hold.expiresAtMs();
                    holdLatenessMaxMs = Math.max(holdLatenessMaxMs, lateMs);
                    if (lateMs > settings.holdGraceMs()) {
                        violation(Check.HOLD_ENDED_LATE, "hold " + partner + "/" + event.getHoldId() + " expired "
                                + lateMs + " ms after its deadline", at);
                    }
                }
            }
            case REQUEST_PAYMENT -> {
                if (event.getPayment() != null && event.getPayment().getMethod() == PaymentMethod.BALANCE) {
                    move(partner, amount, -amount.getAmountMinor(), 0);
                }
            }
            case REFUND_PAYMENT -> {
                if (event.getPayment() == null) {
                    return;
                }
                if (event.getPayment().getMethod() == PaymentMethod.BALANCE) {
                    move(partner, amount, amount.getAmountMinor(), 0);
                } else {
                    move(partner, amount, -amount.getAmountMinor(), amount.getAmountMinor());
                }
            }
            case PAYMENT_UPDATED -> providerAnswer(event);
            default -> {
            }
        }
    }

    /** A provider's answer applied to a payment: the commandId says which call it answers. */
    private void providerAnswer(final PaymentEvent event) {
        final Payment payment = event.getPayment();
        if (payment == null) {
            return;
        }
        final boolean refund = event.getCommandId().startsWith("provider:refund:");
        // A refund's answer carries the refund's amount, which may be part of the payment; the command id ends
        // with the call's outcome, since a partly refunded payment stays SUCCEEDED.
        final Money amount = refund && event.getAmount() != null ? event.getAmount() : payment.getAmount();
        final long minor = amount.getAmountMinor();
        if (!refund && payment.getStatus() == PaymentStatus.SUCCEEDED) {
            move(payment.getPartnerId(), amount, minor, 0);
        } else if (refund && event.getCommandId().endsWith(":" + ProviderCallOutcome.SUCCEEDED)) {
            move(payment.getPartnerId(), amount, 0, -minor);
        } else if (refund && (event.getCommandId().endsWith(":" + ProviderCallOutcome.FAILED)
                || event.getCommandId().endsWith(":" + ProviderCallOutcome.DEAD_LETTERED))) {
            move(payment.getPartnerId(), amount, minor, -minor);
        }
    }

    private void deriveBatch(final PaymentEvent event, final Position at, final long processedAtMs) {
        final String partner = event.getPartnerId();
        final List<BalanceOperation> operations = batchOperations.get(event.getCommandId());
        final List<OperationResult> results = event.getBatch().getOperations();
        if (operations == null || operations.size() != results.size()) {
            if (event.getBatch().getApplied() > 0) {
                underivablePartners.add(partner);
                notice("batch " + event.getCommandId() + " at " + at + ": its command is not on the command topic "
                        + "(retention?), so " + partner + "'s balance is not re-derived");
            }
            return;
        }
        for (int i = 0; i < results.size(); i++) {
            if (results.get(i).getOutcome() != Outcome.ACCEPTED) {
                continue;
            }
            final BalanceOperation operation = operations.get(i);
            final Money amount = operation.getAmount();
            switch (operation.getType()) {
                case CREDIT -> move(partner, amount, amount.getAmountMinor(), 0);
                case DEBIT -> move(partner, amount, -amount.getAmountMinor(), 0);
                case HOLD_FUNDS -> hold(partner, operation.getHoldId(), amount, operation.getTtlMs(), processedAtMs, at);
                case CAPTURE_HOLD -> capture(partner, operation.getHoldId(), amount, at);
                case RELEASE_HOLD -> endHold(partner, operation.getHoldId(), at);
                default -> {
                }
            }
        }
    }

    private void hold(final String partner, final String holdId, final Money amount, final Long ttlMs,
                      final long processedAtMs, final Position at) {
        move(partner, amount, -amount.getAmountMinor(), amount.getAmountMinor());
        final long expiresAtMs = ttlMs == null ? -1 : processedAtMs + ttlMs;
        openHolds.put(PartnerProcessor.partnerScopedKey(partner, holdId),
                new HoldSeen(partner, amount.getCurrency(), amount.getAmountMinor(), expiresAtMs, at));
    }

    private void capture(final String partner, final String holdId, final Money captured, final Position at) {
        final HoldSeen hold = openHolds.remove(PartnerProcessor.partnerScopedKey(partner, holdId));
        if (hold == null) {
            unknownHold(partner, holdId, at);
            return;
        }
        move(partner, captured, hold.amountMinor() - captured.getAmountMinor(), -hold.amountMinor());
    }

    private HoldSeen endHold(final String partner, final String holdId, final Position at) {
        final HoldSeen hold = openHolds.remove(PartnerProcessor.partnerScopedKey(partner, holdId));
        if (hold == null) {
            unknownHold(partner, holdId, at);
            return null;
        }
        move(partner, new Money(hold.amountMinor(), hold.currency()), hold.amountMinor(), -hold.amountMinor());
        return hold;
    }

    private void unknownHold(final String partner, final String holdId, final Position at) {
        underivablePartners.add(partner);
        notice("hold " + partner + "/" + holdId + " ended at " + at + " was never seen held (retention?), so "
                + partner + "'s balance is not re-derived");
    }

    private void move(final String partner, final Money amount, final long availableDelta, final long heldDelta) {
        final long[] account = balances.computeIfAbsent(partner, p -> new HashMap<>())
                .computeIfAbsent(amount.getCurrency(), c -> new long[2]);
        account[0] = Math.addExact(account[0], availableDelta);
        account[1] = Math.addExact(account[1], heldDelta);
    }

    private void checkSnapshot(final String partner, final BalanceSnapshot snapshot, final Position at) {
        if (snapshot != null && (snapshot.getAvailableMinor() < 0 || snapshot.getHeldMinor() < 0)) {
            violation(Check.NEGATIVE_BALANCE, partner + " " + snapshot.getCurrency() + " available "
                    + snapshot.getAvailableMinor() + ", held " + snapshot.getHeldMinor(), at);
        }
    }

    /** A record of order-events. */
    public void orderEvent(final Position at, final OrderEvent event) {
        count("order events");
        final boolean wrongPartition = event.getReason() == OrderRejectionReason.WRONG_PARTITION;
        result(orderResults, event.getCommandId(), event.getDuplicate(), wrongPartition, at);
        for (final Item item : event.getItems()) {
            checkStock(item, at);
            final String key = item.getCategoryId() + "/" + item.getItemId();
            final List<Item> latest = latestItems.computeIfAbsent(key, k -> new ArrayList<>());
            final long newest = latest.isEmpty() ? Long.MIN_VALUE : latest.get(0).getUpdatedAt().toEpochMilli();
            final long updated = item.getUpdatedAt().toEpochMilli();
            if (updated > newest) {
                latest.clear();
            }
            if (updated >= newest) {
                latest.add(item);
            }
        }
        if (!event.getDuplicate() && event.getOrder() != null) {
            final Order order = event.getOrder();
            orders.put(order.getOrderId() + "#" + order.getBatch(), new OrderSeen(order, at));
        }
    }

    private void checkStock(final Item item, final Position at) {
        final long sum = item.getAvailable() + item.getHeld() + item.getSold();
        if (item.getAvailable() < 0 || item.getHeld() < 0 || item.getSold() < 0 || sum != item.getStocked()) {
            violation(Check.STOCK_IDENTITY, "item " + item.getCategoryId() + "/" + item.getItemId() + ": available "
                    + item.getAvailable() + " + held " + item.getHeld() + " + sold " + item.getSold() + " = " + sum
                    + ", stocked " + item.getStocked(), at);
        }
    }

    private void result(final Map<String, ResultsSeen> results, final String commandId, final boolean duplicate,
                        final boolean wrongPartition, final Position at) {
        final ResultsSeen seen = results.computeIfAbsent(commandId, id -> new ResultsSeen());
        seen.all++;
        if (duplicate) {
            return;
        }
        if (wrongPartition) {
            // Not remembered: the same command sent to the right partition later gets its one real result.
            seen.wrongPartition++;
            return;
        }
        seen.firsts++;
        if (seen.firsts == 1) {
            seen.first = at;
        } else {
            violation(Check.ONE_RESULT_PER_COMMAND, "command " + commandId + " has a second result with duplicate = "
                    + "false; the first is at " + seen.first, at);
        }
    }

    /** A record of provider-results. */
    public void providerResult(final Position at, final ProviderCallResult result) {
        count("provider results");
        final Map<String, List<Long>> calls = providerCallStarts.computeIfAbsent(result.getProviderId(),
                p -> new HashMap<>());
        final List<Long> starts = result.getCallsStartedAt().stream().map(instant -> instant.toEpochMilli()).toList();
        final boolean last = result.getOutcome() != ProviderCallOutcome.SUBMITTED;
        // The final outcome lists every start; SUBMITTED only the first, and stands in while a call is in flight.
        // An admin retry of a dead-lettered call keeps its key: its calls are counted beside the earlier life's.
        final String call = result.getIdempotencyKey() + (result.getRetry() > 0 ? "#retry" + result.getRetry() : "");
        if (last || !calls.containsKey(call)) {
            calls.put(call, starts);
        }
    }

    // ---- stores ---------------------------------------------------------------------------------------

    /** The last changelog value of a partner's balance (null: deleted). */
    public void storedBalance(final Position at, final String key, final PartnerBalance balance) {
        stored(storedBalances, key, balance, at);
    }

    /** The last changelog value of a funds hold (null: ended). */
    public void storedHold(final Position at, final String key, final FundsHold hold) {
        stored(storedHolds, key, hold, at);
    }

    /** The last changelog value of an item. */
    public void storedItem(final Position at, final String key, final Item item) {
        stored(storedItems, key, item, at);
    }

    /** The last changelog value of a payment. */
    public void storedPayment(final Position at, final String key, final Payment payment) {
        stored(storedPayments, key, payment, at);
    }

    private static <T> void stored(final Map<String, Stored<T>> into, final String key, final T value, final Position at) {
        if (value == null) {
            into.remove(key);
        } else {
            into.put(key, new Stored<>(value, at));
        }
    }

    // ---- the verdict ----------------------------------------------------------------------------------

    /**
     * Runs the checks that need every record.
     *
     * @param storesRead    the changelogs were read, so stored state can be compared
     * @param quiet         nothing was written to the topics while they were read; when false, differences
     *                      between stores and events are reported as notices (run again when quiet)
     */
    public AuditReport finish(final boolean storesRead, final boolean quiet) {
        commandsHaveResults(paymentCommands, paymentResults);
        commandsHaveResults(orderCommands, orderResults);
        for (final Position unreadable : unreadableCommands) {
            if (!deadLetterOrigins.contains(unreadable)) {
                violation(Check.COMMAND_WITHOUT_RESULT, "an unreadable command is not on the dead-letter topic", unreadable);
            }
        }
        openHoldsEnd();
        providerRates();
        if (settings.drained()) {
            payments.forEach((key, payment) -> {
                if (!PaymentStatuses.isTerminal(payment.status())) {
                    violation(Check.PAYMENT_NOT_TERMINAL, "payment " + key + " is " + payment.status(), payment.at());
                }
            });
            orders.forEach((key, order) -> {
                if (!OrderStatuses.isTerminal(order.order().getStatus())) {
                    violation(Check.ORDER_NOT_TERMINAL, "order " + key + " is " + order.order().getStatus(), order.at());
                }
            });
        }
        storedItems.forEach((key, item) -> checkStock(item.value(), item.at()));
        if (storesRead) {
            final List<Violation> storeBreaks = new ArrayList<>();
            compareStores(storeBreaks);
            for (final Violation found : storeBreaks) {
                if (quiet) {
                    violation(Check.valueOf(found.check()), found.detail(), found.at());
                } else {
                    notice("not settled (records arrived during the audit; run again when quiet): " + found.detail());
                }
            }
        }
        counts.put("partners re-derived", (long) balances.size() - underivablePartners.size());
        counts.put("holds open", (long) openHolds.size());
        counts.put("hold expiry lateness max ms", holdLatenessMaxMs);
        counts.put("payments", (long) payments.size());
        counts.put("payments not final", payments.values().stream()
                .filter(p -> !PaymentStatuses.isTerminal(p.status())).count());
        counts.put("orders", (long) orders.size());
        counts.put("orders not final", orders.values().stream()
                .filter(o -> !OrderStatuses.isTerminal(o.order().getStatus())).count());
        counts.put("provider calls", providerCallStarts.values().stream().mapToLong(calls -> calls.values().stream()
                .mapToLong(List::size).sum()).sum());
        return new AuditReport(counts, violationCounts, violations, notices);
    }

    private void commandsHaveResults(final Map<String, CommandSeen> commands, final Map<String, ResultsSeen> results) {
        commands.forEach((commandId, command) -> {
            final ResultsSeen seen = results.get(commandId);
            final int answered = seen == null ? 0 : seen.all;
            if (answered < command.count) {
                violation(Check.COMMAND_WITHOUT_RESULT, "command " + commandId + " sent " + command.count
                        + " time(s), answered " + answered + " time(s)", command.first);
            }
            final int refused = seen == null ? 0 : seen.wrongPartition;
            if (refused < command.misrouted) {
                violation(Check.MISROUTED_COMMAND_APPLIED, "command " + commandId + " arrived on a wrong partition "
                        + command.misrouted + " time(s) and was refused WRONG_PARTITION " + refused + " time(s)",
                        command.first);
            }
        });
    }

    private void openHoldsEnd() {
        openHolds.forEach((key, hold) -> {
            if (hold.expiresAtMs() >= 0 && hold.expiresAtMs() + settings.holdGraceMs() < settings.nowMs()) {
                violation(Check.HOLD_NOT_ENDED, "hold " + key + " is still open " + (settings.nowMs() - hold.expiresAtMs())
                        + " ms after its deadline", hold.at());
            }
        });
    }

    private void providerRates() {
        providerCallStarts.forEach((provider, calls) -> {
            final Integer rate = settings.providerRates().get(provider);
            if (rate == null) {
                notice("provider " + provider + ": rate not configured here, calls not rate-checked");
                return;
            }
            final long[] starts = calls.values().stream().flatMap(List::stream).mapToLong(Long::longValue).sorted().toArray();
            int first = 0;
            int worst = 0;
            long worstAt = 0;
            for (int last = 0; last < starts.length; last++) {
                while (starts[last] - starts[first] >= 1_000) {
                    first++;
                }
                if (last - first + 1 > worst) {
                    worst = last - first + 1;
                    worstAt = starts[first];
                }
            }
            counts.put("provider " + provider + " most calls in one second", (long) worst);
            if (worst > rate) {
                violation(Check.PROVIDER_RATE, "provider " + provider + ": " + worst + " calls started in the second from "
                        + java.time.Instant.ofEpochMilli(worstAt) + ", its rate is " + rate, null);
            }
        });
    }

    private void compareStores(final List<Violation> found) {
        final Set<String> partners = new HashSet<>(balances.keySet());
        partners.addAll(storedBalances.keySet());
        for (final String partner : partners) {
            if (underivablePartners.contains(partner)) {
                continue;
            }
            final Map<String, long[]> derived = balances.getOrDefault(partner, Map.of());
            final Stored<PartnerBalance> stored = storedBalances.get(partner);
            final Map<String, CurrencyAccount> accounts = stored == null ? Map.of() : stored.value().getAccounts();
            final Set<String> currencies = new HashSet<>(derived.keySet());
            currencies.addAll(accounts.keySet());
            for (final String currency : currencies) {
                final long[] expected = derived.getOrDefault(currency, new long[2]);
                final CurrencyAccount account = accounts.get(currency);
                final long available = account == null ? 0 : account.getAvailableMinor();
                final long held = account == null ? 0 : account.getHeldMinor();
                if (expected[0] < 0 || expected[1] < 0) {
                    violation(Check.NEGATIVE_BALANCE, partner + " " + currency + " re-derived as available "
                            + expected[0] + ", held " + expected[1], stored == null ? null : stored.at());
                }
                if (available != expected[0] || held != expected[1]) {
                    found.add(new Violation(Check.BALANCE_MISMATCH.name(), partner + " " + currency + " stored available "
                            + available + ", held " + held + "; the events give available " + expected[0] + ", held "
                            + expected[1], stored == null ? null : stored.at()));
                }
            }
        }
        final Set<String> holds = new HashSet<>(openHolds.keySet());
        holds.addAll(storedHolds.keySet());
        for (final String key : holds) {
            final HoldSeen open = openHolds.get(key);
            final Stored<FundsHold> stored = storedHolds.get(key);
            if (open != null && underivablePartners.contains(open.partnerId())) {
                continue;
            }
            if (open == null || stored == null || stored.value().getAmount().getAmountMinor() != open.amountMinor()) {
                found.add(new Violation(Check.HOLDS_MISMATCH.name(), "hold " + key + ": "
                        + (stored == null ? "not in the store" : "stored " + stored.value().getAmount()) + ", "
                        + (open == null ? "ended or never made by the events" : "held " + open.amountMinor()
                        + " by the events"), stored != null ? stored.at() : open.at()));
            }
        }
        storedItems.forEach((key, stored) -> {
            final List<Item> latest = latestItems.get(key);
            if (latest != null && !latest.contains(stored.value())) {
                found.add(new Violation(Check.ITEM_MISMATCH.name(), "item " + key + " stored " + describe(stored.value())
                        + ", last in the events " + describe(latest.get(latest.size() - 1)), stored.at()));
            }
        });
        storedPayments.forEach((key, stored) -> {
            final PaymentSeen seen = payments.get(key);
            if (seen != null && seen.status() != stored.value().getStatus()) {
                found.add(new Violation(Check.PAYMENT_MISMATCH.name(), "payment " + key + " stored "
                        + stored.value().getStatus() + ", last event says " + seen.status(), stored.at()));
            }
        });
    }

    private static String describe(final Item item) {
        return "available " + item.getAvailable() + " held " + item.getHeld() + " sold " + item.getSold() + " stocked "
                + item.getStocked();
    }

    private void violation(final Check check, final String detail, final Position at) {
        final long seen = violationCounts.merge(check, 1L, Long::sum);
        if (seen <= KEPT_PER_CHECK) {
            violations.add(new Violation(check.name(), detail, at));
        }
    }

    private void notice(final String text) {
        if (notices.size() < 50) {
            notices.add(text);
        }
    }

    private void count(final String what) {
        counts.merge(what, 1L, Long::sum);
    }
}
