// Peer-to-peer lending end to end on a real broker: a 10,000-note investor order through a slow, failing Finance Service.
package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.bursar.app.bench.LendingBenchmark;
import io.bursar.schemas.dispatch.FulfilmentLine;
import io.bursar.schemas.dispatch.FulfilmentLineOutcome;
import io.bursar.schemas.dispatch.ProviderCallResult;
import io.bursar.schemas.dispatch.ProviderOperation;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * One investor order of 10,000 notes (one of each of 10,000 loans), posted to the gateway, against the provider
 * simulator as the Finance Service over HTTP at its default 2 calls/s, failing 10 % of calls whole (HTTP 500) and
 * refusing 1 % of lines for good, without deduplication, so a line applied twice would show.
 */
class LendingIT {

    @Test
    void aTenThousandNoteOrderCompletesMinusExactlyTheRefusedLinesInTwentyBulkCallsPlusRetries() throws Exception {
        final LendingBenchmark.Run run = LendingBenchmark.run(new LendingBenchmark.Settings(List.of(10_000), 2, 0.10,
                0.01, 5L, null), System.out).runs().get(0);

        assertThat(run.batches()).isEqualTo(10);
        assertThat(run.status()).isEqualTo("COMPLETED");

        // One RESERVE and one INVEST call per batch; every other call the Finance Service counted is a retry.
        final List<ProviderCallResult> results = run.fulfilmentResults();
        assertThat(results).extracting(ProviderCallResult::getOperation)
                .containsOnly(ProviderOperation.RESERVE, ProviderOperation.INVEST);
        assertThat(results.stream().filter(result -> result.getOperation() == ProviderOperation.RESERVE)).hasSize(10);
        assertThat(results.stream().filter(result -> result.getOperation() == ProviderOperation.INVEST)).hasSize(10);
        assertThat(run.financeCalls()).isEqualTo(20 + run.retries());
        assertThat(results.stream().mapToLong(ProviderCallResult::getAttempts).sum()).isEqualTo(run.financeCalls());
        // Never above its 2 calls/s, and no line applied twice.
        assertThat(run.maxCallsInOneSecond()).isLessThanOrEqualTo(2);
        assertThat(run.rateViolations()).isZero();
        assertThat(run.duplicateLines()).isZero();

        // The lines refused are exactly the lines removed, dead-lettered, and given back to the investor.
        final Set<String> refused = new HashSet<>();
        final List<FulfilmentLine> allLines = new ArrayList<>();
        results.forEach(result -> allLines.addAll(result.getLines()));
        for (final FulfilmentLine line : allLines) {
            if (line.getOutcome() != FulfilmentLineOutcome.SUCCEEDED) {
                refused.add(line.getItemId());
            }
        }
        assertThat(run.linesRefused()).isEqualTo(refused.size()).isBetween(100L, 320L);
        assertThat(run.linesRemoved()).isEqualTo(refused.size());
        assertThat(run.deadLetteredLines()).isEqualTo(refused.size());
        assertThat(run.linesInvested()).isEqualTo(10_000 - refused.size());
        assertThat(run.paidMinor()).isEqualTo(run.linesInvested() * LendingBenchmark.NOTE_MINOR);
        assertThat(run.positionUnits()).as("the investor's positions").isEqualTo(run.linesInvested());
        final Set<String> removedInView = new HashSet<>();
        for (final JsonNode batch : run.orderView().path("batches")) {
            assertThat(batch.path("status").asText()).isEqualTo("COMPLETED");
            assertThat(batch.path("fulfilment").asText()).isEqualTo("INVESTED");
            for (final JsonNode line : batch.path("lines")) {
                if (!line.path("removedReason").isNull() && !line.path("removedReason").isMissingNode()) {
                    removedInView.add(line.path("itemId").asText());
                    assertThat(line.path("held").asLong()).isZero();
                    assertThat(line.path("removedReason").asText()).contains("FAILED");
                }
            }
        }
        assertThat(removedInView).isEqualTo(refused);
    }
}
