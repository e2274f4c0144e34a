package io.bursar.gateway;

import io.bursar.schemas.payments.PartnerBalance;
import java.util.List;
import java.util.Map;

/** The JSON shape of a partner's balance: one account per currency, amounts in minor units. */
record BalanceView(String partnerId, List<Account> accounts, String updatedAt) {

    record Account(String currency, long availableMinor, long heldMinor, long balanceMinor) {
    }

    static BalanceView of(final PartnerBalance balance) {
        final List<Account> accounts = balance.getAccounts().entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .map(e -> new Account(e.getKey(), e.getValue().getAvailableMinor(), e.getValue().getHeldMinor(),
                        e.getValue().getAvailableMinor() + e.getValue().getHeldMinor()))
                .toList();
        return new BalanceView(balance.getPartnerId(), accounts, balance.getUpdatedAt().toString());
    }
}
