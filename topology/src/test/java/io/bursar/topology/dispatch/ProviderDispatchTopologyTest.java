// Every branch of the provider-dispatch topology through TopologyTestDriver, with wall-clock time driven by the test.
package io.bursar.topology.dispatch;

import static io.bursar.topology.testing.TestDrivers.count;
import static io.bursar.topology.testing.TestDrivers.header;
import static io.bursar.topology.testing.TestDrivers.input;
import static io.bursar.topology.testing.TestDrivers.output;
import static io.bursar.topology.testing.Windows.mostInAnyWindow;
import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.connectors.ProviderConnector;
import io.bursar.connectors.ProviderRequest;
import io.bursar.connectors.ProviderResult;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.dispatch.ProviderCall;
import io.bursar.schemas.dispatch.ProviderOperation;
import io.bursar.schemas.dispatch.ProviderCallOutcome;
import io.bursar.schemas.dispatch.ProviderCallResult;
import io.bursar.schemas.dispatch.QueuedCall;
import io.bursar.serdes.Topics;
import io.bursar.topology.Misrouting;
import io.bursar.topology.testing.ScriptedConnector;
import io.bursar.topology.testing.TestDrivers;
import io.bursar.topology.testing.WallClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongUnaryOperator;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The provider dispatcher end to end: pacing, backoff, dead letters, invalid input and a restart mid-call. */
class ProviderDispatchTopologyTest {

    private static final Instant START = Instant.parse("2026-11-25T10:00:00Z");
    private static final String PROVIDER = "acme";
    private static final LongUnaryOperator JITTER_MAX = ceilingMs -> ceilingMs;
    private static final LongUnaryOperator JITTER_NONE = ceilingMs -> 0L;
    /** Far above any test's need, so pacing never hides what a test looks at. */
    private static final ProviderLimits UNLIMITED = new ProviderLimits(100_000, 100_000);

    @TempDir
    Path stateDir;

    private final List<TopologyTestDriver> drivers = new ArrayList<>();
    private TopologyTestDriver driver;
    private TestInputTopic<String, ProviderCall> requests;
    private static final long QUIET_WINDOW_MS = 1_000;
    private TestOutputTopic<String, ProviderCallResult> results;
    private TestOutputTopic<String, ProviderCallResult> outcomes;
    private TestInputTopic<String, ProviderCallResult> recordedOutcomesIn;
    private TestOutputTopic<String, ProviderCall> deadLetters;
    private WallClock clock;

    @AfterEach
    void stop() {
        drivers.forEach(TopologyTestDriver::close);
    }

    @Test
    void neverMoreCallsThanTheRateInAnyOneSecondWindowAndTheRateIsUsed() {
        final ScriptedConnector acme = ScriptedConnector.succeeding(() -> clock.nowMs());
        start(stateDir, config(50, 16, 8), acme, new ProviderLimits(2, 2), JITTER_NONE, 100);
        clock.advance(10); // one idle second fills the bucket to its burst
        final long queuedAtMs = clock.nowMs();
        for (int i = 0; i < 20; i++) {
            requests.pipeInput(PROVIDER, call(String.format("k%02d", i)), clock.nowMs());
        }

        clock.advance(50);

        final List<Long> startedAtMs = acme.sent().stream().map(sent -> sent.atMs() - queuedAtMs).toList();
        // The burst at the first punctuation; a token comes back every 500 ms, but the window of the
        // last second is full until 1,000 ms after the burst: two calls a second, on the second.
        assertThat(startedAtMs).containsExactly(100L, 100L, 1100L, 1100L, 2100L, 2100L, 3100L, 3100L, 4100L, 4100L);
        assertThat(mostInAnyWindow(startedAtMs, 1_000)).isEqualTo(2);
        assertThat(acme.sent().stream().map(sent -> sent.request().idempotencyKey()).toList())
                .containsExactly("k00", "k01", "k02", "k03", "k04", "k05", "k06", "k07", "k08", "k09");
        assertThat(finalResults().stream().map(TestRecord::value).toList()).hasSize(10)
                .allSatisfy(result -> assertThat(result.getOutcome()).isEqualTo(ProviderCallOutcome.SUCCEEDED));
    }

