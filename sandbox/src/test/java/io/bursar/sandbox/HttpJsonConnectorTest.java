// Tests the HTTP adapter's requests and its classification of every kind of answer, against the simulator.
package io.bursar.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.connectors.HttpJsonConnector;
import io.bursar.connectors.ProviderOperation;
import io.bursar.connectors.ProviderOutcome;
import io.bursar.connectors.ProviderRequest;
import io.bursar.connectors.ProviderResult;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HttpJsonConnectorTest {

    /** No rate limit unless a test asks for one, so that only the injected behaviour decides the outcome. */
    private static final SimulatorConfig QUIET = SimulatorConfig.defaults().withRateLimitPerSecond(0);

    private ProviderSimulator simulator;
    private HttpJsonConnector connector;

    @AfterEach
    void stop() {
        if (connector != null) {
            connector.close();
        }
        if (simulator != null) {
            simulator.close();
        }
    }

    private HttpJsonConnector connect(final SimulatorConfig config, final Duration requestTimeout, final int inFlightMax)
            throws IOException {
        simulator = ProviderSimulator.start(config);
        connector = new HttpJsonConnector("sim", simulator.baseUrl(), Duration.ofSeconds(2), requestTimeout,
                inFlightMax, Clock.systemUTC());
        return connector;
    }

    private static ProviderRequest request(final String key, final long amountMinor) {
        return new ProviderRequest(key, "pay-" + key, "partner-1", amountMinor, "EUR", 0);
    }

    private static ProviderRequest refund(final String key, final String paymentId, final long amountMinor) {
        return new ProviderRequest(key, paymentId, "partner-1", amountMinor, "EUR", 0, ProviderOperation.REFUND);
    }

    private JsonNode statsJson() throws IOException, InterruptedException {
        final HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(simulator.baseUrl() + "/stats")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return new ObjectMapper().readTree(response.body());
    }

    @Test
    void successCarriesTheProviderReferenceAndTheChargeIsFoundByItsIdempotencyKey() throws IOException {
        final HttpJsonConnector http = connect(QUIET, Duration.ofSeconds(5), 8);

        final ProviderResult result = http.submit(request("key-1", 1_250)).join();

        assertThat(result.outcome()).isEqualTo(ProviderOutcome.SUCCESS);
        assertThat(result.httpStatus()).isEqualTo(201);
        assertThat(result.idempotencyKey()).isEqualTo("key-1");
        assertThat(result.providerReference()).hasValueSatisfying(reference -> assertThat(reference).startsWith("sim-ch-"));
        // The simulator files charges under the Idempotency-Key header, so finding it proves the header was sent.
        assertThat(http.status("key-1").join()).hasValueSatisfying(found -> {
            assertThat(found.isSuccess()).isTrue();
            assertThat(found.providerReference()).isEqualTo(result.providerReference());
        });
        assertThat(simulator.stats().chargedMinorByPartner()).containsEntry("partner-1", 1_250L);
    }

    @Test
    void serverErrorIsRetryableAndChargesNothing() throws IOException {
        final HttpJsonConnector http = connect(QUIET.withFailureRates(1, 0, 0), Duration.ofSeconds(5), 8);

        final ProviderResult result = http.submit(request("key-500", 100)).join();

        assertThat(result.outcome()).isEqualTo(ProviderOutcome.RETRYABLE);
        assertThat(result.httpStatus()).isEqualTo(500);
        assertThat(result.retryAfter()).isEmpty();
        assertThat(simulator.stats().successfulCharges()).isZero();
    }

    @Test
    void throttlingIsRetryableWithTheProvidersRetryAfter() throws IOException {
        final HttpJsonConnector http = connect(
                QUIET.withFailureRates(0, 1, 0).withRetryAfter(Duration.ofSeconds(7)), Duration.ofSeconds(5), 8);

        final ProviderResult result = http.submit(request("key-429", 100)).join();

        assertThat(result.outcome()).isEqualTo(ProviderOutcome.RETRYABLE);
        assertThat(result.httpStatus()).isEqualTo(429);
        assertThat(result.retryAfter()).contains(Duration.ofSeconds(7));
    }

    @Test
    void invalidAmountIsPermanentWithTheProvidersReason() throws IOException {
        final HttpJsonConnector http = connect(QUIET, Duration.ofSeconds(5), 8);

        final ProviderResult zero = http.submit(request("key-zero", 0)).join();
        final ProviderResult negative = http.submit(request("key-negative", -5)).join();
        final ProviderResult badCurrency = http.submit(
                new ProviderRequest("key-currency", "pay", "partner-1", 100, "euro", 0)).join();

        assertThat(zero.outcome()).isEqualTo(ProviderOutcome.PERMANENT);
        assertThat(zero.httpStatus()).isEqualTo(400);
        assertThat(zero.reason()).contains("amountMinor");
        assertThat(negative.isPermanent()).isTrue();
        assertThat(badCurrency.isPermanent()).isTrue();
        assertThat(badCurrency.reason()).contains("currency");
        assertThat(simulator.stats().successfulCharges()).isZero();
    }

    @Test
    void timeoutIsRetryableAlthoughTheChargeLanded() throws IOException {
        final HttpJsonConnector http = connect(
                QUIET.withFailureRates(0, 0, 1).withTimeoutDelay(Duration.ofSeconds(10)), Duration.ofMillis(300), 8);

        final ProviderResult result = http.submit(request("key-slow", 100)).join();

        assertThat(result.outcome()).isEqualTo(ProviderOutcome.RETRYABLE);
        assertThat(result.httpStatus()).isEqualTo(ProviderResult.NO_HTTP_STATUS);
        assertThat(result.reason()).startsWith("timeout");
        // This is why every retry must carry the same key: the provider did charge.
        assertThat(http.status("key-slow").join()).hasValueSatisfying(found -> assertThat(found.isSuccess()).isTrue());
    }

    @Test
    void refusedConnectionIsRetryable() throws IOException {
        final int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        connector = new HttpJsonConnector("gone", URI.create("http://127.0.0.1:" + closedPort),
                Duration.ofSeconds(1), Duration.ofSeconds(2), 8, Clock.systemUTC());

        final ProviderResult result = connector.submit(request("key-refused", 100)).join();

        assertThat(result.outcome()).isEqualTo(ProviderOutcome.RETRYABLE);
        assertThat(result.httpStatus()).isEqualTo(ProviderResult.NO_HTTP_STATUS);
        assertThat(result.reason()).startsWith("no answer");
    }

    @Test
    void rateLimitOfTheProviderIsRetryable() throws IOException {
        final HttpJsonConnector http = connect(QUIET.withRateLimitPerSecond(1)
                .withClock(new MutableClock(Instant.parse("2026-01-10T12:00:00Z"))), Duration.ofSeconds(5), 8);

        final ProviderResult first = http.submit(request("key-a", 100)).join();
        final ProviderResult second = http.submit(request("key-b", 100)).join();

        assertThat(first.isSuccess()).isTrue();
        assertThat(second.isRetryable()).isTrue();
        assertThat(second.httpStatus()).isEqualTo(429);
        assertThat(second.retryAfter()).contains(Duration.ofSeconds(1));
        assertThat(simulator.stats().rateLimitViolations()).isEqualTo(1);
    }

    @Test
    void statusOfAnUnknownKeyIsEmpty() throws IOException {
        final HttpJsonConnector http = connect(QUIET, Duration.ofSeconds(5), 8);

        assertThat(http.supportsStatus()).isTrue();
        assertThat(http.status("never charged / with spaces").join()).isEmpty();
    }

    @Test
    void repeatedKeyAgainstAnIdempotentProviderReturnsTheOriginalCharge() throws IOException {
        final HttpJsonConnector http = connect(QUIET.withDedupe(true), Duration.ofSeconds(5), 8);

        final ProviderResult first = http.submit(request("key-once", 700)).join();
        final ProviderResult again = http.submit(request("key-once", 700).nextAttempt()).join();

        assertThat(again.isSuccess()).isTrue();
        assertThat(again.httpStatus()).isEqualTo(200);
        assertThat(again.providerReference()).isEqualTo(first.providerReference());
        assertThat(simulator.stats().successfulCharges()).isEqualTo(1);
        assertThat(simulator.stats().idempotentReplays()).isEqualTo(1);
    }

    @Test
    void callsBeyondTheInFlightLimitAreRefusedLocallyAsRetryable() throws IOException {
        final HttpJsonConnector http = connect(
                QUIET.withLatency(Duration.ofMillis(300), Duration.ZERO), Duration.ofSeconds(5), 1);

        final CompletableFuture<ProviderResult> slow = http.submit(request("key-slow", 100));
        final ProviderResult refused = http.submit(request("key-refused", 100)).join();

        assertThat(refused.isRetryable()).isTrue();
        assertThat(refused.reason()).contains("busy");
        assertThat(slow.join().isSuccess()).isTrue();
        // The permit comes back once the call finishes.
        assertThat(http.submit(request("key-after", 100)).join().isSuccess()).isTrue();
        assertThat(simulator.stats().successfulCharges()).isEqualTo(2);
    }

    @Test
    void anUnsendableRequestIsPermanentAndNeverThrows() throws IOException {
        final HttpJsonConnector http = connect(QUIET, Duration.ofSeconds(5), 8);

        final ProviderResult result = http.submit(request("bad\nkey", 100)).join();

        assertThat(result.isPermanent()).isTrue();
        assertThat(result.reason()).startsWith("request not sent");
        assertThat(simulator.stats().calls()).isZero();
    }

    @Test
    void aClosedConnectorAnswersRetryableSoThatShutdownFailsNoPayment() throws IOException {
        final HttpJsonConnector http = connect(QUIET, Duration.ofSeconds(5), 8);
        http.close();

        final ProviderResult result = http.submit(request("key-late", 100)).join();

        assertThat(result.isRetryable()).isTrue();
        assertThat(result.reason()).isEqualTo("connector closed");
        assertThat(simulator.stats().calls()).isZero();
    }

    @Test
    void refundIsPostedToTheRefundsEndpointAndShowsInTheStatsPerPartner() throws Exception {
        final HttpJsonConnector http = connect(QUIET, Duration.ofSeconds(5), 8);
        http.submit(request("charge-1", 1_250)).join();

        final ProviderResult result = http.submit(refund("refund-1", "pay-charge-1", 500)).join();

        assertThat(result.outcome()).isEqualTo(ProviderOutcome.SUCCESS);
        assertThat(result.httpStatus()).isEqualTo(201);
        assertThat(result.idempotencyKey()).isEqualTo("refund-1");
        assertThat(result.providerReference()).hasValueSatisfying(reference -> assertThat(reference).startsWith("sim-re-"));
        final JsonNode stats = statsJson();
        assertThat(stats.get("successfulCharges").asLong()).isEqualTo(1);
        assertThat(stats.get("successfulRefunds").asLong()).isEqualTo(1);
        assertThat(stats.get("refundsWithoutCharge").asLong()).isZero();
        final long charged = stats.get("chargedMinorByPartner").get("partner-1").asLong();
        final long refunded = stats.get("refundedMinorByPartner").get("partner-1").asLong();
        assertThat(charged).isEqualTo(1_250);
        assertThat(refunded).isEqualTo(500);
        assertThat(charged - refunded).isEqualTo(750);
        // Status lookups stay charge-only: the refund's key names no charge.
        assertThat(http.status("refund-1").join()).isEmpty();
    }

    @Test
    void refundOfAnInvalidAmountIsPermanentWithTheProvidersReason() throws IOException {
        final HttpJsonConnector http = connect(QUIET, Duration.ofSeconds(5), 8);

        final ProviderResult result = http.submit(refund("refund-zero", "pay-1", 0)).join();

        assertThat(result.outcome()).isEqualTo(ProviderOutcome.PERMANENT);
        assertThat(result.httpStatus()).isEqualTo(400);
        assertThat(result.reason()).contains("amountMinor");
        assertThat(simulator.stats().calls()).isEqualTo(1);
        assertThat(simulator.stats().successfulRefunds()).isZero();
    }

    @Test
    void refundServerErrorIsRetryableAndRefundsNothing() throws IOException {
        final HttpJsonConnector http = connect(QUIET.withFailureRates(1, 0, 0), Duration.ofSeconds(5), 8);

        final ProviderResult result = http.submit(refund("refund-500", "pay-1", 100)).join();

        assertThat(result.outcome()).isEqualTo(ProviderOutcome.RETRYABLE);
        assertThat(result.httpStatus()).isEqualTo(500);
        assertThat(simulator.stats().successfulRefunds()).isZero();
    }

    @Test
    void refundAfterAChargeInTheSameFullWindowIsRetryableWithTheProvidersRetryAfter() throws IOException {
        final HttpJsonConnector http = connect(QUIET.withRateLimitPerSecond(1).withRetryAfter(Duration.ofSeconds(3))
                .withClock(new MutableClock(Instant.parse("2026-01-10T12:00:00Z"))), Duration.ofSeconds(5), 8);

        final ProviderResult charge = http.submit(request("charge-a", 100)).join();
        final ProviderResult refund = http.submit(refund("refund-a", "pay-charge-a", 100)).join();

        assertThat(charge.isSuccess()).isTrue();
        assertThat(refund.isRetryable()).isTrue();
        assertThat(refund.httpStatus()).isEqualTo(429);
        assertThat(refund.retryAfter()).contains(Duration.ofSeconds(3));
        assertThat(simulator.stats().rateLimitViolations()).isEqualTo(1);
        assertThat(simulator.stats().successfulRefunds()).isZero();
    }

    @Test
    void retriedRefundAgainstAnIdempotentProviderReturnsTheOriginalRefund() throws IOException {
        final HttpJsonConnector http = connect(QUIET.withDedupe(true), Duration.ofSeconds(5), 8);

        final ProviderResult first = http.submit(refund("refund-once", "pay-1", 700)).join();
        final ProviderResult again = http.submit(refund("refund-once", "pay-1", 700).nextAttempt()).join();

        assertThat(again.isSuccess()).isTrue();
        assertThat(again.httpStatus()).isEqualTo(200);
        assertThat(again.providerReference()).isEqualTo(first.providerReference());
        final SimulatorStats stats = simulator.stats();
        assertThat(stats.successfulRefunds()).isEqualTo(1);
        assertThat(stats.idempotentRefundReplays()).isEqualTo(1);
        assertThat(stats.refundedMinorByPartner()).containsExactly(Map.entry("partner-1", 700L));
    }
}
