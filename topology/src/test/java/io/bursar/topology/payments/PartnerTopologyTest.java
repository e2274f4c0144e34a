package io.bursar.topology.payments;

import static io.bursar.topology.payments.PartnerDriver.START;
import static io.bursar.topology.testing.Payments.command;
import static io.bursar.topology.testing.Payments.eur;
import static io.bursar.topology.testing.Payments.money;
import static io.bursar.topology.testing.TestDrivers.count;
import static io.bursar.topology.testing.TestDrivers.header;
import static org.assertj.core.api.Assertions.assertThat;

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
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentEventType;
import io.bursar.schemas.payments.ProcessedCommand;
import io.bursar.schemas.payments.RejectionReason;
import io.bursar.schemas.payments.ReleaseHold;
import io.bursar.schemas.payments.ReleaseHoldKind;
import io.bursar.topology.DeadLetterHandler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every branch of the partner-balance topology through TopologyTestDriver, with wall-clock time driven by the test. */
class PartnerTopologyTest {

    private static final long RETENTION_MS = 60_000;
    private static final int WORK_MAX = 2;

    @AutoClose
    private final PartnerDriver partner;

    PartnerTopologyTest(@TempDir final Path stateDir) {
        partner = PartnerDriver.builder(stateDir).settings(Map.of(
                PartnerTopologyConfig.IDEMPOTENCY_RETENTION_MS, RETENTION_MS,
                PartnerTopologyConfig.PUNCTUATION_INTERVAL_MS, 1_000L,
                PartnerTopologyConfig.PUNCTUATION_WORK_MAX, WORK_MAX)).start();
    }