    @Test
    void withAMarginTheWindowIsLongerAndACallStartsTheMomentItEndsNotAtTheNextPunctuation() {
        final ScriptedConnector acme = ScriptedConnector.succeeding(() -> clock.nowMs());
        // A 50 ms punctuation, a clock moving 10 ms at a time, and a window of 1,030 ms.
        start(stateDir, config(50, 16, 8), acme, new ProviderLimits(2, 2, 30), JITTER_NONE, 10);
        clock.advance(100); // one idle second fills the bucket to its burst
        final long queuedAtMs = clock.nowMs();
        for (int i = 0; i < 8; i++) {
            requests.pipeInput(PROVIDER, call("k" + i), clock.nowMs());
        }

        clock.advance(350);

        final List<Long> startedAtMs = acme.sent().stream().map(sent -> sent.atMs() - queuedAtMs).toList();
        // Each pair 1,030 ms after the one before: on a 50 ms grid alone it would be 1,050 ms.
        assertThat(startedAtMs).containsExactly(50L, 50L, 1080L, 1080L, 2110L, 2110L, 3140L, 3140L);
        assertThat(mostInAnyWindow(startedAtMs, 1_030)).isEqualTo(2);
    }

    @Test
    void aNewOwnerStartsNoCallForOneWindowSoItNeverAddsToItsPredecessorsLastSecond() {
        final ScriptedConnector acme = ScriptedConnector.succeeding(() -> clock.nowMs());
        afterQuietWindow = false;
        start(stateDir, config(50, 16, 8), acme, new ProviderLimits(2, 2), JITTER_NONE, 100);
        for (int i = 0; i < 5; i++) {
            requests.pipeInput(PROVIDER, call("k" + i), clock.nowMs());
        }

        clock.advance(20);

        assertThat(acme.sent().stream().map(sent -> sent.atMs() - START.toEpochMilli()).toList())
                .containsExactly(1000L, 1000L, 2000L, 2000L);
    }

    @Test
    void inFlightCallsAreCappedPerProvider() {
        final ScriptedConnector acme = new ScriptedConnector(request -> Optional.empty(), () -> clock.nowMs());
        start(stateDir, config(50, 3, 8), acme, UNLIMITED, JITTER_NONE, 50);
        for (int i = 0; i < 10; i++) {
            requests.pipeInput(PROVIDER, call("k" + i), clock.nowMs());
        }

        clock.advance(20);

        assertThat(acme.sentCount()).isEqualTo(3);
    }

    @Test
    void aRefundGoesToTheConnectorAsARefundAndItsResultSaysSo() {
        final ScriptedConnector acme = ScriptedConnector.succeeding(() -> clock.nowMs());
        start(stateDir, config(50, 16, 8), acme, UNLIMITED, JITTER_NONE, 50);
        final ProviderCall refund = call("r1");
        refund.setOperation(ProviderOperation.REFUND);
        requests.pipeInput(PROVIDER, refund, clock.nowMs());

        clock.advance(10);

        assertThat(acme.sent()).singleElement().satisfies(sent ->
                assertThat(sent.request().operation()).isEqualTo(io.bursar.connectors.ProviderOperation.REFUND));
        assertThat(finalResults()).singleElement().satisfies(result -> {
            assertThat(result.value().getOperation()).isEqualTo(ProviderOperation.REFUND);
            assertThat(result.value().getOutcome()).isEqualTo(ProviderCallOutcome.SUCCEEDED);
        });
    }

    @Test
    void everyFinalOutcomeIsRecordedByIdempotencyKeyAndARecordedOneIsReusedWithoutACall() {
        final ScriptedConnector acme = ScriptedConnector.succeeding(() -> clock.nowMs());
        start(stateDir, config(50, 16, 8), acme, UNLIMITED, JITTER_NONE, 50);
        requests.pipeInput(PROVIDER, call("k1"), clock.nowMs());
        clock.advance(10);

        final List<TestRecord<String, ProviderCallResult>> recorded = outcomes.readRecordsToList();
        assertThat(recorded).singleElement().satisfies(record -> {
            assertThat(record.key()).isEqualTo("k1");
            assertThat(record.value().getOutcome()).isEqualTo(ProviderCallOutcome.SUCCEEDED);
        });
        finalResults();

        // History reprocessed after a reset: the same call arrives again, and the provider's recorded answer
        // (loaded into the global table) is reused instead of a second call.
        recordedOutcomesIn.pipeInput("k1", recorded.get(0).value(), clock.nowMs());
        requests.pipeInput(PROVIDER, call("k1"), clock.nowMs());
        clock.advance(10);

        assertThat(acme.sentCount()).isEqualTo(1);
        assertThat(finalResults()).singleElement().satisfies(result -> {
            assertThat(result.value().getOutcome()).isEqualTo(ProviderCallOutcome.SUCCEEDED);
            assertThat(result.value().getProviderReference()).isEqualTo("ref-k1");
        });
    }

