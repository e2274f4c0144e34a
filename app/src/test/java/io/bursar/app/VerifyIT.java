package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.app.bench.PaymentMix;
import io.bursar.app.verify.Audit;
import io.bursar.app.verify.AuditReport;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.CreditKind;
import io.bursar.schemas.payments.CurrencyAccount;
import io.bursar.schemas.payments.HoldFunds;
import io.bursar.schemas.payments.HoldFundsKind;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentEventType;
import io.bursar.schemas.payments.PaymentMethod;
import io.bursar.schemas.payments.RequestPayment;
import io.bursar.schemas.payments.RequestPaymentKind;
import io.bursar.serdes.Topics;
import io.bursar.topology.Misrouting;
import io.bursar.topology.payments.PartnerProcessor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code bursar verify} on the demo's real broker: a mixed load (balance commands, batches, a hold left to
 * expire, a provider payment, a misrouted and an unreadable command) audits clean once drained; then a
 * broken stored balance and a hand-written second result are each found, by the record that shows them.
 */
class VerifyIT {

    private static final int PARTNERS = 20;

    @Test
    void aDrainedMixedLoadAuditsCleanAndPlantedBreaksAreFoundByTheirRecords() throws Exception {
        try (Demo demo = Demo.start(0)) {
            final Topics topics = demo.node().topics();
            final PaymentMix mix = new PaymentMix("verify-it", PARTNERS, 0.8, 7L);
            final List<CompletableFuture<Void>> sent = new ArrayList<>();
            final List<PaymentCommand> credits = new ArrayList<>();
            for (int i = 0; i < PARTNERS; i++) {
                sent.add(demo.node().publisher().publish(mix.opening(i)));
            }
            for (int i = 0; i < 2_000; i++) {
                final PaymentCommand command = mix.next(i);
                if (command.getPayload() instanceof Credit) {
                    credits.add(command);
                }
                sent.add(demo.node().publisher().publish(command));
            }
            for (int i = 0; i < 20; i++) {
                sent.add(demo.node().publisher().publish(mix.nextBatch(i, 50)));
            }
            final String partner = PaymentMix.partnerId(0);
            sent.add(demo.node().publisher().publish(command("verify-it-short-hold", partner,
                    new HoldFunds(HoldFundsKind.HOLD_FUNDS, "short", new Money(100L, "EUR"), 500L))));
            sent.add(demo.node().publisher().publish(command("verify-it-provider", partner,
                    new RequestPayment(RequestPaymentKind.REQUEST_PAYMENT, "verify-it-pay", new Money(4_200L, "EUR"),
                            PaymentMethod.PROVIDER, Demo.PROVIDER_ID, null, null))));
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get();
            try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, demo.bootstrapServers()), new StringSerializer(),
                    new ByteArraySerializer())) {
                final int partitions = topics.paymentCommands.partitions();
                final int wrong = (Misrouting.partitionOf(partner, partitions) + 1) % partitions;
                raw.send(new ProducerRecord<>(topics.paymentCommands.name(), wrong, partner,
                        topics.paymentCommands.valueSerde().serializer().serialize(topics.paymentCommands.name(),
                                command("verify-it-misrouted", partner, new Credit(CreditKind.CREDIT,
                                        new Money(1L, "EUR")))))).get();
                raw.send(new ProducerRecord<>(topics.paymentCommands.name(), partner,
                        "not avro".getBytes(StandardCharsets.UTF_8))).get();
            }

            final BursarConfig config = new BursarConfig(properties(demo));
            final Map<String, Integer> rates = VerifyCommand.configuredRates(properties(demo));
            assertThat(rates).containsKey(Demo.PROVIDER_ID);
            final AuditReport[] last = new AuditReport[1];
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
                last[0] = VerifyCommand.audit(config, settings(true, rates), null);
                assertThat(last[0].clean()).as(last[0].text()).isTrue();
                assertThat(last[0].counts().get("holds expired")).as("the short hold expired").isNotNull();
                assertThat(last[0].counts().get("payments not final")).isZero();
            });
            final AuditReport clean = last[0];
            assertThat(clean.counts().get("payment commands read")).isGreaterThanOrEqualTo(2_000L + PARTNERS + 20 + 3);
            assertThat(clean.counts().get("payment events")).isGreaterThanOrEqualTo(2_000L + PARTNERS + 20 + 3);
            assertThat(clean.counts().get("unreadable commands")).isEqualTo(1);
            assertThat(clean.counts().get("dead letters")).isGreaterThanOrEqualTo(1);
            // The load's partners, the demo's sample partners and its lending investor.
            assertThat(clean.counts().get("partners re-derived")).isEqualTo(PARTNERS + Demo.SAMPLE_PARTNERS.size() + 1);
            assertThat(clean.counts().get("provider calls")).isGreaterThanOrEqualTo(1);

            // A broken balance: the store says one cent more than the events give.
            final String victim = PaymentMix.partnerId(1);
            final String changelog = Demo.APPLICATION_ID + "-" + PartnerProcessor.BALANCES_STORE + "-changelog";
            final long plantedAt;
            try (KafkaProducer<String, PartnerBalance> producer = new KafkaProducer<>(producerConfig(demo),
                    new StringSerializer(), topics.valueSerde(PartnerBalance.class).serializer())) {
                plantedAt = producer.send(new ProducerRecord<>(changelog, Misrouting.partitionOf(victim,
                        topics.paymentCommands.partitions()), victim, new PartnerBalance(victim,
                        Map.of("EUR", new CurrencyAccount(PaymentMix.OPENING_MINOR, 0L)), Instant.now()))).get().offset();
            }
            final AuditReport broken = VerifyCommand.audit(config, settings(true, rates), null);
            assertThat(broken.violationsOf(Audit.Check.BALANCE_MISMATCH)).as(broken.text()).isEqualTo(1);
            final Audit.Violation mismatch = broken.violations().get(0);
            assertThat(mismatch.at().topic()).isEqualTo(changelog);
            assertThat(mismatch.at().offset()).isEqualTo(plantedAt);
            assertThat(mismatch.detail()).contains(victim);
            final JsonNode json = new ObjectMapper().readTree(broken.json());
            assertThat(json.get("clean").asBoolean()).isFalse();
            assertThat(json.get("violations").get(0).get("offset").asLong()).isEqualTo(plantedAt);
            assertThat(new CommandLine(new Bursar()).execute("verify", "--config", demo.configFile().toString(),
                    "--json")).as("the command's exit code").isEqualTo(VerifyCommand.VIOLATIONS);

            // A second result for a command: a hand-written copy of a credit's event.
            final PaymentCommand credit = credits.get(credits.size() - 1);
            final long duplicateAt;
            try (KafkaProducer<String, PaymentEvent> producer = new KafkaProducer<>(producerConfig(demo),
                    new StringSerializer(), topics.paymentEvents.valueSerde().serializer())) {
                duplicateAt = producer.send(new ProducerRecord<>(topics.paymentEvents.name(), credit.getPartnerId(),
                        PaymentEvent.newBuilder().setCommandId(credit.getCommandId()).setPartnerId(credit.getPartnerId())
                                .setType(PaymentEventType.CREDIT).setOutcome(Outcome.ACCEPTED)
                                .setAmount(((Credit) credit.getPayload()).getAmount())
                                .setProcessedAt(Instant.now()).build())).get().offset();
            }
            final AuditReport twice = VerifyCommand.audit(config, settings(true, rates), null);
            assertThat(twice.violationsOf(Audit.Check.ONE_RESULT_PER_COMMAND)).as(twice.text()).isEqualTo(1);
            assertThat(twice.violations()).anySatisfy(violation -> {
                assertThat(violation.check()).isEqualTo(Audit.Check.ONE_RESULT_PER_COMMAND.name());
                assertThat(violation.at().topic()).isEqualTo(topics.paymentEvents.name());
                assertThat(violation.at().offset()).isEqualTo(duplicateAt);
            });
            assertThat(twice.violationsOf(Audit.Check.BALANCE_MISMATCH)).as("the credit counted twice")
                    .isEqualTo(credit.getPartnerId().equals(victim) ? 1 : 2);
        }
    }

    private static Audit.Settings settings(final boolean drained, final Map<String, Integer> rates) {
        return new Audit.Settings(System.currentTimeMillis(), 60_000, drained, rates);
    }

    private static Map<String, Object> producerConfig(final Demo demo) {
        return Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, demo.bootstrapServers());
    }

    private static java.util.Properties properties(final Demo demo) throws Exception {
        final java.util.Properties props = new java.util.Properties();
        try (java.io.Reader reader = java.nio.file.Files.newBufferedReader(demo.configFile())) {
            props.load(reader);
        }
        return props;
    }

    private static PaymentCommand command(final String commandId, final String partnerId, final Object payload) {
        return PaymentCommand.newBuilder().setCommandId(commandId).setPartnerId(partnerId).setIssuedAt(Instant.now())
                .setPayload(payload).build();
    }
}
