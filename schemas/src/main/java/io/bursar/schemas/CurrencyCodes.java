package io.bursar.schemas;

import java.util.Currency;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The one rule for a {@code Money.currency}: an ISO-4217 alphabetic code known to the Java runtime.
 * The gateway checks it at the edge and the processors again, since commands may bypass the gateway.
 */
public final class CurrencyCodes {

    private static final Set<String> KNOWN = Currency.getAvailableCurrencies().stream()
            .map(Currency::getCurrencyCode).collect(Collectors.toUnmodifiableSet());

    private CurrencyCodes() {
    }

    /** True for a known ISO-4217 code such as {@code EUR}; case matters, null is unknown. */
    public static boolean isKnown(final String code) {
        return code != null && KNOWN.contains(code);
    }
}
