// Tests the parsing of Retry-After in both of its forms and its bounds.
package io.bursar.connectors;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RetryAfterTest {

    private static final Instant NOW = Instant.parse("2026-01-10T12:00:00Z");

    @Test
    void secondsAreParsed() {
        assertThat(RetryAfter.parse(Optional.of(" 7 "), NOW)).contains(Duration.ofSeconds(7));
    }

    @Test
    void httpDateIsRelativeToNowAndNeverNegative() {
        assertThat(RetryAfter.parse(Optional.of("Sat, 10 Jan 2026 12:00:30 GMT"), NOW)).contains(Duration.ofSeconds(30));
        assertThat(RetryAfter.parse(Optional.of("Sat, 10 Jan 2026 11:00:00 GMT"), NOW)).contains(Duration.ZERO);
    }

    @Test
    void hugeWaitsAreCapped() {
        assertThat(RetryAfter.parse(Optional.of("999999999999999999999999"), NOW)).contains(RetryAfter.WAIT_MAX);
        assertThat(RetryAfter.parse(Optional.of("86400"), NOW)).contains(RetryAfter.WAIT_MAX);
    }

    @Test
    void absentOrMalformedHeadersGiveNoWait() {
        assertThat(RetryAfter.parse(Optional.empty(), NOW)).isEmpty();
        assertThat(RetryAfter.parse(Optional.of(""), NOW)).isEmpty();
        assertThat(RetryAfter.parse(Optional.of("-5"), NOW)).isEmpty();
        assertThat(RetryAfter.parse(Optional.of("soon"), NOW)).isEmpty();
    }
}
