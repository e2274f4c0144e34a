package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.app.chaos.Chaos;
import io.bursar.app.verify.Audit;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short {@code bursar chaos} on real processes: a broker process, three {@code bursar run} instances, a
 * provider failing with 5xx, 429 and timeouts, a mixed load; instances killed with SIGKILL every few seconds
 * and the broker killed and restarted once. Afterwards the audit is clean, every command has its result, no
 * read answered wrongly, and the provider saw no duplicate charge and no call over its rate.
 */
class ChaosIT {

    @TempDir
    Path workDir;

    @Test
    void killsAndABrokerRestartUnderLoadLoseNothingAndDuplicateNothing() throws Exception {
        final Chaos.Result result = Chaos.run(new Chaos.Settings(Duration.ofSeconds(60), 11L, 3, 80,
                Duration.ofSeconds(6), Duration.ofSeconds(12), 40, Duration.ofMinutes(4),
                Path.of("target/bursar.jar").toAbsolutePath(), workDir, Map.of()), System.out);
        System.out.println(Chaos.summary(result));

        assertThat(result.kills()).as("instances killed").isGreaterThanOrEqualTo(3);
        assertThat(result.brokerRestarts()).isEqualTo(1);
        assertThat(result.audit().clean()).as(result.audit().text()).isTrue();
        assertThat(result.audit().violationsOf(Audit.Check.COMMAND_WITHOUT_RESULT)).isZero();
        assertThat(result.audit().counts().get("payment events")).isGreaterThanOrEqualTo(result.commandsSent() / 2);
        assertThat(result.audit().counts().get("payments not final")).isZero();
        assertThat(result.audit().counts().get("orders not final")).isZero();
        assertThat(result.wrongAnswers()).as("wrong reads: %s", result.wrongAnswerSamples()).isZero();
        assertThat(result.readAnswers().getOrDefault("200", 0L)).as("reads answered").isPositive();
        assertThat(result.simulator().duplicateCharges()).isZero();
        assertThat(result.simulator().rateLimitViolations()).isZero();
        assertThat(result.simulator().successfulCharges()).as("every provider payment charged once")
                .isEqualTo(result.providerPayments());
        assertThat(result.passed()).isTrue();
    }
}