    @Test
    void creditIsAcceptedAndShowsTheBalanceAfter() {
        final PaymentEvent event = partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));

        assertThat(event.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(event.getType()).isEqualTo(PaymentEventType.CREDIT);
        assertThat(event.getDuplicate()).isFalse();
        assertThat(event.getBalanceAfter().getAvailableMinor()).isEqualTo(1_000);
        assertThat(available("p1", "EUR")).isEqualTo(1_000);
    }

    @Test
    void debitWithinAvailableIsAccepted() {
        partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));

        final PaymentEvent event = partner.send("c2", "p1", new Debit(DebitKind.DEBIT, eur(400)));

        assertThat(event.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(event.getBalanceAfter().getAvailableMinor()).isEqualTo(600);
        assertThat(available("p1", "EUR")).isEqualTo(600);
    }

    @Test
    void debitAboveAvailableIsRejectedWithoutEffect() {
        partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));

        final PaymentEvent event = partner.send("c2", "p1", new Debit(DebitKind.DEBIT, eur(101)));

        assertThat(event.getOutcome()).isEqualTo(Outcome.REJECTED);
        assertThat(event.getReason()).isEqualTo(RejectionReason.INSUFFICIENT_FUNDS);
        assertThat(event.getBalanceAfter().getAvailableMinor()).isEqualTo(100);
        assertThat(available("p1", "EUR")).isEqualTo(100);
    }

    @Test
    void currenciesAreSeparateAccounts() {
        partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));

        final PaymentEvent event = partner.send("c2", "p1", new Debit(DebitKind.DEBIT, money(50, "USD")));

        assertThat(event.getReason()).isEqualTo(RejectionReason.INSUFFICIENT_FUNDS);
        assertThat(available("p1", "EUR")).isEqualTo(100);
    }

    @Test
    void eachCommandsFirstResultAndNoReplayGoesToCommandOutcomesKeyedByCommandId() {
        final TestOutputTopic<String, PaymentEvent> outcomes = partner.output(partner.topics.commandOutcomes);
        partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));
        partner.send("c2", "p1", new Debit(DebitKind.DEBIT, eur(500)));
        partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));
        partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(999)));

        final List<TestRecord<String, PaymentEvent>> written = outcomes.readRecordsToList();
        assertThat(written).extracting(TestRecord::key).containsExactly("c1", "c2");
        assertThat(written).extracting(record -> record.value().getDuplicate()).containsOnly(false);
        assertThat(written.get(1).value().getReason()).isEqualTo(RejectionReason.INSUFFICIENT_FUNDS);
    }

    @Test
    void repeatedCommandYieldsTheOriginalOutcomeAndNoSecondEffect() {
        partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));
        final PaymentEvent first = partner.send("c2", "p1", new Debit(DebitKind.DEBIT, eur(70)));

        final PaymentEvent again = partner.send("c2", "p1", new Debit(DebitKind.DEBIT, eur(70)));

        assertThat(again.getDuplicate()).isTrue();
        assertThat(again.getOutcome()).isEqualTo(first.getOutcome());
        assertThat(again.getBalanceAfter()).isEqualTo(first.getBalanceAfter());
        assertThat(again.getProcessedAt()).isEqualTo(first.getProcessedAt());
        assertThat(available("p1", "EUR")).isEqualTo(30);
    }

    @Test
    void repeatedRejectionStaysRejectedEvenWhenItWouldNowSucceed() {
        final PaymentEvent first = partner.send("c1", "p1", new Debit(DebitKind.DEBIT, eur(70)));
        partner.send("c2", "p1", new Credit(CreditKind.CREDIT, eur(100)));

        final PaymentEvent again = partner.send("c1", "p1", new Debit(DebitKind.DEBIT, eur(70)));

        assertThat(first.getReason()).isEqualTo(RejectionReason.INSUFFICIENT_FUNDS);
        assertThat(again.getReason()).isEqualTo(RejectionReason.INSUFFICIENT_FUNDS);
        assertThat(again.getDuplicate()).isTrue();
        assertThat(available("p1", "EUR")).isEqualTo(100);
    }

    @Test
    void sameCommandIdWithAnotherPayloadIsAConflictWithoutEffect() {
        partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));

        final PaymentEvent conflict = partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(999)));

        assertThat(conflict.getOutcome()).isEqualTo(Outcome.REJECTED);
        assertThat(conflict.getReason()).isEqualTo(RejectionReason.IDEMPOTENCY_CONFLICT);
        assertThat(conflict.getDuplicate()).isTrue();
        assertThat(available("p1", "EUR")).isEqualTo(100);
    }

    @Test
    void issuedAtDoesNotMakeARetryAConflict() {
        partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));
        partner.commands.pipeInput("p1",
                command("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)), START.plusSeconds(30)));

        assertThat(partner.events.readValue().getDuplicate()).isTrue();
        assertThat(available("p1", "EUR")).isEqualTo(100);
    }

    @Test
    void aRepeatStampedBeforeTheFirstIsStillAReplay() {
        partner.advance(Duration.ofSeconds(10));
        partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));
        // A second gateway, its clock five seconds behind the first's, sends the same command again.
        partner.commands.pipeInput("p1", command("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)), START),
                START.plusSeconds(5));

        assertThat(partner.events.readValue().getDuplicate()).isTrue();
        assertThat(available("p1", "EUR")).isEqualTo(100);
    }

    @Test
    void commandIdsAreRememberedForTheRetentionAndForgottenAfterIt() {
        for (int i = 0; i < 3; i++) {
            partner.send("c" + i, "p1", new Credit(CreditKind.CREDIT, eur(10)));
        }
        final WindowStore<String, ProcessedCommand> results =
                partner.driver.getWindowStore(PartnerProcessor.RESULTS_STORE);
        assertThat(count(results)).isEqualTo(3);

        partner.advance(Duration.ofMillis(RETENTION_MS - 1_000));
        assertThat(partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(10))).getDuplicate()).isTrue();
        partner.advance(Duration.ofMillis(2_000));
        final PaymentEvent again = partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(10)));
        assertThat(again.getDuplicate()).isFalse();
        assertThat(available("p1", "EUR")).isEqualTo(40);

        // Once time has moved past them, old results go with their segment, without a delete each.
        partner.advance(Duration.ofMillis(3 * RETENTION_MS));
        partner.send("d0", "p1", new Credit(CreditKind.CREDIT, eur(10)));
        assertThat(count(results)).isEqualTo(1);
    }

    @Test
    void holdMovesFundsFromAvailableToHeld() {
        partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));

        final PaymentEvent event = partner.send("c2", "p1",
                new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1", eur(300), 10_000L));

        assertThat(event.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(event.getHoldId()).isEqualTo("h1");
        assertThat(event.getBalanceAfter().getAvailableMinor()).isEqualTo(700);
        assertThat(event.getBalanceAfter().getHeldMinor()).isEqualTo(300);
        final FundsHold hold = partner.holds().get("p1/h1");
        assertThat(hold.getExpiresAt()).isEqualTo(START.plusMillis(10_000L));
    }

    @Test
    void holdAboveAvailableIsRejected() {
        partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));

        final PaymentEvent event = partner.send("c2", "p1",
                new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1", eur(101), 10_000L));

        assertThat(event.getReason()).isEqualTo(RejectionReason.INSUFFICIENT_FUNDS);
        assertThat(partner.holds().get("p1/h1")).isNull();
    }

    @Test
    void holdIdInUseIsRejected() {
        partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));
        partner.send("c2", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1", eur(10), 10_000L));

        final PaymentEvent event = partner.send("c3", "p1",
                new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1", eur(10), 10_000L));

        assertThat(event.getReason()).isEqualTo(RejectionReason.HOLD_ALREADY_EXISTS);
        assertThat(available("p1", "EUR")).isEqualTo(90);
    }

    @Test
    void holdTtlOutsideTheLimitsIsRejected() {
        partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(100)));

        assertThat(partner.send("c2", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1", eur(10), 0L)).getReason())
                .isEqualTo(RejectionReason.INVALID_HOLD_TTL);
        assertThat(partner.send("c3", "p1",
                new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h2", eur(10), Long.MAX_VALUE)).getReason())
                .isEqualTo(RejectionReason.INVALID_HOLD_TTL);
    }

    @Test
    void captureTakesTheAmountAndReleasesTheRest() {
        partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        partner.send("c2", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1", eur(300), 10_000L));

        final PaymentEvent event = partner.send("c3", "p1",
                new CaptureHold(CaptureHoldKind.CAPTURE_HOLD, "h1", eur(200)));

        assertThat(event.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(event.getAmount().getAmountMinor()).isEqualTo(200);
        assertThat(event.getBalanceAfter().getAvailableMinor()).isEqualTo(800);
        assertThat(event.getBalanceAfter().getHeldMinor()).isZero();
        assertThat(partner.holds().get("p1/h1")).isNull();
        assertThat(count(partner.driver.getKeyValueStore(PartnerProcessor.HOLD_DEADLINES_STORE))).isZero();
    }

    @Test
    void captureMoreThanHeldIsRejectedAndTheHoldStays() {
        partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        partner.send("c2", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1", eur(300), 10_000L));

        final PaymentEvent event = partner.send("c3", "p1",
                new CaptureHold(CaptureHoldKind.CAPTURE_HOLD, "h1", eur(301)));

        assertThat(event.getReason()).isEqualTo(RejectionReason.CAPTURE_EXCEEDS_HOLD);
        assertThat(partner.holds().get("p1/h1")).isNotNull();
        assertThat(available("p1", "EUR")).isEqualTo(700);
    }

    @Test
    void captureInAnotherCurrencyIsRejected() {
        partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        partner.send("c2", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1", eur(300), 10_000L));

        assertThat(partner.send("c3", "p1",
                new CaptureHold(CaptureHoldKind.CAPTURE_HOLD, "h1", money(100, "USD"))).getReason())
                .isEqualTo(RejectionReason.CURRENCY_MISMATCH);
    }

    @Test
    void releaseReturnsTheWholeHold() {
        partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        partner.send("c2", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1", eur(300), 10_000L));

        final PaymentEvent event = partner.send("c3", "p1", new ReleaseHold(ReleaseHoldKind.RELEASE_HOLD, "h1"));

        assertThat(event.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(event.getAmount().getAmountMinor()).isEqualTo(300);
        assertThat(available("p1", "EUR")).isEqualTo(1_000);
        assertThat(partner.send("c4", "p1", new ReleaseHold(ReleaseHoldKind.RELEASE_HOLD, "h1")).getReason())
                .isEqualTo(RejectionReason.HOLD_NOT_FOUND);
    }

    @Test
    void unknownHoldIsRejected() {
        assertThat(partner.send("c1", "p1", new CaptureHold(CaptureHoldKind.CAPTURE_HOLD, "nope", eur(1))).getReason())
                .isEqualTo(RejectionReason.HOLD_NOT_FOUND);
    }

    @Test
    void expiredHoldsAreReleasedByTheWallClockPunctuatorInBoundedBatches() {
        partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        for (int i = 1; i <= 3; i++) {
            partner.send("h" + i, "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "hold-" + i, eur(100), 5_000L));
        }
        partner.send("late", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "hold-late", eur(100), 60_000L));
        assertThat(available("p1", "EUR")).isEqualTo(600);

        partner.advance(Duration.ofMillis(4_000));
        assertThat(partner.events.isEmpty()).isTrue();

        partner.advance(Duration.ofMillis(1_000));
        final List<PaymentEvent> firstBatch = partner.events.readValuesToList();
        assertThat(firstBatch).hasSize(WORK_MAX);
        partner.advance(Duration.ofMillis(1_000));
        final List<PaymentEvent> secondBatch = partner.events.readValuesToList();
        assertThat(secondBatch).hasSize(1);

        assertThat(firstBatch.get(0).getType()).isEqualTo(PaymentEventType.HOLD_EXPIRED);
        assertThat(firstBatch.get(0).getCommandId()).isEqualTo(PartnerProcessor.EXPIRY_COMMAND_PREFIX + "h1");
        assertThat(secondBatch.get(0).getBalanceAfter().getHeldMinor()).isEqualTo(100);
        assertThat(available("p1", "EUR")).isEqualTo(900);
        assertThat(partner.holds().get("p1/hold-late")).isNotNull();
    }

    @Test
    void captureAfterTheDeadlineIsRejectedEvenBeforeThePunctuatorRan() {
        partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        partner.send("c2", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1", eur(300), 500L));
        // Records carry no wall-clock time: move the driver's clock without reaching a punctuation.
        partner.advance(Duration.ofMillis(600));
        partner.events.readValuesToList();

        final PaymentEvent capture = partner.send("c3", "p1",
                new CaptureHold(CaptureHoldKind.CAPTURE_HOLD, "h1", eur(300)));

        assertThat(capture.getReason()).isEqualTo(RejectionReason.HOLD_EXPIRED);
        partner.advance(Duration.ofMillis(400));
        assertThat(partner.events.readValue().getType()).isEqualTo(PaymentEventType.HOLD_EXPIRED);
        assertThat(available("p1", "EUR")).isEqualTo(1_000);
    }

    @Test
    void invalidAmountsAndCurrenciesAreRejected() {
        assertThat(partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(0))).getReason())
                .isEqualTo(RejectionReason.INVALID_AMOUNT);
        assertThat(partner.send("c2", "p1", new Credit(CreditKind.CREDIT, eur(-5))).getReason())
                .isEqualTo(RejectionReason.INVALID_AMOUNT);
        assertThat(partner.send("c3", "p1", new Credit(CreditKind.CREDIT, money(5, "XYZ1"))).getReason())
                .isEqualTo(RejectionReason.INVALID_CURRENCY);
        assertThat(partner.balances().get("p1")).isNull();
    }

    @Test
    void creditThatWouldOverflowIsRejected() {
        partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(Long.MAX_VALUE - 10)));

        assertThat(partner.send("c2", "p1", new Credit(CreditKind.CREDIT, eur(11))).getReason())
                .isEqualTo(RejectionReason.BALANCE_OVERFLOW);
        assertThat(available("p1", "EUR")).isEqualTo(Long.MAX_VALUE - 10);
    }

    @Test
    void commandKeyedByAnotherPartnerIsRejected() {
        partner.commands.pipeInput("p2", command("c1", "p1", new Credit(CreditKind.CREDIT, eur(10)), START));

        final TestRecord<String, PaymentEvent> event = partner.events.readRecord();
        assertThat(event.value().getReason()).isEqualTo(RejectionReason.PARTNER_KEY_MISMATCH);
        assertThat(partner.balances().get("p1")).isNull();
        assertThat(partner.balances().get("p2")).isNull();
    }

    @Test
    void blankCommandIdIsRejectedAndNotRemembered() {
        assertThat(partner.send(" ", "p1", new Credit(CreditKind.CREDIT, eur(10))).getReason())
                .isEqualTo(RejectionReason.INVALID_COMMAND);
        assertThat(partner.send(" ", "p1", new Credit(CreditKind.CREDIT, eur(10))).getDuplicate()).isFalse();
        assertThat(count(partner.driver.getWindowStore(PartnerProcessor.RESULTS_STORE))).isZero();
    }

    @Test
    void unreadableRecordGoesToTheDeadLetterTopicAndProcessingContinues() {
        final byte[] garbage = "not avro".getBytes(StandardCharsets.UTF_8);
        partner.rawCommands.pipeInput(new StringSerializer().serialize("", "p1"), garbage);

        // The stream thread goes on: the next command is decided as usual.
        assertThat(partner.send("c1", "p1", new Credit(CreditKind.CREDIT, eur(10))).getOutcome())
                .isEqualTo(Outcome.ACCEPTED);

        final TestRecord<byte[], byte[]> dead = partner.deadLetters.readRecord();
        assertThat(dead.value()).isEqualTo(garbage);
        assertThat(new String(dead.key(), StandardCharsets.UTF_8)).isEqualTo("p1");
        assertThat(header(dead, DeadLetterHandler.HEADER_ORIGIN_TOPIC))
                .isEqualTo(partner.topics.paymentCommands.name());
        assertThat(header(dead, DeadLetterHandler.HEADER_ORIGIN_PARTITION)).isNotNull();
        assertThat(header(dead, DeadLetterHandler.HEADER_ORIGIN_OFFSET)).isEqualTo("0");
        assertThat(header(dead, DeadLetterHandler.HEADER_ERROR_CLASS)).contains("SerializationException");
        assertThat(header(dead, DeadLetterHandler.HEADER_ERROR_MESSAGE)).contains("magic byte");
        assertThat(partner.deadLetters.isEmpty()).isTrue();
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
            final PaymentEvent event = partner.send("c" + i, "p1", payload);
            if (event.getOutcome() == Outcome.ACCEPTED) {
                switch (event.getType()) {
                    case CREDIT -> credited += amount;
                    case DEBIT -> debited += amount;
                    case CAPTURE_HOLD -> captured += amount;
                    default -> { }
                }
            }
            if (random.nextInt(10) == 0) {
                partner.advance(Duration.ofMillis(random.nextInt(2_000)));
                partner.events.readValuesToList()
                        .forEach(e -> assertThat(e.getType()).isEqualTo(PaymentEventType.HOLD_EXPIRED));
            }
            final var account = partner.balances().get("p1") == null ? null
                    : partner.balances().get("p1").getAccounts().get("EUR");
            if (account != null) {
                assertThat(account.getAvailableMinor()).isNotNegative();
                assertThat(account.getAvailableMinor() + account.getHeldMinor()).isEqualTo(credited - debited - captured);
            }
        }
    }

    private long available(final String partnerId, final String currency) {
        return partner.account(partnerId, currency).getAvailableMinor();
    }
}
