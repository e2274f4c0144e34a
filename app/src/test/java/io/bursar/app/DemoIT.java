package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The README's first command, minus the terminal: the demo starts on a real broker and the real
 * registry process, and the curl lines it prints work as printed.
 */
class DemoIT {

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void thePrintedCurlLinesWork() throws Exception {
        final long registryPid;
        try (Demo demo = Demo.start(0)) {
            System.out.printf("Demo started in %.1f s%n", demo.startupTime().toMillis() / 1000.0);
            registryPid = demo.registryPid();
            final List<String> lines = demo.curlLines();
            assertThat(lines).hasSize(5);

            final JsonNode balance = json.readTree(run(lines.get(0)));
            assertThat(balance.get("partnerId").asText()).isEqualTo("acme");
            assertThat(account(balance).get("availableMinor").asLong()).isEqualTo(Demo.SAMPLE_PARTNERS.get("acme"));

            assertThat(json.readTree(run(lines.get(1))).get("commandId").asText()).isNotBlank();
            assertThat(json.readTree(run(lines.get(2))).get("commandId").asText()).isNotBlank();
            assertThat(json.readTree(run(lines.get(3))).get("paymentId").asText()).isEqualTo("pay-1");
            // The provider payment, through the dispatcher and the simulator, long-polled until it is final.
            final JsonNode payment = json.readTree(run(lines.get(4)));
            assertThat(payment.get("status").asText()).as("payment %s", payment).isEqualTo("SUCCEEDED");

            // The debit of 2,500 and the hold of 10,000 show in the balance once processed, and the payment's 4,200.
            final long expectedAvailable = Demo.SAMPLE_PARTNERS.get("acme") - 2_500 - 10_000 + 4_200;
            final Instant deadline = Instant.now().plusSeconds(30);
            JsonNode after = balance;
            while (account(after).get("availableMinor").asLong() != expectedAvailable && Instant.now().isBefore(deadline)) {
                Thread.sleep(100);
                after = json.readTree(run(lines.get(0)));
            }
            assertThat(account(after).get("availableMinor").asLong()).isEqualTo(expectedAvailable);
            assertThat(account(after).get("heldMinor").asLong()).isEqualTo(10_000);
        }
        assertThat(ProcessHandle.of(registryPid).map(ProcessHandle::isAlive).orElse(false))
                .as("the registry child process is stopped with the demo").isFalse();
    }

    private static JsonNode account(final JsonNode balance) {
        return balance.get("accounts").get(0);
    }

    /** Runs one printed line in a shell, as a user pasting it would, and returns what it printed. */
    private static String run(final String commandLine) throws IOException, InterruptedException {
        final Process process = new ProcessBuilder("bash", "-c", commandLine).redirectErrorStream(true).start();
        try {
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("finished: %s", commandLine).isTrue();
            final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.exitValue()).as("exit code of %s: %s", commandLine, out).isZero();
            return out;
        } finally {
            process.destroyForcibly();
        }
    }

}
