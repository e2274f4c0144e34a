package io.bursar.schemas;

import java.util.regex.Pattern;

/**
 * The one rule for a provider id: configuration keys ({@code providers.<id>.*}), record keys of
 * {@code provider-requests} and store-key prefixes all use it, so it holds neither '.' nor '/'.
 */
public final class ProviderIds {

    /** Lower-case letters, digits, '_' and '-', starting with a letter or digit, at most 63 characters. */
    public static final Pattern PATTERN = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

    private ProviderIds() {
    }

    /** True for a well-formed provider id; null is not one. */
    public static boolean isValid(final String providerId) {
        return providerId != null && PATTERN.matcher(providerId).matches();
    }
}
