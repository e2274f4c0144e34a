package io.bursar.topology.payments;

import static io.bursar.topology.testing.TestDrivers.count;
import static io.bursar.topology.testing.TestDrivers.header;
import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.CaptureHold;
import io.bursar.schemas.payments.CaptureHoldKind;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.CreditKind;
import io.bursar.schemas.payments.Debit;
import io.bursar.schemas.payments.DebitKind;
import io.bursar.schemas.payments.FundsHold;
import io.bursar.schemas.payments.HoldFunds;
import io.bursar.schemas.payments.HoldFundsKind;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentEventType;
import io.bursar.schemas.payments.ProcessedCommand;
import io.bursar.schemas.payments.RejectionReason;
import io.bursar.schemas.payments.ReleaseHold;
import io.bursar.schemas.payments.ReleaseHoldKind;
import io.bursar.serdes.Topics;
import io.bursar.topology.DeadLetterHandler;
import io.bursar.topology.testing.TestDrivers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every branch of the partner-balance topology through TopologyTestDriver, with wall-clock time driven by the test. */
class PartnerTopologyTest {

    private static final Instant START = Instant.parse("2026-11-25T10:00:00Z");
    private static final long RETENTION_MS = 60_000;
    private static final int WORK_MAX = 2;

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, PaymentCommand> commands;
    private TestInputTopic<byte[], byte[]> rawCommands;
    private TestOutputTopic<String, PaymentEvent> events;
    private TestOutputTopic<byte[], byte[]> deadLetters;
    private Topics topics;

    @BeforeEach
    void start() {
        topics = TestDrivers.topics(1);
        final StreamsBuilder builder = new StreamsBuilder();
        PartnerTopology.build(builder, topics, new PartnerTopologyConfig(Map.of(
                PartnerTopologyConfig.IDEMPOTENCY_RETENTION_MS, RETENTION_MS,
                PartnerTopologyConfig.PUNCTUATION_INTERVAL_MS, 1_000L,
                PartnerTopologyConfig.PUNCTUATION_WORK_MAX, WORK_MAX)));
        driver = new TopologyTestDriver(builder.build(), TestDrivers.properties("bursar-test", stateDir, topics), START);
        commands = TestDrivers.input(driver, topics.paymentCommands);
        // Bytes that are not Avro, on the same topic, to reach the deserialization handler.
        rawCommands = driver.createInputTopic(topics.paymentCommands.name(), new ByteArraySerializer(), new ByteArraySerializer());
        events = TestDrivers.output(driver, topics.paymentEvents);
        deadLetters = TestDrivers.output(driver, topics.deadLetters);
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void creditIsAcceptedAndShowsTheBalanceAfter() {
        final PaymentEvent event = send("c1", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));

        assertThat(event.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(event.getType()).isEqualTo(PaymentEventType.CREDIT);
        assertThat(event.getDuplicate()).isFalse();
        assertThat(event.getBalanceAfter().getAvailableMinor()).isEqualTo(1_000);
        assertThat(available("p1", "EUR")).isEqualTo(1_000);
    }

    @Test
    void debitWithinAvailableIsAccepted() {
        send("c1", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));

        final PaymentEvent event = send("c2", "p1", new Debit(DebitKind.DEBIT, eur(400)));

        assertThat(event.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(event.getBalanceAfter().getAvailableMinor()).isEqualTo(600);
        assertThat(available("p1", "EUR")).isEqualTo(600);
    }

    @Test
    void debitAboveAvailableIsRejectedWithoutEffect() {
        send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));

        final PaymentEvent event = send("c2", "p1", new Debit(DebitKind.DEBIT, eur(101)));