    @Test
    void anAdminRetryOfADeadLetteredCallIsAskedAnewDespiteItsRecordedOutcome() {
        final ScriptedConnector acme = ScriptedConnector.succeeding(() -> clock.nowMs());
        start(stateDir, config(50, 16, 8), acme, UNLIMITED, JITTER_NONE, 50);
        // The call's first life ended DEAD_LETTERED, and that outcome is recorded under its key.
        recordedOutcomesIn.pipeInput("k1", new ProviderCallResult("k1", "pay-k1", "partner-1", PROVIDER,
                ProviderCallOutcome.DEAD_LETTERED, 5, null, 503, "HTTP 503", START, ProviderOperation.CHARGE,
                List.of(), null, List.of(), 0), clock.nowMs());

        requests.pipeInput(PROVIDER, ProviderCall.newBuilder(call("k1")).setRetry(1).build(), clock.nowMs());
        clock.advance(10);

        assertThat(acme.sentCount()).as("the retry is sent, with the call's own key").isEqualTo(1);
        assertThat(finalResults()).singleElement().satisfies(result -> {
            assertThat(result.value().getOutcome()).isEqualTo(ProviderCallOutcome.SUCCEEDED);
            assertThat(result.value().getIdempotencyKey()).isEqualTo("k1");
            assertThat(result.value().getRetry()).isEqualTo(1);
        });
        // The retry's outcome is recorded in turn; the same retry arriving again (a replay) reuses it.
        final List<TestRecord<String, ProviderCallResult>> recorded = outcomes.readRecordsToList();
        assertThat(recorded).singleElement().satisfies(record -> assertThat(record.value().getRetry()).isEqualTo(1));
        recordedOutcomesIn.pipeInput("k1", recorded.get(0).value(), clock.nowMs());
        requests.pipeInput(PROVIDER, ProviderCall.newBuilder(call("k1")).setRetry(1).build(), clock.nowMs());
        clock.advance(10);
        assertThat(acme.sentCount()).isEqualTo(1);
    }

    @Test
    void successEmitsOneSucceededResultKeyedByPartner() {
        final ScriptedConnector acme = ScriptedConnector.succeeding(() -> clock.nowMs());
        start(stateDir, config(50, 16, 8), acme, UNLIMITED, JITTER_NONE, 50);
        requests.pipeInput(PROVIDER, call("k1"), clock.nowMs());

        clock.advance(10);

        final List<TestRecord<String, ProviderCallResult>> all = results.readRecordsToList();
        // First the one SUBMITTED report, with the first attempt; then the one final outcome.
        assertThat(all).extracting(record -> record.value().getOutcome())
                .containsExactly(ProviderCallOutcome.SUBMITTED, ProviderCallOutcome.SUCCEEDED);
        assertThat(all).extracting(TestRecord::key).containsOnly("partner-1");
        final List<TestRecord<String, ProviderCallResult>> emitted = all.subList(1, 2);
        assertThat(emitted.get(0).key()).isEqualTo("partner-1");
        final ProviderCallResult result = emitted.get(0).value();
        assertThat(result.getOutcome()).isEqualTo(ProviderCallOutcome.SUCCEEDED);
        assertThat(result.getAttempts()).isEqualTo(1);
        assertThat(result.getProviderReference()).isEqualTo("ref-k1");
        assertThat(result.getHttpStatus()).isEqualTo(201);
        assertThat(result.getReason()).isNull();
        final ProviderRequest sent = acme.sent().get(0).request();
        assertThat(sent.idempotencyKey()).isEqualTo("k1");
        assertThat(sent.amountMinor()).isEqualTo(1_250);
        assertThat(sent.currency()).isEqualTo("EUR");
        assertThat(sent.attempt()).isZero();
        assertThat(deadLetters.isEmpty()).isTrue();
        assertThat(count(queueStore())).isZero();
    }

