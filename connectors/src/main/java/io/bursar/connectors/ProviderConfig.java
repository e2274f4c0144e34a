// The validated, typed configuration of one provider, converted from strings at the boundary.
package io.bursar.connectors;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * One provider's settings; see {@link ProviderSetting} for keys, defaults and ranges.
 *
 * @param providerId     the id used in keys and in {@code provider-requests}
 * @param type           the adapter type
 * @param url            the provider's base URL, without a trailing slash
 * @param connectTimeout bound on establishing a connection
 * @param requestTimeout bound on one whole call
 * @param ratePerSecond  calls per second the dispatcher allows
 * @param burst          token-bucket capacity the dispatcher allows
 * @param inFlightMax    concurrent calls one connector allows
 * @param windowMargin   slack added to the one-second window of the dispatcher's rate
 */
public record ProviderConfig(
        String providerId,
        String type,
        URI url,
        Duration connectTimeout,
        Duration requestTimeout,
        int ratePerSecond,
        int burst,
        int inFlightMax,
        Duration windowMargin) {

    /** Checks the invariants the parser guarantees, so that hand-built configs in tests obey them too. */
    public ProviderConfig {
        Objects.requireNonNull(providerId, "providerId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(windowMargin, "windowMargin");
        if (windowMargin.isNegative()) {
            throw new IllegalArgumentException("windowMargin must not be negative");
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero()
                || requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
        if (ratePerSecond < 1 || burst < 1 || inFlightMax < 1) {
            throw new IllegalArgumentException("ratePerSecond, burst and inFlightMax must be at least 1");
        }
    }

    /** A config with the default window margin of {@link ProviderSetting#WINDOW_MARGIN_MS}. */
    public ProviderConfig(final String providerId, final String type, final URI url, final Duration connectTimeout,
                          final Duration requestTimeout, final int ratePerSecond, final int burst,
                          final int inFlightMax) {
        this(providerId, type, url, connectTimeout, requestTimeout, ratePerSecond, burst, inFlightMax,
                Duration.ofMillis(Long.parseLong(ProviderSetting.WINDOW_MARGIN_MS.defaultValue().orElseThrow())));
    }
}
