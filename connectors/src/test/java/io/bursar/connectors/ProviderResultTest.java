// Tests the invariants of requests and results and the SPI's default methods.
package io.bursar.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class ProviderResultTest {

    @Test
    void retryAfterIsOnlyAllowedOnRetryableResults() {
        assertThatThrownBy(() -> new ProviderResult("k", ProviderOutcome.PERMANENT, Optional.empty(), 400, "no",
                Optional.of(Duration.ofSeconds(1))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(ProviderResult.retryable("k", 429, "slow down", Optional.of(Duration.ofSeconds(3))).retryAfter())
                .contains(Duration.ofSeconds(3));
    }

    @Test
    void statusMustBeAnHttpStatusOrNone() {
        assertThatThrownBy(() -> ProviderResult.permanent("k", 42, "odd")).isInstanceOf(IllegalArgumentException.class);
        assertThat(ProviderResult.permanent("k", ProviderResult.NO_HTTP_STATUS, "not sent").isPermanent()).isTrue();
    }

    @Test
    void longReasonsAreCut() {
        final ProviderResult result = ProviderResult.permanent("k", 400, "x".repeat(1_000));
        assertThat(result.reason()).hasSize(ProviderResult.REASON_LENGTH_MAX);
    }

    @Test
    void requestRejectsBlankKeysAndNegativeAttempts() {
        assertThatThrownBy(() -> new ProviderRequest(" ", "p", "partner", 100, "EUR", 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ProviderRequest("k".repeat(256), "p", "partner", 100, "EUR", 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ProviderRequest("k", "p", "partner", 100, "EUR", -1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new ProviderRequest("k", "p", "partner", 100, "EUR", 0).nextAttempt().attempt()).isEqualTo(1);
    }

    @Test
    void theSixArgumentRequestIsAChargeAndEveryRetryKeepsItsOperation() {
        final ProviderRequest refund = new ProviderRequest("k", "p", "partner", 100, "EUR", 0, ProviderOperation.REFUND);

        final ProviderRequest third = refund.nextAttempt().nextAttempt();

        assertThat(new ProviderRequest("k", "p", "partner", 100, "EUR", 0).operation()).isEqualTo(ProviderOperation.CHARGE);
        assertThat(third.operation()).isEqualTo(ProviderOperation.REFUND);
        assertThat(third.attempt()).isEqualTo(2);
        assertThat(third).isEqualTo(new ProviderRequest("k", "p", "partner", 100, "EUR", 2, ProviderOperation.REFUND));
        assertThat(new ProviderRequest("k", "p", "partner", 100, "EUR", 0).nextAttempt().operation())
                .isEqualTo(ProviderOperation.CHARGE);
    }

    @Test
    void requestRejectsAMissingOperation() {
        assertThatThrownBy(() -> new ProviderRequest("k", "p", "partner", 100, "EUR", 0, null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("operation");
    }

    @Test
    void defaultStatusIsUnsupportedAndDefaultBulkSubmitsEachInOrder() {
        final ProviderConnector echo = request -> CompletableFuture.completedFuture(
                ProviderResult.success(request.idempotencyKey(), 200, Optional.of("ref-" + request.paymentId())));

        assertThat(echo.supportsStatus()).isFalse();
        assertThatThrownBy(() -> echo.status("k").get())
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(UnsupportedOperationException.class);

        final List<ProviderResult> results = echo.submitBulk(List.of(
                new ProviderRequest("k1", "p1", "partner", 100, "EUR", 0),
                new ProviderRequest("k2", "p2", "partner", 200, "EUR", 0))).join();
        assertThat(results).extracting(ProviderResult::idempotencyKey).containsExactly("k1", "k2");
        assertThat(results).extracting(result -> result.providerReference().orElseThrow())
                .containsExactly("ref-p1", "ref-p2");
    }
}