    @Test
    void retryDelayCeilingDoublesFromTheBaseUpToTheCap() {
        final ScriptedConnector acme = ScriptedConnector.answering(request -> ProviderResult.retryable(
                request.idempotencyKey(), 503, "HTTP 503", Optional.empty()), () -> clock.nowMs());
        start(stateDir, config(10, 16, 8), acme, UNLIMITED, JITTER_MAX, 10);
        requests.pipeInput(PROVIDER, call("k1"), clock.nowMs());

        final List<Long> delaysMs = new ArrayList<>();
        for (int attempt = 0; attempt < 7; attempt++) {
            final int sentBefore = attempt;
            clock.advanceUntil(() -> acme.sentCount() > sentBefore, 1_000);
            clock.advance(1); // the answer is applied at the next punctuation
            final QueuedCall queued = queueStore().get(PROVIDER + "/k1");
            assertThat(queued.getAttempt()).isEqualTo(attempt + 1);
            delaysMs.add(queued.getNotBefore().toEpochMilli() - clock.nowMs());
        }

        assertThat(delaysMs).containsExactly(200L, 400L, 800L, 1_000L, 1_000L, 1_000L, 1_000L);
        assertThat(acme.sent().stream().map(sent -> sent.request().attempt()).toList())
                .containsExactly(0, 1, 2, 3, 4, 5, 6);
        assertThat(acme.sent().stream().map(sent -> sent.request().idempotencyKey()).distinct().toList())
                .containsExactly("k1");
    }

    @Test
    void aRetryAfterLongerThanTheBackoffIsHonouredAndAShorterOneIsNot() {
        final ScriptedConnector acme = ScriptedConnector.answering(request -> ProviderResult.retryable(
                request.idempotencyKey(), 429, "HTTP 429",
                Optional.of(Duration.ofMillis(request.attempt() == 0 ? 7_000 : 50))), () -> clock.nowMs());
        start(stateDir, config(10, 16, 8), acme, UNLIMITED, JITTER_MAX, 10);
        requests.pipeInput(PROVIDER, call("k1"), clock.nowMs());

        clock.advanceUntil(() -> acme.sentCount() == 1, 10);
        clock.advance(1);
        assertThat(queueStore().get(PROVIDER + "/k1").getNotBefore().toEpochMilli() - clock.nowMs()).isEqualTo(7_000);
        final long answeredAtMs = clock.nowMs();
        clock.advanceUntil(() -> acme.sentCount() == 2, 1_000);
        assertThat(clock.nowMs() - answeredAtMs).isEqualTo(7_000);
        clock.advance(1);
        assertThat(queueStore().get(PROVIDER + "/k1").getNotBefore().toEpochMilli() - clock.nowMs()).isEqualTo(400);
    }

