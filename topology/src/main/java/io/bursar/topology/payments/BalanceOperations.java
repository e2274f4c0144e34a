package io.bursar.topology.payments;

import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.BalanceSnapshot;
import io.bursar.schemas.payments.CurrencyAccount;
import io.bursar.schemas.payments.FundsHold;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.RejectionReason;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One command's work on one partner's balance and funds holds: operations applied in order to a working
 * copy, then written to the stores once by {@link #commit}, or dropped. A rejected operation changes
 * nothing, so the operations after it see the state before it. A single Credit is one operation; an
 * ApplyBatch is many, with one write of the balance however many there are.
 */
final class BalanceOperations {

    /** What an operation did: why it was rejected (null when applied), and the money it moved. */
    record Result(RejectionReason reason, Money amount) {

        boolean applied() {
            return reason == null;
        }

        static Result rejected(final RejectionReason reason) {
            return new Result(reason, null);
        }
    }

    private final BalanceBook book;
    private final FundsHolds holds;
    private final long holdTtlMsMax;
    private final String partnerId;
    private final long nowMs;
    private final PartnerBalance balance;
    /** holdKey → the hold as it now stands, or null once ended; applied to the store by {@link #commit}. */
    private final Map<String, FundsHold> changedHolds = new LinkedHashMap<>();
    /** holdKey → the deadline it was indexed under, for holds ended here. */
    private final Map<String, Long> endedDeadlines = new LinkedHashMap<>();
    private boolean changed;

    BalanceOperations(final BalanceBook book, final FundsHolds holds, final long holdTtlMsMax, final String partnerId,
                      final long nowMs) {
        this.book = book;
        this.holds = holds;
        this.holdTtlMsMax = holdTtlMsMax;
        this.partnerId = partnerId;
        this.nowMs = nowMs;
        this.balance = book.balanceOf(partnerId, nowMs);
    }

    static String holdKey(final String partnerId, final String holdId) {
        return PartnerProcessor.partnerScopedKey(partnerId, holdId);
    }

    Result credit(final Money amount) {
        final RejectionReason invalid = PaymentFlow.invalidMoney(amount);
        if (invalid != null) {
            return Result.rejected(invalid);
        }
        final CurrencyAccount account = BalanceBook.accountOf(balance, amount.getCurrency());
        if (BalanceBook.wouldOverflow(account, amount.getAmountMinor())) {
            return Result.rejected(RejectionReason.BALANCE_OVERFLOW);
        }
        account.setAvailableMinor(account.getAvailableMinor() + amount.getAmountMinor());
        changed = true;
        return new Result(null, amount);
    }

    Result debit(final Money amount) {
        final RejectionReason invalid = PaymentFlow.invalidMoney(amount);
        if (invalid != null) {
            return Result.rejected(invalid);
        }
        final CurrencyAccount account = BalanceBook.accountOf(balance, amount.getCurrency());
        if (account.getAvailableMinor() < amount.getAmountMinor()) {
            return Result.rejected(RejectionReason.INSUFFICIENT_FUNDS);
        }
        account.setAvailableMinor(account.getAvailableMinor() - amount.getAmountMinor());
        changed = true;
        return new Result(null, amount);
    }

    Result hold(final String holdId, final Money amount, final long ttlMs, final String commandId) {
        if (holdId == null || holdId.isBlank()) {
            return Result.rejected(RejectionReason.INVALID_COMMAND);
        }
        final RejectionReason invalid = PaymentFlow.invalidMoney(amount);
        if (invalid != null) {
            return Result.rejected(invalid);
        }
        if (ttlMs <= 0 || ttlMs > holdTtlMsMax) {
            return Result.rejected(RejectionReason.INVALID_HOLD_TTL);
        }
        final String key = holdKey(partnerId, holdId);
        if (hold(key) != null) {
            return Result.rejected(RejectionReason.HOLD_ALREADY_EXISTS);
        }
        final CurrencyAccount account = BalanceBook.accountOf(balance, amount.getCurrency());
        if (account.getAvailableMinor() < amount.getAmountMinor()) {
            return Result.rejected(RejectionReason.INSUFFICIENT_FUNDS);
        }
        account.setAvailableMinor(account.getAvailableMinor() - amount.getAmountMinor());
        account.setHeldMinor(account.getHeldMinor() + amount.getAmountMinor());
        changedHolds.put(key, new FundsHold(holdId, partnerId, commandId, amount, Instant.ofEpochMilli(nowMs),
                Instant.ofEpochMilli(nowMs + ttlMs)));
        changed = true;
        return new Result(null, amount);
    }

    /** Takes up to the held amount out of the balance; the rest of the hold returns to available. */
    Result capture(final String holdId, final Money amount) {
        final RejectionReason invalid = PaymentFlow.invalidMoney(amount);
        if (invalid != null) {
            return Result.rejected(invalid);
        }
        final String key = holdKey(partnerId, holdId);
        final FundsHold hold = hold(key);
        final RejectionReason unusable = unusable(hold);
        if (unusable != null) {
            return Result.rejected(unusable);
        }
        if (!hold.getAmount().getCurrency().equals(amount.getCurrency())) {
            return Result.rejected(RejectionReason.CURRENCY_MISMATCH);
        }
        if (amount.getAmountMinor() > hold.getAmount().getAmountMinor()) {
            return Result.rejected(RejectionReason.CAPTURE_EXCEEDS_HOLD);
        }
        end(key, hold, hold.getAmount().getAmountMinor() - amount.getAmountMinor());
        return new Result(null, amount);
    }

    /** Returns the whole hold to available. */
    Result release(final String holdId) {
        final String key = holdKey(partnerId, holdId);
        final FundsHold hold = hold(key);
        final RejectionReason unusable = unusable(hold);
        if (unusable != null) {
            return Result.rejected(unusable);
        }
        end(key, hold, hold.getAmount().getAmountMinor());
        return new Result(null, hold.getAmount());
    }

    /** Ends a hold whose deadline passed (the punctuator's release), whatever the clock says of it now. */
    void expire(final String key, final FundsHold hold) {
        end(key, hold, hold.getAmount().getAmountMinor());
    }

    /** The partner's account in {@code currency} as the operations so far left it. */
    BalanceSnapshot snapshot(final String currency) {
        return BalanceBook.snapshot(currency, BalanceBook.accountOf(balance, currency));
    }

    /** Every account of the partner as the operations so far left it, by currency. */
    List<BalanceSnapshot> snapshots() {
        final List<BalanceSnapshot> all = new ArrayList<>();
        balance.getAccounts().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(account -> all.add(BalanceBook.snapshot(account.getKey(), account.getValue())));
        return all;
    }

    /** Writes what the applied operations changed: the balance once, then the holds and their deadlines. */
    void commit() {
        if (!changed) {
            return;
        }
        book.save(balance, nowMs);
        // A stored hold ended here leaves with its deadline entry; one made anew under its key takes its place.
        for (final Map.Entry<String, Long> ended : endedDeadlines.entrySet()) {
            holds.remove(ended.getKey(), ended.getValue());
        }
        for (final Map.Entry<String, FundsHold> hold : changedHolds.entrySet()) {
            if (hold.getValue() != null) {
                holds.put(hold.getKey(), hold.getValue());
            }
        }
    }

    private FundsHold hold(final String key) {
        return changedHolds.containsKey(key) ? changedHolds.get(key) : holds.get(key);
    }

    /** A hold past its deadline belongs to the punctuator, which releases it, whatever arrives first. */
    private RejectionReason unusable(final FundsHold hold) {
        if (hold == null) {
            return RejectionReason.HOLD_NOT_FOUND;
        }
        return hold.getExpiresAt().toEpochMilli() <= nowMs ? RejectionReason.HOLD_EXPIRED : null;
    }

    /** Removes the hold from held, returns {@code releasedMinor} of it to available; the rest leaves the balance. */
    private void end(final String key, final FundsHold hold, final long releasedMinor) {
        final CurrencyAccount account = BalanceBook.accountOf(balance, hold.getAmount().getCurrency());
        account.setHeldMinor(account.getHeldMinor() - hold.getAmount().getAmountMinor());
        account.setAvailableMinor(account.getAvailableMinor() + releasedMinor);
        if (account.getHeldMinor() < 0) {
            throw new IllegalStateException("held went negative for " + key + ": " + account);
        }
        final boolean madeHere = changedHolds.get(key) != null;
        if (!changedHolds.containsKey(key)) {
            // It came from the store: its deadline entry goes with it.
            endedDeadlines.put(key, hold.getExpiresAt().toEpochMilli());
        }
        if (madeHere && !endedDeadlines.containsKey(key)) {
            changedHolds.remove(key); // made and ended by this command: the store never sees it
        } else {
            changedHolds.put(key, null);
        }
        changed = true;
    }
}
