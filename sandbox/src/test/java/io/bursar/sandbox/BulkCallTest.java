// Tests bulk calls end to end: the HTTP adapter's one POST for many lines against the simulator's /bulk endpoint.
package io.bursar.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.connectors.HttpJsonConnector;
import io.bursar.connectors.ProviderOperation;
import io.bursar.connectors.ProviderOutcome;
import io.bursar.connectors.ProviderRequest;
import io.bursar.connectors.ProviderResult;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BulkCallTest {

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

    private void start(final SimulatorConfig config) throws IOException {
        simulator = ProviderSimulator.start(config);
        connector = new HttpJsonConnector("finance", simulator.baseUrl(), Duration.ofSeconds(2), Duration.ofSeconds(5),
                4, Clock.systemUTC());
    }

    private static List<ProviderRequest> lines(final String batch, final int count, final ProviderOperation operation) {
        final List<ProviderRequest> lines = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            lines.add(new ProviderRequest(operation.name().toLowerCase() + ":" + batch + ":loan-" + i, batch,
                    "investor-1", 2_500, "EUR", 0, operation, "loan-" + i, 1));
        }
        return lines;
    }

    @Test
    void oneCallCarriesEveryLineAndEachLineGetsItsOwnAnswer() throws Exception {
        start(SimulatorConfig.defaults().withRateLimitPerSecond(0).withDedupe(true).withLineRefusalRate(0.05)
                .withSeed(7));

        final List<ProviderRequest> requests = lines("order-1#0", 1_000, ProviderOperation.RESERVE);
        final List<ProviderResult> results = connector.submitBulk(requests).get();

        assertThat(results).hasSize(1_000);
        for (int i = 0; i < results.size(); i++) {
            assertThat(results.get(i).idempotencyKey()).isEqualTo(requests.get(i).idempotencyKey());
            assertThat(results.get(i).outcome()).isIn(ProviderOutcome.SUCCESS, ProviderOutcome.PERMANENT);
        }
        final long refused = results.stream().filter(ProviderResult::isPermanent).count();
        final SimulatorStats stats = simulator.stats();
        assertThat(stats.calls()).isEqualTo(1);
        assertThat(stats.bulkCalls()).isEqualTo(1);
        assertThat(stats.bulkLinesRefused()).isEqualTo(refused).isBetween(20L, 90L);
        assertThat(stats.bulkLinesMade()).isEqualTo(1_000 - refused);
        assertThat(results.stream().filter(ProviderResult::isPermanent).map(ProviderResult::reason))
                .allMatch(reason -> reason.startsWith("refused"));
    }

    @Test
    void aRetriedCallGetsEachLineItsFirstAnswerAndAppliesNothingTwice() throws Exception {
        start(SimulatorConfig.defaults().withRateLimitPerSecond(0).withDedupe(true).withLineRefusalRate(0.1)
                .withSeed(3));
        final List<ProviderRequest> requests = lines("order-2#0", 200, ProviderOperation.INVEST);

        final List<ProviderResult> first = connector.submitBulk(requests).get();
        final List<ProviderResult> again = connector.submitBulk(requests).get();

        assertThat(again.stream().map(ProviderResult::outcome).toList())
                .isEqualTo(first.stream().map(ProviderResult::outcome).toList());
        final SimulatorStats stats = simulator.stats();
        assertThat(stats.bulkLineReplays()).isEqualTo(200);
        assertThat(stats.bulkLinesMade() + stats.bulkLinesRefused()).isEqualTo(200);
        assertThat(stats.duplicateBulkLines()).isZero();
    }

    @Test
    void withoutDedupeALineAppliedTwiceIsCountedAsADuplicateEffect() throws Exception {
        start(SimulatorConfig.defaults().withRateLimitPerSecond(0).withDedupe(false));
        final List<ProviderRequest> requests = lines("order-3#0", 10, ProviderOperation.INVEST);

        connector.submitBulk(requests).get();
        connector.submitBulk(requests).get();

        assertThat(simulator.stats().duplicateBulkLines()).isEqualTo(10);
    }

    @Test
    void aCallThatFailsWholeGivesEveryLineTheSameRetryableResult() throws Exception {
        start(SimulatorConfig.defaults().withRateLimitPerSecond(0).withFailureRates(1.0, 0, 0));

        final List<ProviderResult> results = connector.submitBulk(lines("order-4#0", 50, ProviderOperation.RESERVE)).get();

        assertThat(results).hasSize(50).allMatch(ProviderResult::isRetryable);
        assertThat(results).allMatch(result -> result.httpStatus() == 500);
        assertThat(results.stream().map(ProviderResult::idempotencyKey).collect(Collectors.toSet())).hasSize(50);
        assertThat(simulator.stats().bulkLinesMade()).isZero();
    }

    @Test
    void theRateLimitCountsABulkCallOnce() throws Exception {
        start(SimulatorConfig.defaults().withRateLimitPerSecond(2));

        connector.submitBulk(lines("a#0", 300, ProviderOperation.RESERVE)).get();
        connector.submitBulk(lines("b#0", 300, ProviderOperation.RESERVE)).get();
        final List<ProviderResult> third = connector.submitBulk(lines("c#0", 3, ProviderOperation.RESERVE)).get();

        final SimulatorStats stats = simulator.stats();
        // Two calls fit the second they fell in; a third in that second is refused whole with 429, unless the
        // second turned over between them.
        assertThat(stats.calls()).isEqualTo(3);
        assertThat(stats.bulkLinesMade()).isEqualTo(third.get(0).isSuccess() ? 603 : 600);
        if (!third.get(0).isSuccess()) {
            assertThat(third).allMatch(result -> result.httpStatus() == 429 && result.isRetryable());
            assertThat(stats.rateLimitViolations()).isEqualTo(1);
        }
    }

    @Test
    void aSingleLineSubmittedAloneGoesToTheBulkEndpoint() throws Exception {
        start(SimulatorConfig.defaults().withRateLimitPerSecond(0));

        final ProviderResult result = connector.submit(lines("d#0", 1, ProviderOperation.RELEASE).get(0)).get();

        assertThat(result.isSuccess()).isTrue();
        assertThat(result.providerReference()).isPresent();
        assertThat(simulator.stats().bulkCalls()).isEqualTo(1);
        assertThat(Set.of(simulator.stats().bulkLinesMade())).containsExactly(1L);
    }
}
