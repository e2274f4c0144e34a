package io.bursar.topology.payments;

import io.bursar.schemas.payments.BalanceSnapshot;
import io.bursar.schemas.payments.CurrencyAccount;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.topology.LogClock;
import java.time.Instant;
import java.util.HashMap;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The partners' balances of one task, read and written only on its stream thread: the one place an
 * account is looked up, created on first use and saved.
 */
final class BalanceBook {

    private final KeyValueStore<String, PartnerBalance> balances;

    BalanceBook(final KeyValueStore<String, PartnerBalance> balances) {
        this.balances = balances;
    }

    /** The partner's stored balance, or a new empty one (not saved until {@link #save}). */
    PartnerBalance balanceOf(final String partnerId, final long nowMs) {
        final PartnerBalance stored = balances.get(partnerId);
        return stored != null ? stored : new PartnerBalance(partnerId, new HashMap<>(), Instant.ofEpochMilli(nowMs));
    }

    /** The balance's account in {@code currency}, added empty when missing. */
    static CurrencyAccount accountOf(final PartnerBalance balance, final String currency) {
        return balance.getAccounts().computeIfAbsent(currency, c -> new CurrencyAccount(0L, 0L));
    }

    void save(final PartnerBalance balance, final long nowMs) {
        balance.setUpdatedAt(LogClock.notBefore(balance.getUpdatedAt(), nowMs));
        balances.put(balance.getPartnerId(), balance);
    }

    /** The partner's account in {@code currency} as it stands, without creating anything. */
    BalanceSnapshot peek(final String partnerId, final String currency) {
        final PartnerBalance stored = balances.get(partnerId);
        final CurrencyAccount account = stored == null ? null : stored.getAccounts().get(currency);
        return snapshot(currency, account == null ? new CurrencyAccount(0L, 0L) : account);
    }

    static BalanceSnapshot snapshot(final String currency, final CurrencyAccount account) {
        return new BalanceSnapshot(currency, account.getAvailableMinor(), account.getHeldMinor());
    }

    /** True when adding {@code amountMinor} would take the account's total past Long.MAX_VALUE. */
    static boolean wouldOverflow(final CurrencyAccount account, final long amountMinor) {
        return account.getAvailableMinor() + account.getHeldMinor() > Long.MAX_VALUE - amountMinor;
    }
}
