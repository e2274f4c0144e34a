// Tests the simulator's counters, rate limit, idempotency modes, HTTP edges and memory bounds.
package io.bursar.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ProviderSimulatorTest {

    private static final Instant START = Instant.parse("2026-01-10T12:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final MutableClock clock = new MutableClock(START);
    private ProviderSimulator simulator;

    @AfterEach
    void stop() {
        if (simulator != null) {
            simulator.close();
        }
    }

    private ProviderSimulator start(final SimulatorConfig config) throws IOException {
        simulator = ProviderSimulator.start(config.withClock(clock));
        return simulator;
    }

    /** Charges payment {@code pay-<key>} under the key. */
    private HttpResponse<String> post(final String key, final String partnerId, final long amountMinor)
            throws IOException, InterruptedException {
        return post("/charges", key, "pay-" + key, partnerId, amountMinor);
    }

    private HttpResponse<String> refund(final String key, final String paymentId, final String partnerId,
            final long amountMinor) throws IOException, InterruptedException {
        return post("/refunds", key, paymentId, partnerId, amountMinor);
    }

    private HttpResponse<String> post(final String path, final String key, final String paymentId,
            final String partnerId, final long amountMinor) throws IOException, InterruptedException {
        final String body = "{\"paymentId\":\"" + paymentId + "\",\"partnerId\":\"" + partnerId
                + "\",\"amountMinor\":" + amountMinor + ",\"currency\":\"EUR\"}";
        return HTTP.send(HttpRequest.newBuilder(URI.create(simulator.baseUrl() + path))
                .timeout(Duration.ofSeconds(5))
                .header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> send(final HttpRequest.Builder request) throws IOException, InterruptedException {
        return HTTP.send(request.timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void callsAreCountedPerOneSecondWindow() throws Exception {
        start(SimulatorConfig.defaults().withRateLimitPerSecond(0));

        post("a", "p1", 1);
        post("b", "p1", 1);
        post("c", "p1", 1);
        clock.advance(Duration.ofSeconds(1));
        post("d", "p1", 1);

        final SimulatorStats stats = simulator.stats();
        assertThat(stats.callsPerSecond()).containsExactly(
                Map.entry(START.getEpochSecond(), 3), Map.entry(START.getEpochSecond() + 1, 1));
        assertThat(stats.maxCallsInOneSecond()).isEqualTo(3);
        assertThat(stats.calls()).isEqualTo(4);
        assertThat(stats.rateLimitViolations()).isZero();
    }

    @Test
    void callsAboveTheRateLimitAre429AndCountedAsViolations() throws Exception {
        start(SimulatorConfig.defaults().withRateLimitPerSecond(2).withRetryAfter(Duration.ofMillis(1_500)));

        final List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            statuses.add(post("k" + i, "p1", 10).statusCode());
        }
        final HttpResponse<String> refused = post("k9", "p1", 10);
        clock.advance(Duration.ofSeconds(1));
        final int nextWindow = post("k10", "p1", 10).statusCode();

        assertThat(statuses).containsExactly(201, 201, 429, 429, 429);
        assertThat(refused.headers().firstValue("Retry-After")).contains("2");
        assertThat(nextWindow).isEqualTo(201);
        final SimulatorStats stats = simulator.stats();
        assertThat(stats.rateLimitViolations()).isEqualTo(4);
        assertThat(stats.maxCallsInOneSecond()).isEqualTo(6);
        assertThat(stats.successfulCharges()).isEqualTo(3);
        assertThat(stats.chargedMinorByPartner()).containsExactly(Map.entry("p1", 30L));
    }

    @Test
    void withoutDedupeTheSameKeyChargedTwiceIsADuplicateCharge() throws Exception {
        start(SimulatorConfig.defaults().withRateLimitPerSecond(0));

        final String first = JSON.readTree(post("same", "p1", 500).body()).get("reference").asText();
        final HttpResponse<String> second = post("same", "p1", 500);
        post("same", "p1", 500);
        post("other", "p2", 40);

        assertThat(second.statusCode()).isEqualTo(201);
        assertThat(JSON.readTree(second.body()).get("reference").asText()).isNotEqualTo(first);
        final SimulatorStats stats = simulator.stats();
        // One key charged three times is one duplicated key.
        assertThat(stats.duplicateCharges()).isEqualTo(1);
        assertThat(stats.successfulCharges()).isEqualTo(4);
        assertThat(stats.idempotentReplays()).isZero();
        assertThat(stats.chargedMinorByPartner()).containsExactly(Map.entry("p1", 1_500L), Map.entry("p2", 40L));
    }

    @Test
    void withDedupeTheSameKeyReturnsTheOriginalChargeAndIsCounted() throws Exception {
        start(SimulatorConfig.defaults().withRateLimitPerSecond(0).withDedupe(true));

        final HttpResponse<String> first = post("same", "p1", 500);
        final HttpResponse<String> again = post("same", "p1", 500);

        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(JSON.readTree(again.body()).get("reference")).isEqualTo(JSON.readTree(first.body()).get("reference"));
        final SimulatorStats stats = simulator.stats();
        assertThat(stats.duplicateCharges()).isZero();
        assertThat(stats.idempotentReplays()).isEqualTo(1);
        assertThat(stats.successfulCharges()).isEqualTo(1);
        assertThat(stats.chargedMinorByPartner()).containsExactly(Map.entry("p1", 500L));
    }

    @Test
    void statsAreServedAsJson() throws Exception {
        start(SimulatorConfig.defaults().withRateLimitPerSecond(1));
        post("a", "p1", 100);
        post("b", "p1", 100);

        final HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(simulator.baseUrl() + "/stats")));

        assertThat(response.statusCode()).isEqualTo(200);
        final JsonNode stats = JSON.readTree(response.body());
        assertThat(stats.get("callsPerSecond").get(Long.toString(START.getEpochSecond())).asInt()).isEqualTo(2);
        assertThat(stats.get("maxCallsInOneSecond").asInt()).isEqualTo(2);
        assertThat(stats.get("rateLimitViolations").asLong()).isEqualTo(1);
        assertThat(stats.get("duplicateCharges").asLong()).isZero();
        assertThat(stats.get("successfulCharges").asLong()).isEqualTo(1);
        assertThat(stats.get("chargedMinorByPartner").get("p1").asLong()).isEqualTo(100);
        // Reading the stats is not a call to the provider.
        assertThat(simulator.stats().calls()).isEqualTo(2);
    }

    @Test
    void malformedCallsAre400And405WithoutCharging() throws Exception {
        start(SimulatorConfig.defaults().withRateLimitPerSecond(0));
        final URI charges = URI.create(simulator.baseUrl() + "/charges");
        final String valid = "{\"paymentId\":\"p\",\"partnerId\":\"x\",\"amountMinor\":1,\"currency\":\"EUR\"}";

        final HttpResponse<String> noKey = send(HttpRequest.newBuilder(charges)
                .POST(HttpRequest.BodyPublishers.ofString(valid)));
        final HttpResponse<String> notJson = send(HttpRequest.newBuilder(charges).header("Idempotency-Key", "k")
                .POST(HttpRequest.BodyPublishers.ofString("{oops")));
        final HttpResponse<String> fractional = send(HttpRequest.newBuilder(charges).header("Idempotency-Key", "k")
                .POST(HttpRequest.BodyPublishers.ofString(valid.replace("\"amountMinor\":1", "\"amountMinor\":1.5"))));
        final HttpResponse<String> missingPartner = send(HttpRequest.newBuilder(charges).header("Idempotency-Key", "k")
                .POST(HttpRequest.BodyPublishers.ofString("{\"paymentId\":\"p\",\"amountMinor\":1,\"currency\":\"EUR\"}")));
        final HttpResponse<String> tooLarge = send(HttpRequest.newBuilder(charges).header("Idempotency-Key", "k")
                .POST(HttpRequest.BodyPublishers.ofString(" ".repeat(ProviderSimulator.REQUEST_BYTES_MAX + 1))));
        final HttpResponse<String> wrongMethod = send(HttpRequest.newBuilder(charges).DELETE());

        assertThat(noKey.statusCode()).isEqualTo(400);
        assertThat(noKey.body()).contains("Idempotency-Key");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(fractional.statusCode()).isEqualTo(400);
        assertThat(missingPartner.statusCode()).isEqualTo(400);
        assertThat(missingPartner.body()).contains("partnerId");
        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(simulator.stats().successfulCharges()).isZero();
    }

    @Test
    void refundsAndChargesShareTheOneSecondWindowAndItsRateLimit() throws Exception {
        start(SimulatorConfig.defaults().withRateLimitPerSecond(2));

        final List<Integer> statuses = List.of(
                post("a", "p1", 100).statusCode(),
                refund("r1", "pay-a", "p1", 40).statusCode(),
                refund("r2", "pay-a", "p1", 40).statusCode(),
                post("b", "p1", 100).statusCode());
        clock.advance(Duration.ofSeconds(1));
        final int nextWindow = refund("r3", "pay-a", "p1", 10).statusCode();

        assertThat(statuses).containsExactly(201, 201, 429, 429);
        assertThat(nextWindow).isEqualTo(201);
        final SimulatorStats stats = simulator.stats();
        assertThat(stats.callsPerSecond()).containsExactly(
                Map.entry(START.getEpochSecond(), 4), Map.entry(START.getEpochSecond() + 1, 1));
        assertThat(stats.maxCallsInOneSecond()).isEqualTo(4);
        assertThat(stats.calls()).isEqualTo(5);
        assertThat(stats.rateLimitViolations()).isEqualTo(2);
        assertThat(stats.successfulCharges()).isEqualTo(1);
        assertThat(stats.successfulRefunds()).isEqualTo(2);
        assertThat(stats.refundedMinorByPartner()).containsExactly(Map.entry("p1", 50L));
    }

    @Test
    void withoutDedupeTheSameKeyRefundedTwiceIsADuplicateRefundAndTotalsStaySeparate() throws Exception {
        start(SimulatorConfig.defaults().withRateLimitPerSecond(0));
        post("c", "p1", 500);

        final HttpResponse<String> first = refund("r", "pay-c", "p1", 200);
        final HttpResponse<String> second = refund("r", "pay-c", "p1", 200);
        refund("other", "pay-never-charged", "p2", 40);

        assertThat(second.statusCode()).isEqualTo(201);
        assertThat(JSON.readTree(second.body()).get("reference")).isNotEqualTo(JSON.readTree(first.body()).get("reference"));
        assertThat(JSON.readTree(second.body()).get("timesRefunded").asInt()).isEqualTo(2);
        final SimulatorStats stats = simulator.stats();
        assertThat(stats.duplicateRefunds()).isEqualTo(1);
        assertThat(stats.successfulRefunds()).isEqualTo(3);
        assertThat(stats.idempotentRefundReplays()).isZero();
        assertThat(stats.refundsWithoutCharge()).isEqualTo(1);
        assertThat(stats.duplicateCharges()).isZero();
        // Charged totals are charges only; the net taken from p1 is what a test computes from both maps.
        assertThat(stats.chargedMinorByPartner()).containsExactly(Map.entry("p1", 500L));
        assertThat(stats.refundedMinorByPartner()).containsExactly(Map.entry("p1", 400L), Map.entry("p2", 40L));
    }

    @Test
    void withDedupeTheSameRefundKeyReturnsTheOriginalRefundAndIsCounted() throws Exception {
        start(SimulatorConfig.defaults().withRateLimitPerSecond(0).withDedupe(true));
        post("same", "p1", 500);

        final HttpResponse<String> first = refund("same", "pay-same", "p1", 500);
        final HttpResponse<String> again = refund("same", "pay-same", "p1", 500);

        // Charges and refunds have separate key spaces: the charge's key does not make the refund a replay.
        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(JSON.readTree(again.body()).get("reference")).isEqualTo(JSON.readTree(first.body()).get("reference"));
        final SimulatorStats stats = simulator.stats();
        assertThat(stats.idempotentRefundReplays()).isEqualTo(1);
        assertThat(stats.idempotentReplays()).isZero();
        assertThat(stats.successfulRefunds()).isEqualTo(1);
        assertThat(stats.duplicateRefunds()).isZero();
        assertThat(stats.refundsWithoutCharge()).isZero();
        assertThat(stats.refundedMinorByPartner()).containsExactly(Map.entry("p1", 500L));
    }

    @Test
    void refundCountersAreServedAsJson() throws Exception {
        start(SimulatorConfig.defaults().withRateLimitPerSecond(0));
        post("a", "p1", 100);
        refund("r1", "pay-a", "p1", 30);
        refund("r1", "pay-a", "p1", 30);
        refund("r2", "pay-unknown", "p2", 5);

        final JsonNode stats = JSON.readTree(
                send(HttpRequest.newBuilder(URI.create(simulator.baseUrl() + "/stats"))).body());

        assertThat(stats.get("successfulRefunds").asLong()).isEqualTo(3);
        assertThat(stats.get("duplicateRefunds").asLong()).isEqualTo(1);
        assertThat(stats.get("idempotentRefundReplays").asLong()).isZero();
        assertThat(stats.get("refundsWithoutCharge").asLong()).isEqualTo(1);
        assertThat(stats.get("refundedMinorByPartner").get("p1").asLong()).isEqualTo(60);
        assertThat(stats.get("refundedMinorByPartner").get("p2").asLong()).isEqualTo(5);
        assertThat(stats.get("chargedMinorByPartner").get("p1").asLong()).isEqualTo(100);
        assertThat(stats.get("chargedMinorByPartner").has("p2")).isFalse();
        assertThat(stats.get("calls").asLong()).isEqualTo(4);
    }

    @Test
    void malformedRefundsAre400And404And405WithoutRefunding() throws Exception {
        start(SimulatorConfig.defaults().withRateLimitPerSecond(0));
        final URI refunds = URI.create(simulator.baseUrl() + "/refunds");
        final String valid = "{\"paymentId\":\"p\",\"partnerId\":\"x\",\"amountMinor\":1,\"currency\":\"EUR\"}";

        final HttpResponse<String> noKey = send(HttpRequest.newBuilder(refunds)
                .POST(HttpRequest.BodyPublishers.ofString(valid)));
        final HttpResponse<String> notJson = send(HttpRequest.newBuilder(refunds).header("Idempotency-Key", "k")
                .POST(HttpRequest.BodyPublishers.ofString("{oops")));
        final HttpResponse<String> negative = send(HttpRequest.newBuilder(refunds).header("Idempotency-Key", "k")
                .POST(HttpRequest.BodyPublishers.ofString(valid.replace("\"amountMinor\":1", "\"amountMinor\":-1"))));
        final HttpResponse<String> badCurrency = send(HttpRequest.newBuilder(refunds).header("Idempotency-Key", "k")
                .POST(HttpRequest.BodyPublishers.ofString(valid.replace("EUR", "eur"))));
        final HttpResponse<String> missingPayment = send(HttpRequest.newBuilder(refunds).header("Idempotency-Key", "k")
                .POST(HttpRequest.BodyPublishers.ofString("{\"partnerId\":\"x\",\"amountMinor\":1,\"currency\":\"EUR\"}")));
        final HttpResponse<String> lookup = send(HttpRequest.newBuilder(URI.create(refunds + "/k")));
        final HttpResponse<String> wrongMethod = send(HttpRequest.newBuilder(refunds));

        assertThat(noKey.statusCode()).isEqualTo(400);
        assertThat(noKey.body()).contains("Idempotency-Key");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(negative.statusCode()).isEqualTo(400);
        assertThat(negative.body()).contains("amountMinor");
        assertThat(badCurrency.statusCode()).isEqualTo(400);
        assertThat(badCurrency.body()).contains("currency");
        assertThat(missingPayment.statusCode()).isEqualTo(400);
        assertThat(missingPayment.body()).contains("paymentId");
        assertThat(lookup.statusCode()).isEqualTo(404);
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(simulator.stats().successfulRefunds()).isZero();
    }

    @Test
    void refundsGetTheSameLatencyAndInjectedFailures() throws Exception {
        start(SimulatorConfig.defaults().withRateLimitPerSecond(0)
                .withLatency(Duration.ofMillis(150), Duration.ZERO).withFailureRates(1, 0, 0));

        final long startNanos = System.nanoTime();
        final HttpResponse<String> response = refund("r", "pay-1", "p1", 1);

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(Duration.ofNanos(System.nanoTime() - startNanos)).isGreaterThanOrEqualTo(Duration.ofMillis(150));
        assertThat(simulator.stats().successfulRefunds()).isZero();
        assertThat(simulator.stats().refundedMinorByPartner()).isEmpty();
    }

    @Test
    void latencyDelaysTheAnswer() throws Exception {
        start(SimulatorConfig.defaults().withRateLimitPerSecond(0).withLatency(Duration.ofMillis(150), Duration.ofMillis(50)));

        final long startNanos = System.nanoTime();
        final HttpResponse<String> response = post("slow", "p1", 1);

        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(Duration.ofNanos(System.nanoTime() - startNanos)).isGreaterThanOrEqualTo(Duration.ofMillis(150));
    }

    @Test
    void aSeedRepeatsTheSameSequenceOfInjectedFailures() throws Exception {
        final SimulatorConfig flaky = SimulatorConfig.defaults().withRateLimitPerSecond(0)
                .withFailureRates(0.3, 0.3, 0).withSeed(7);
        final List<List<Integer>> runs = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            start(flaky);
            final List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                statuses.add(post("k" + i, "p1", 1).statusCode());
            }
            runs.add(statuses);
            simulator.close();
        }
        simulator = null;

        assertThat(runs.get(0)).isEqualTo(runs.get(1)).contains(201, 500, 429);
    }

    @Test
    void windowsAndKeysStayWithinTheirBounds() {
        final SimulatorLedger ledger = new SimulatorLedger(5, 3);

        for (long second = 0; second < 1_000; second++) {
            ledger.recordCall(second);
            ledger.recordCall(second);
        }
        // A clock stepping back must not grow the map past its bound either.
        ledger.recordCall(10);
        for (int i = 0; i < 10; i++) {
            ledger.charge("key-" + i, "pay", "p1", 1, "EUR", false);
        }

        final SimulatorStats stats = ledger.snapshot();
        assertThat(stats.callsPerSecond()).hasSizeLessThanOrEqualTo(5);
        assertThat(stats.callsPerSecond()).containsKey(999L);
        assertThat(stats.maxCallsInOneSecond()).isEqualTo(2);
        assertThat(stats.calls()).isEqualTo(2_001);
        assertThat(ledger.findCharge("key-0")).isEmpty();
        assertThat(ledger.findCharge("key-9")).isPresent();
        // A forgotten key charged again is no longer recognised as a duplicate: the documented price of the bound.
        ledger.charge("key-0", "pay", "p1", 1, "EUR", false);
        assertThat(ledger.snapshot().duplicateCharges()).isZero();
    }

    @Test
    void refundKeysAndChargedPaymentsStayWithinTheirBounds() {
        final SimulatorLedger ledger = new SimulatorLedger(5, 3);
        for (int i = 0; i < 10; i++) {
            ledger.charge("charge-" + i, "pay-" + i, "p1", 1, "EUR", false);
        }

        // pay-0 was charged but is forgotten, so its refund counts as one without a charge: the price of the bound.
        ledger.refund("refund-0", "pay-0", "p1", 1, "EUR", false);
        ledger.refund("refund-9", "pay-9", "p1", 1, "EUR", false);
        for (int i = 1; i < 9; i++) {
            ledger.refund("refund-" + i, "pay-9", "p1", 1, "EUR", false);
        }
        ledger.refund("refund-0", "pay-9", "p1", 1, "EUR", false);

        final SimulatorStats stats = ledger.snapshot();
        assertThat(stats.refundsWithoutCharge()).isEqualTo(1);
        assertThat(stats.successfulRefunds()).isEqualTo(11);
        // refund-0 was forgotten before it came again, so it is not recognised as a duplicate.
        assertThat(stats.duplicateRefunds()).isZero();
        assertThat(stats.refundedMinorByPartner()).containsExactly(Map.entry("p1", 11L));
    }

    @Test
    void partnersBeyondTheBoundAreSummedTogether() {
        final SimulatorLedger ledger = new SimulatorLedger(5, 10);

        for (int i = 0; i < SimulatorLedger.PARTNERS_MAX + 5; i++) {
            ledger.charge("key-" + i, "pay", "partner-" + i, 2, "EUR", false);
        }

        for (int i = 0; i < SimulatorLedger.PARTNERS_MAX + 5; i++) {
            ledger.refund("refund-" + i, "pay", "partner-" + i, 1, "EUR", false);
        }

        final Map<String, Long> totals = ledger.snapshot().chargedMinorByPartner();
        assertThat(totals).hasSize(SimulatorLedger.PARTNERS_MAX + 1);
        assertThat(totals).containsEntry(SimulatorLedger.OTHER_PARTNERS, 10L);
        final Map<String, Long> refunded = ledger.snapshot().refundedMinorByPartner();
        assertThat(refunded).hasSize(SimulatorLedger.PARTNERS_MAX + 1);
        assertThat(refunded).containsEntry(SimulatorLedger.OTHER_PARTNERS, 5L);
    }

    @Test
    void configRejectsImpossibleSettings() {
        final SimulatorConfig defaults = SimulatorConfig.defaults();
        assertThatThrownBy(() -> defaults.withFailureRates(0.6, 0.6, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> defaults.withFailureRates(-0.1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> defaults.withFailureRates(Double.NaN, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> defaults.withRateLimitPerSecond(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> defaults.withLatency(Duration.ofMinutes(10), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> defaults.withRetention(0, 10)).isInstanceOf(IllegalArgumentException.class);
    }
}
