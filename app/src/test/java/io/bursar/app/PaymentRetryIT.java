package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.bursar.app.kafka.EmbeddedKafkaBroker;
import io.bursar.app.verify.Audit;
import io.bursar.app.verify.AuditReport;
import io.bursar.app.verify.Auditor;
import io.bursar.connectors.HttpJsonConnector;
import io.bursar.connectors.ProviderSetting;
import io.bursar.sandbox.ProviderSimulator;
import io.bursar.sandbox.SimulatorConfig;
import io.bursar.topology.dispatch.ProviderDispatchConfig;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A provider that charges but answers too late, until every attempt has run out: the payment ends DEAD_LETTERED
 * although the provider did charge. Once the provider is back, an admin retries it through the gateway: it is
 * QUEUED again, the provider is asked with the same idempotency key and answers with the charge it made, so the
 * payment SUCCEEDS, the partner is credited once, nothing is charged twice, and the audit is clean.
 */
class PaymentRetryIT {

    private static final String PROVIDER = "sim";
    private static final long AMOUNT = 4_200;

    @RegisterExtension
    final Started started = new Started();

    @Test
    void aDeadLetteredPaymentRetriedByAnAdminIsChargedOnceAndSucceeds() throws Exception {
        final EmbeddedKafkaBroker broker = started.broker();
        // Every call is made but answered after the client's timeout: charged, yet never known to be.
        final ProviderSimulator simulator = started.track(ProviderSimulator.start(SimulatorConfig.defaults()
                .withFailureRates(0, 0, 1.0).withTimeoutDelay(Duration.ofMillis(1_500)).withRateLimitPerSecond(0)
                .withDedupe(true)));
        final BursarConfig config = Started.config(broker, "payment-retry", started.adminKey(), Map.of(
                ProviderDispatchConfig.ATTEMPTS_MAX, "3",
                ProviderDispatchConfig.BACKOFF_BASE_MS, "100",
                ProviderDispatchConfig.BACKOFF_CAP_MS, "200",
                providerKey(ProviderSetting.TYPE), HttpJsonConnector.TYPE,
                providerKey(ProviderSetting.URL), simulator.baseUrl().toString(),
                providerKey(ProviderSetting.REQUEST_TIMEOUT_MS), "300"));
        final BursarNode node = started.node(config);
        final GatewayCalls gateway = new GatewayCalls(node, started.adminKey(), Duration.ofSeconds(30));

        assertThat(gateway.send("POST", "/v1/payments", "{\"paymentId\":\"pay-late\",\"partnerId\":\"acme\","
                + "\"amountMinor\":" + AMOUNT + ",\"currency\":\"EUR\",\"method\":\"PROVIDER\",\"providerId\":\""
                + PROVIDER + "\"}").statusCode()).isEqualTo(202);
        final JsonNode deadLettered = awaitStatus(gateway, "pay-late", "DEAD_LETTERED");
        assertThat(deadLettered.get("attempts").asInt()).isEqualTo(3);
        assertThat(simulator.stats().successfulCharges()).as("the provider did charge").isEqualTo(1);
        assertThat(balance(gateway)).as("not credited: the charge was never confirmed").isZero();

        // The provider is back; the admin retries the payment (a partner may not).
        simulator.setFailureRates(0, 0, 0);
        final HttpResponse<String> retried = gateway.send("POST", "/v1/payments/pay-late/retry", "");
        assertThat(retried.statusCode()).as(retried.body()).isEqualTo(202);

        final JsonNode succeeded = awaitStatus(gateway, "pay-late", "SUCCEEDED");
        assertThat(succeeded.get("retries").asInt()).isEqualTo(1);
        final String retryCommand = gateway.json(retried).get("commandId").asText();
        final JsonNode outcome = gateway.json(gateway.send("GET", "/v1/commands/" + retryCommand + "?waitMs=10000",
                null));
        assertThat(outcome.get("type").asText()).isEqualTo("RETRY_PAYMENT");
        assertThat(outcome.get("outcome").asText()).isEqualTo("ACCEPTED");
        // Answered with the charge made during the dead-lettered attempts: one charge, credited once.
        assertThat(simulator.stats().successfulCharges()).isEqualTo(1);
        assertThat(simulator.stats().duplicateCharges()).isZero();
        assertThat(simulator.stats().idempotentReplays()).isGreaterThanOrEqualTo(1);
        assertThat(balance(gateway)).isEqualTo(AMOUNT);
        // A second retry of a payment that succeeded (sent in one hop, under its partner) is refused by the processor.
        final String again = gateway.json(gateway.send("POST", "/v1/partners/acme/payments/pay-late/retry", ""))
                .get("commandId").asText();
        assertThat(gateway.json(gateway.send("GET", "/v1/commands/" + again + "?waitMs=10000", null))
                .get("reason").asText()).isEqualTo("PAYMENT_NOT_RETRYABLE");

        final AuditReport audit = new Auditor(config.kafkaClientConfig(), node.topics(), "payment-retry", null)
                .run(new Audit.Settings(System.currentTimeMillis(), 60_000, true, Map.of()));
        assertThat(audit.clean()).as(audit.text()).isTrue();
    }

    private static JsonNode awaitStatus(final GatewayCalls gateway, final String paymentId, final String status)
            throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        JsonNode payment = null;
        while (System.nanoTime() < deadline) {
            final HttpResponse<String> answer = gateway.send("GET", "/v1/payments/" + paymentId, null);
            if (answer.statusCode() == 200) {
                payment = gateway.json(answer);
                if (status.equals(payment.get("status").asText())) {
                    return payment;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError(paymentId + " never reached " + status + "; last seen " + payment);
    }

    private static long balance(final GatewayCalls gateway) throws Exception {
        final HttpResponse<String> answer = gateway.send("GET", "/v1/partners/acme/balance", null);
        if (answer.statusCode() != 200) {
            return 0;
        }
        for (final JsonNode account : gateway.json(answer).get("accounts")) {
            if ("EUR".equals(account.get("currency").asText())) {
                return account.get("availableMinor").asLong();
            }
        }
        return 0;
    }

    private static String providerKey(final ProviderSetting setting) {
        return ProviderSetting.PREFIX + PROVIDER + "." + setting.suffix();
    }
}
