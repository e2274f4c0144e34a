// Parses HTTP Retry-After headers, which come either as seconds or as an HTTP date.
package io.bursar.connectors;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** Turns a Retry-After header value into a wait, bounded so a hostile provider cannot park a payment for years. */
final class RetryAfter {

    /** Longest wait honoured; the dispatcher's own backoff cap applies after this. */
    static final Duration WAIT_MAX = Duration.ofHours(1);

    private RetryAfter() {
    }

    /** The wait the header asks for, clamped to [0, WAIT_MAX]; empty when absent or unparseable. */
    static Optional<Duration> parse(final Optional<String> header, final Instant now) {
        if (header.isEmpty() || header.get().isBlank()) {
            return Optional.empty();
        }
        final String value = header.get().trim();
        if (value.chars().allMatch(Character::isDigit)) {
            // More than 19 digits overflows a long; any such value means "a very long time".
            final long seconds = value.length() > 18 ? Long.MAX_VALUE : Long.parseLong(value);
            return Optional.of(clamp(seconds >= WAIT_MAX.getSeconds() ? WAIT_MAX : Duration.ofSeconds(seconds)));
        }
        try {
            final Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            return Optional.of(clamp(Duration.between(now, at)));
        } catch (final DateTimeParseException e) {
            // A malformed header is the provider's bug; the dispatcher's own backoff still applies.
            return Optional.empty();
        }
    }

    private static Duration clamp(final Duration wait) {
        if (wait.isNegative()) {
            return Duration.ZERO;
        }
        return wait.compareTo(WAIT_MAX) > 0 ? WAIT_MAX : wait;
    }
}