        assertThat(event.getOutcome()).isEqualTo(Outcome.REJECTED);
        assertThat(event.getReason()).isEqualTo(RejectionReason.INSUFFICIENT_FUNDS);
        assertThat(event.getBalanceAfter().getAvailableMinor()).isEqualTo(100);
        assertThat(available("p1", "EUR")).isEqualTo(100);
    }

    @Test
    void currenciesAreSeparateAccounts() {
        send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));

        final PaymentEvent event = send("c2", "p1", new Debit(DebitKind.DEBIT, money(50, "USD")));

        assertThat(event.getReason()).isEqualTo(RejectionReason.INSUFFICIENT_FUNDS);
        assertThat(available("p1", "EUR")).isEqualTo(100);
    }

    @Test
    void eachCommandsFirstResultAndNoReplayGoesToCommandOutcomesKeyedByCommandId() {
        final TestOutputTopic<String, PaymentEvent> outcomes = TestDrivers.output(driver, topics.commandOutcomes);
        send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));
        send("c2", "p1", new Debit(DebitKind.DEBIT, eur(500)));
        send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));
        send("c1", "p1", new Credit(CreditKind.CREDIT, eur(999)));

        final List<TestRecord<String, PaymentEvent>> written = outcomes.readRecordsToList();
        assertThat(written).extracting(TestRecord::key).containsExactly("c1", "c2");
        assertThat(written).extracting(record -> record.value().getDuplicate()).containsOnly(false);
        assertThat(written.get(1).value().getReason()).isEqualTo(RejectionReason.INSUFFICIENT_FUNDS);
    }

    @Test
    void repeatedCommandYieldsTheOriginalOutcomeAndNoSecondEffect() {
        send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));
        final PaymentEvent first = send("c2", "p1", new Debit(DebitKind.DEBIT, eur(70)));

        final PaymentEvent again = send("c2", "p1", new Debit(DebitKind.DEBIT, eur(70)));

        assertThat(again.getDuplicate()).isTrue();
        assertThat(again.getOutcome()).isEqualTo(first.getOutcome());
        assertThat(again.getBalanceAfter()).isEqualTo(first.getBalanceAfter());
        assertThat(again.getProcessedAt()).isEqualTo(first.getProcessedAt());
        assertThat(available("p1", "EUR")).isEqualTo(30);
    }

    @Test
    void repeatedRejectionStaysRejectedEvenWhenItWouldNowSucceed() {
        final PaymentEvent first = send("c1", "p1", new Debit(DebitKind.DEBIT, eur(70)));
        send("c2", "p1", new Credit(CreditKind.CREDIT, eur(100)));

        final PaymentEvent again = send("c1", "p1", new Debit(DebitKind.DEBIT, eur(70)));

        assertThat(first.getReason()).isEqualTo(RejectionReason.INSUFFICIENT_FUNDS);
        assertThat(again.getReason()).isEqualTo(RejectionReason.INSUFFICIENT_FUNDS);
        assertThat(again.getDuplicate()).isTrue();
        assertThat(available("p1", "EUR")).isEqualTo(100);
    }

    @Test
    void sameCommandIdWithAnotherPayloadIsAConflictWithoutEffect() {
        send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));

        final PaymentEvent conflict = send("c1", "p1", new Credit(CreditKind.CREDIT, eur(999)));

        assertThat(conflict.getOutcome()).isEqualTo(Outcome.REJECTED);
        assertThat(conflict.getReason()).isEqualTo(RejectionReason.IDEMPOTENCY_CONFLICT);
        assertThat(conflict.getDuplicate()).isTrue();
        assertThat(available("p1", "EUR")).isEqualTo(100);
    }

    @Test
    void issuedAtDoesNotMakeARetryAConflict() {
        send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));
        commands.pipeInput("p1", command("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)), START.plusSeconds(30)));

        assertThat(events.readValue().getDuplicate()).isTrue();
        assertThat(available("p1", "EUR")).isEqualTo(100);
    }

    @Test
    void aRepeatStampedBeforeTheFirstIsStillAReplay() {
        advance(Duration.ofSeconds(10));
        send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));
        // A second gateway, its clock five seconds behind the first's, sends the same command again.
        commands.pipeInput("p1", command("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)), START),
                START.plusSeconds(5));

        assertThat(events.readValue().getDuplicate()).isTrue();
        assertThat(available("p1", "EUR")).isEqualTo(100);
    }

    @Test
    void commandIdsAreRememberedForTheRetentionAndForgottenAfterIt() {
        for (int i = 0; i < 3; i++) {
            send("c" + i, "p1", new Credit(CreditKind.CREDIT, eur(10)));
        }
        final WindowStore<String, ProcessedCommand> results = driver.getWindowStore(PartnerProcessor.RESULTS_STORE);
        assertThat(count(results)).isEqualTo(3);

        advance(Duration.ofMillis(RETENTION_MS - 1_000));
        assertThat(send("c0", "p1", new Credit(CreditKind.CREDIT, eur(10))).getDuplicate()).isTrue();
        advance(Duration.ofMillis(2_000));
        final PaymentEvent again = send("c0", "p1", new Credit(CreditKind.CREDIT, eur(10)));
        assertThat(again.getDuplicate()).isFalse();
        assertThat(available("p1", "EUR")).isEqualTo(40);

        // Once time has moved past them, old results go with their segment, without a delete each.
        advance(Duration.ofMillis(3 * RETENTION_MS));
        send("d0", "p1", new Credit(CreditKind.CREDIT, eur(10)));
        assertThat(count(results)).isEqualTo(1);
    }

    @Test
    void holdMovesFundsFromAvailableToHeld() {
        send("c1", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));

        final PaymentEvent event = send("c2", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1", eur(300), 10_000L));

        assertThat(event.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(event.getHoldId()).isEqualTo("h1");
        assertThat(event.getBalanceAfter().getAvailableMinor()).isEqualTo(700);
        assertThat(event.getBalanceAfter().getHeldMinor()).isEqualTo(300);
        final FundsHold hold = holds().get("p1/h1");
        assertThat(hold.getExpiresAt()).isEqualTo(START.plusMillis(10_000L));
    }

    @Test
    void holdAboveAvailableIsRejected() {
        send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));

        final PaymentEvent event = send("c2", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1", eur(101), 10_000L));

        assertThat(event.getReason()).isEqualTo(RejectionReason.INSUFFICIENT_FUNDS);
        assertThat(holds().get("p1/h1")).isNull();
    }

    @Test
    void holdIdInUseIsRejected() {
        send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));
        send("c2", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1", eur(10), 10_000L));

        final PaymentEvent event = send("c3", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1", eur(10), 10_000L));

        assertThat(event.getReason()).isEqualTo(RejectionReason.HOLD_ALREADY_EXISTS);
        assertThat(available("p1", "EUR")).isEqualTo(90);
    }

    @Test
    void holdTtlOutsideTheLimitsIsRejected() {
        send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));

        assertThat(send("c2", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1", eur(10), 0L)).getReason()).isEqualTo(RejectionReason.INVALID_HOLD_TTL);
        assertThat(send("c3", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h2", eur(10), Long.MAX_VALUE)).getReason())
                .isEqualTo(RejectionReason.INVALID_HOLD_TTL);
    }

    @Test
    void captureTakesTheAmountAndReleasesTheRest() {
        send("c1", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        send("c2", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1", eur(300), 10_000L));

        final PaymentEvent event = send("c3", "p1", new CaptureHold(CaptureHoldKind.CAPTURE_HOLD, "h1", eur(200)));

        assertThat(event.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(event.getAmount().getAmountMinor()).isEqualTo(200);
        assertThat(event.getBalanceAfter().getAvailableMinor()).isEqualTo(800);
        assertThat(event.getBalanceAfter().getHeldMinor()).isZero();
        assertThat(holds().get("p1/h1")).isNull();
        assertThat(count(driver.getKeyValueStore(PartnerProcessor.HOLD_DEADLINES_STORE))).isZero();
    }

    @Test
    void captureMoreThanHeldIsRejectedAndTheHoldStays() {
        send("c1", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        send("c2", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1", eur(300), 10_000L));

        final PaymentEvent event = send("c3", "p1", new CaptureHold(CaptureHoldKind.CAPTURE_HOLD, "h1", eur(301)));

        assertThat(event.getReason()).isEqualTo(RejectionReason.CAPTURE_EXCEEDS_HOLD);
        assertThat(holds().get("p1/h1")).isNotNull();
        assertThat(available("p1", "EUR")).isEqualTo(700);
    }

    @Test
    void captureInAnotherCurrencyIsRejected() {
        send("c1", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        send("c2", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1", eur(300), 10_000L));

        assertThat(send("c3", "p1", new CaptureHold(CaptureHoldKind.CAPTURE_HOLD, "h1", money(100, "USD"))).getReason())
                .isEqualTo(RejectionReason.CURRENCY_MISMATCH);
    }

    @Test
    void releaseReturnsTheWholeHold() {
        send("c1", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        send("c2", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1", eur(300), 10_000L));

        final PaymentEvent event = send("c3", "p1", new ReleaseHold(ReleaseHoldKind.RELEASE_HOLD, "h1"));

        assertThat(event.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(event.getAmount().getAmountMinor()).isEqualTo(300);
        assertThat(available("p1", "EUR")).isEqualTo(1_000);
        assertThat(send("c4", "p1", new ReleaseHold(ReleaseHoldKind.RELEASE_HOLD, "h1")).getReason()).isEqualTo(RejectionReason.HOLD_NOT_FOUND);
    }

    @Test
    void unknownHoldIsRejected() {
        assertThat(send("c1", "p1", new CaptureHold(CaptureHoldKind.CAPTURE_HOLD, "nope", eur(1))).getReason()).isEqualTo(RejectionReason.HOLD_NOT_FOUND);
    }

    @Test
    void expiredHoldsAreReleasedByTheWallClockPunctuatorInBoundedBatches() {
        send("c0", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        for (int i = 1; i <= 3; i++) {
            send("h" + i, "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "hold-" + i, eur(100), 5_000L));
        }
        send("late", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "hold-late", eur(100), 60_000L));
        assertThat(available("p1", "EUR")).isEqualTo(600);

        advance(Duration.ofMillis(4_000));
        assertThat(events.isEmpty()).isTrue();

        advance(Duration.ofMillis(1_000));
        final List<PaymentEvent> firstBatch = events.readValuesToList();
        assertThat(firstBatch).hasSize(WORK_MAX);
        advance(Duration.ofMillis(1_000));
        final List<PaymentEvent> secondBatch = events.readValuesToList();
        assertThat(secondBatch).hasSize(1);

        assertThat(firstBatch.get(0).getType()).isEqualTo(PaymentEventType.HOLD_EXPIRED);
        assertThat(firstBatch.get(0).getCommandId()).isEqualTo(PartnerProcessor.EXPIRY_COMMAND_PREFIX + "h1");
        assertThat(secondBatch.get(0).getBalanceAfter().getHeldMinor()).isEqualTo(100);
        assertThat(available("p1", "EUR")).isEqualTo(900);
        assertThat(holds().get("p1/hold-late")).isNotNull();
    }

    @Test
    void captureAfterTheDeadlineIsRejectedEvenBeforeThePunctuatorRan() {
        send("c1", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        send("c2", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1", eur(300), 500L));
        // Records carry no wall-clock time: move the driver's clock without reaching a punctuation.
        advance(Duration.ofMillis(600));
        events.readValuesToList();

        final PaymentEvent capture = send("c3", "p1", new CaptureHold(CaptureHoldKind.CAPTURE_HOLD, "h1", eur(300)));

        assertThat(capture.getReason()).isEqualTo(RejectionReason.HOLD_EXPIRED);
        advance(Duration.ofMillis(400));
        assertThat(events.readValue().getType()).isEqualTo(PaymentEventType.HOLD_EXPIRED);
        assertThat(available("p1", "EUR")).isEqualTo(1_000);
    }

    @Test
    void invalidAmountsAndCurrenciesAreRejected() {
        assertThat(send("c1", "p1", new Credit(CreditKind.CREDIT, eur(0))).getReason()).isEqualTo(RejectionReason.INVALID_AMOUNT);
        assertThat(send("c2", "p1", new Credit(CreditKind.CREDIT, eur(-5))).getReason()).isEqualTo(RejectionReason.INVALID_AMOUNT);
        assertThat(send("c3", "p1", new Credit(CreditKind.CREDIT, money(5, "XYZ1"))).getReason()).isEqualTo(RejectionReason.INVALID_CURRENCY);
        assertThat(balances().get("p1")).isNull();
    }

    @Test
    void creditThatWouldOverflowIsRejected() {
        send("c1", "p1", new Credit(CreditKind.CREDIT, eur(Long.MAX_VALUE - 10)));

        assertThat(send("c2", "p1", new Credit(CreditKind.CREDIT, eur(11))).getReason()).isEqualTo(RejectionReason.BALANCE_OVERFLOW);
        assertThat(available("p1", "EUR")).isEqualTo(Long.MAX_VALUE - 10);
    }

    @Test
    void commandKeyedByAnotherPartnerIsRejected() {
        commands.pipeInput("p2", command("c1", "p1", new Credit(CreditKind.CREDIT, eur(10)), START));

        final TestRecord<String, PaymentEvent> event = events.readRecord();
        assertThat(event.value().getReason()).isEqualTo(RejectionReason.PARTNER_KEY_MISMATCH);
        assertThat(balances().get("p1")).isNull();
        assertThat(balances().get("p2")).isNull();
    }

    @Test
    void blankCommandIdIsRejectedAndNotRemembered() {
        assertThat(send(" ", "p1", new Credit(CreditKind.CREDIT, eur(10))).getReason()).isEqualTo(RejectionReason.INVALID_COMMAND);
        assertThat(send(" ", "p1", new Credit(CreditKind.CREDIT, eur(10))).getDuplicate()).isFalse();
        assertThat(count(driver.getWindowStore(PartnerProcessor.RESULTS_STORE))).isZero();
    }

    @Test
    void unreadableRecordGoesToTheDeadLetterTopicAndProcessingContinues() {
        final byte[] garbage = "not avro".getBytes(StandardCharsets.UTF_8);
        rawCommands.pipeInput(new StringSerializer().serialize("", "p1"), garbage);

        // The stream thread goes on: the next command is decided as usual.
        assertThat(send("c1", "p1", new Credit(CreditKind.CREDIT, eur(10))).getOutcome()).isEqualTo(Outcome.ACCEPTED);

        final TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
        assertThat(dead.value()).isEqualTo(garbage);
        assertThat(new String(dead.key(), StandardCharsets.UTF_8)).isEqualTo("p1");
        assertThat(header(dead, DeadLetterHandler.HEADER_ORIGIN_TOPIC)).isEqualTo(topics.paymentCommands.name());
        assertThat(header(dead, DeadLetterHandler.HEADER_ORIGIN_PARTITION)).isNotNull();
        assertThat(header(dead, DeadLetterHandler.HEADER_ORIGIN_OFFSET)).isEqualTo("0");
        assertThat(header(dead, DeadLetterHandler.HEADER_ERROR_CLASS)).contains("SerializationException");
        assertThat(header(dead, DeadLetterHandler.HEADER_ERROR_MESSAGE)).contains("magic byte");
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void balancesAlwaysEqualCreditsMinusDebitsMinusCaptures() {
        final java.util.Random random = new java.util.Random(42);
        long credited = 0;
        long debited = 0;
        long captured = 0;
        for (int i = 0; i < 2_000; i++) {
            final long amount = 1 + random.nextInt(500);
            final int op = random.nextInt(5);
            final String holdId = "h" + random.nextInt(20);
            final Object payload = switch (op) {
                case 0 -> new Credit(CreditKind.CREDIT, eur(amount));
                case 1 -> new Debit(DebitKind.DEBIT, eur(amount));
                case 2 -> new HoldFunds(HoldFundsKind.HOLD_FUNDS, holdId, eur(amount), 1_000L + random.nextInt(5_000));
                case 3 -> new CaptureHold(CaptureHoldKind.CAPTURE_HOLD, holdId, eur(amount));
                default -> new ReleaseHold(ReleaseHoldKind.RELEASE_HOLD, holdId);
            };
            final PaymentEvent event = send("c" + i, "p1", payload);
            if (event.getOutcome() == Outcome.ACCEPTED) {
                switch (event.getType()) {
                    case CREDIT -> credited += amount;
                    case DEBIT -> debited += amount;
                    case CAPTURE_HOLD -> captured += amount;
                    default -> { }
                }
            }
            if (random.nextInt(10) == 0) {
                advance(Duration.ofMillis(random.nextInt(2_000)));
                events.readValuesToList().forEach(e -> assertThat(e.getType()).isEqualTo(PaymentEventType.HOLD_EXPIRED));
            }
            final var account = balances().get("p1") == null ? null : balances().get("p1").getAccounts().get("EUR");
            if (account != null) {
                assertThat(account.getAvailableMinor()).isNotNegative();
                assertThat(account.getAvailableMinor() + account.getHeldMinor()).isEqualTo(credited - debited - captured);
            }
        }
    }

    /** Moves the driver's wall clock, and the time producers stamp on the commands they send, by {@code duration}. */
    private void advance(final Duration duration) {
        driver.advanceWallClockTime(duration);
        commands.advanceTime(duration);
        rawCommands.advanceTime(duration);
    }

    private PaymentEvent send(final String commandId, final String partnerId, final Object payload) {
        commands.pipeInput(partnerId, command(commandId, partnerId, payload, START));
        final List<PaymentEvent> out = events.readValuesToList();
        assertThat(out).as("events for %s", commandId).hasSize(1);
        return out.get(0);
    }

    private static PaymentCommand command(final String commandId, final String partnerId, final Object payload,
                                          final Instant issuedAt) {
        return PaymentCommand.newBuilder().setCommandId(commandId).setPartnerId(partnerId)
                .setIssuedAt(issuedAt).setPayload(payload).build();
    }

    private static Money eur(final long minor) {
        return money(minor, "EUR");
    }

    private static Money money(final long minor, final String currency) {
        return new Money(minor, currency);
    }

    private long available(final String partnerId, final String currency) {
        return balances().get(partnerId).getAccounts().get(currency).getAvailableMinor();
    }

    private KeyValueStore<String, PartnerBalance> balances() {
        return driver.getKeyValueStore(PartnerProcessor.BALANCES_STORE);
    }

    private KeyValueStore<String, FundsHold> holds() {
        return driver.getKeyValueStore(PartnerProcessor.HOLDS_STORE);
    }
}