    @Test
    void theLastRetryableFailureIsDeadLetteredWithOneResult() {
        final ScriptedConnector acme = ScriptedConnector.answering(request -> ProviderResult.retryable(
                request.idempotencyKey(), 503, "HTTP 503", Optional.empty()), () -> clock.nowMs());
        start(stateDir, config(10, 16, 3), acme, UNLIMITED, JITTER_NONE, 10);
        requests.pipeInput(PROVIDER, call("k1"), clock.nowMs());

        clock.advance(100);

        assertThat(acme.sentCount()).isEqualTo(3);
        final List<ProviderCallResult> emitted = finalResults().stream().map(TestRecord::value).toList();
        assertThat(emitted).hasSize(1);
        assertThat(emitted.get(0).getOutcome()).isEqualTo(ProviderCallOutcome.DEAD_LETTERED);
        assertThat(emitted.get(0).getAttempts()).isEqualTo(3);
        assertThat(emitted.get(0).getHttpStatus()).isEqualTo(503);
        assertThat(emitted.get(0).getReason()).isEqualTo("HTTP 503");
        assertThat(emitted.get(0).getCallsStartedAt()).as("one start time per call, what an auditor checks the rate by")
                .containsExactlyElementsOf(acme.sent().stream().map(sent -> Instant.ofEpochMilli(sent.atMs())).toList());
        final List<TestRecord<String, ProviderCall>> dead = deadLetters.readRecordsToList();
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).key()).isEqualTo(PROVIDER);
        assertThat(dead.get(0).value()).isEqualTo(call("k1"));
        assertThat(header(dead.get(0), ProviderDispatchProcessor.HEADER_ERROR_REASON)).isEqualTo("HTTP 503");
        assertThat(header(dead.get(0), ProviderDispatchProcessor.HEADER_ERROR_ATTEMPTS)).isEqualTo("3");
        assertThat(count(queueStore())).isZero();
    }

    @Test
    void aPermanentFailureIsDeadLetteredAtOnceWithOneFailedResult() {
        final ScriptedConnector acme = ScriptedConnector.answering(request ->
                ProviderResult.permanent(request.idempotencyKey(), 422, "card declined"), () -> clock.nowMs());
        start(stateDir, config(10, 16, 8), acme, UNLIMITED, JITTER_NONE, 10);
        requests.pipeInput(PROVIDER, call("k1"), clock.nowMs());

        clock.advance(100);

        assertThat(acme.sentCount()).isEqualTo(1);
        final List<ProviderCallResult> emitted = finalResults().stream().map(TestRecord::value).toList();
        assertThat(emitted).hasSize(1);
        assertThat(emitted.get(0).getOutcome()).isEqualTo(ProviderCallOutcome.FAILED);
        assertThat(emitted.get(0).getAttempts()).isEqualTo(1);
        assertThat(emitted.get(0).getHttpStatus()).isEqualTo(422);
        assertThat(emitted.get(0).getReason()).isEqualTo("card declined");
        final List<TestRecord<String, ProviderCall>> dead = deadLetters.readRecordsToList();
        assertThat(dead).hasSize(1);
        assertThat(header(dead.get(0), ProviderDispatchProcessor.HEADER_ERROR_REASON)).isEqualTo("card declined");
        assertThat(header(dead.get(0), ProviderDispatchProcessor.HEADER_ERROR_ATTEMPTS)).isEqualTo("1");
    }

    @Test
    void aCallForAnUnknownProviderFailsWithoutAnyCall() {
        final ScriptedConnector acme = ScriptedConnector.succeeding(() -> clock.nowMs());
        start(stateDir, config(50, 16, 8), acme, UNLIMITED, JITTER_NONE, 50);
        final ProviderCall elsewhere = ProviderCall.newBuilder(call("k1")).setProviderId("nobody").build();

        requests.pipeInput("nobody", elsewhere, clock.nowMs());
        clock.advance(5);

        assertThat(acme.sentCount()).isZero();
        assertThat(finalResults().stream().map(TestRecord::value).toList()).singleElement().satisfies(result -> {
            assertThat(result.getOutcome()).isEqualTo(ProviderCallOutcome.FAILED);
            assertThat(result.getAttempts()).isZero();
            assertThat(result.getReason()).isEqualTo("unknown provider nobody");
        });
        assertThat(header(deadLetters.readRecord(), ProviderDispatchProcessor.HEADER_ERROR_REASON))
                .isEqualTo("unknown provider nobody");
    }

    @Test
    void invalidCallsAreRejectedWithAReasonAndNeverSent() {
        final ScriptedConnector acme = ScriptedConnector.succeeding(() -> clock.nowMs());
        start(stateDir, config(50, 16, 8), acme, UNLIMITED, JITTER_NONE, 50);

        final long nowMs = clock.nowMs();
        requests.pipeInput("other", call("k1"), nowMs);
        requests.pipeInput(PROVIDER, ProviderCall.newBuilder(call("k2")).setIdempotencyKey(" ").build(), nowMs);
        requests.pipeInput(PROVIDER, ProviderCall.newBuilder(call("k3")).setIdempotencyKey("x".repeat(256)).build(), nowMs);
        requests.pipeInput("Bad/Id", ProviderCall.newBuilder(call("k4")).setProviderId("Bad/Id").build(), nowMs);
        requests.pipeInput(PROVIDER, ProviderCall.newBuilder(call("k5")).setPaymentId("").build(), nowMs);
        requests.pipeInput(PROVIDER, null, nowMs);
        clock.advance(5);

        assertThat(acme.sentCount()).isZero();
        assertThat(finalResults().stream().map(TestRecord::value).toList()).extracting(ProviderCallResult::getReason).containsExactly(
                "record key does not match providerId",
                "idempotencyKey must be 1..255 non-blank characters",
                "idempotencyKey must be 1..255 non-blank characters",
                "invalid providerId",
                "paymentId and partnerId must not be blank");
        assertThat(deadLetters.readRecordsToList()).hasSize(5);
    }

    @Test
    void aRepeatedCallWhileQueuedIsSentOnce() {
        final ScriptedConnector acme = ScriptedConnector.succeeding(() -> clock.nowMs());
        start(stateDir, config(50, 16, 8), acme, new ProviderLimits(2, 2), JITTER_NONE, 100);
        requests.pipeInput(PROVIDER, call("k1"), clock.nowMs());
        requests.pipeInput(PROVIDER, call("k1"), clock.nowMs());

        clock.advance(20);

        assertThat(acme.sentCount()).isEqualTo(1);
        assertThat(finalResults().stream().map(TestRecord::value).toList()).hasSize(1);
    }

    @Test
    void backoffCeilingNeverOverflows() {
        final ProviderDispatchProcessor processor = new ProviderDispatchProcessor(config(50, 16, 8),
                providerId -> null, providerId -> UNLIMITED, JITTER_MAX, Misrouting.of(TestDrivers.topics(1)));

        assertThat(processor.backoffCeilingMs(0)).isEqualTo(200);
        assertThat(processor.backoffCeilingMs(7)).isEqualTo(1_000);
        assertThat(processor.backoffCeilingMs(70)).isEqualTo(1_000);
        assertThat(processor.retryDelayMs(0, Optional.of(Duration.ofDays(30))))
                .isEqualTo(ProviderDispatchProcessor.RETRY_AFTER_MS_MAX);
    }

    /** Set false by the tests of what a dispatcher does right after it starts. */
    private boolean afterQuietWindow = true;

    private void start(final Path dir, final ProviderDispatchConfig config, final ProviderConnector acme,
                       final ProviderLimits limits, final LongUnaryOperator jitter, final long stepMs) {
        final Topics topics = TestDrivers.topics(1);
        final Topology topology = TestDrivers.topology(topics, (builder, catalog) -> ProviderDispatchTopology.build(
                builder, catalog, config, providerId -> PROVIDER.equals(providerId) ? acme : null,
                providerId -> limits, jitter));
        driver = TestDrivers.driver(topology, "bursar-dispatch-test", dir, topics, START);
        drivers.add(driver);
        clock = new WallClock(driver, START, stepMs);
        requests = input(driver, topics.providerRequests);
        results = output(driver, topics.providerResults);
        outcomes = output(driver, topics.providerOutcomes);
        recordedOutcomesIn = input(driver, topics.providerOutcomes);
        deadLetters = output(driver, topics.providerDeadLetters);
        if (afterQuietWindow) {
            // A new owner starts no call for one window (its predecessor may have used it): most tests start after it.
            clock.jump(Duration.ofMillis(QUIET_WINDOW_MS));
        }
    }

    private static ProviderDispatchConfig config(final long intervalMs, final int inFlightMax, final int attemptsMax) {
        return new ProviderDispatchConfig(Map.of(
                ProviderDispatchConfig.PUNCTUATION_INTERVAL_MS, intervalMs,
                ProviderDispatchConfig.IN_FLIGHT_MAX, inFlightMax,
                ProviderDispatchConfig.ATTEMPTS_MAX, attemptsMax,
                ProviderDispatchConfig.BACKOFF_BASE_MS, 200L,
                ProviderDispatchConfig.BACKOFF_CAP_MS, 1_000L));
    }

    /** The final outcomes emitted so far, without the SUBMITTED reports. */
    private List<TestRecord<String, ProviderCallResult>> finalResults() {
        return results.readRecordsToList().stream()
                .filter(record -> record.value().getOutcome() != ProviderCallOutcome.SUBMITTED).toList();
    }

    private static ProviderCall call(final String idempotencyKey) {
        return new ProviderCall(idempotencyKey, "pay-" + idempotencyKey, "partner-1", PROVIDER,
                new Money(1_250L, "EUR"), START, ProviderOperation.CHARGE, null, List.of(), 0);
    }

    private KeyValueStore<String, QueuedCall> queueStore() {
        return driver.getKeyValueStore(ProviderDispatchProcessor.QUEUE_STORE);
    }
}
