package io.bursar.topology.payments;

import static io.bursar.topology.testing.Payments.eur;
import static io.bursar.topology.testing.TestDrivers.count;
import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.schemas.payments.ApplyBatch;
import io.bursar.schemas.payments.ApplyBatchKind;
import io.bursar.schemas.payments.BalanceOperation;
import io.bursar.schemas.payments.BalanceOperationType;
import io.bursar.schemas.payments.CaptureHold;
import io.bursar.schemas.payments.CaptureHoldKind;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.CreditKind;
import io.bursar.schemas.payments.CurrencyAccount;
import io.bursar.schemas.payments.Debit;
import io.bursar.schemas.payments.DebitKind;
import io.bursar.schemas.payments.FundsHold;
import io.bursar.schemas.payments.HoldFunds;
import io.bursar.schemas.payments.HoldFundsKind;
import io.bursar.schemas.payments.OperationResult;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentEventType;
import io.bursar.schemas.payments.RejectionReason;
import io.bursar.schemas.payments.ReleaseHold;
import io.bursar.schemas.payments.ReleaseHoldKind;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ApplyBatch through the partner topology: many balance operations in one command, one result, one write. */
class ApplyBatchTopologyTest {

    private static final Instant START = Instant.parse("2026-12-06T10:00:00Z");
    private static final int OPERATIONS_MAX = 500;

    @AutoClose
    private final PartnerDriver partner;

    ApplyBatchTopologyTest(@TempDir final Path stateDir) {
        partner = PartnerDriver.builder(stateDir).applicationId("bursar-batch-test").startingAt(START)
                .settings(Map.of(
                        PartnerTopologyConfig.BATCH_OPERATIONS_MAX, OPERATIONS_MAX,
                        PartnerTopologyConfig.PUNCTUATION_INTERVAL_MS, 1_000L)).start();
    }

    @Test
    void eachOperationIsAppliedOrRejectedOnItsOwnAndTheBalanceIsWrittenOnce() {
        final PaymentEvent event = send("b1", "p1", false, credit(1_000), debit(300), debit(5_000),
                hold("h1", 200), capture("h1", 150));

        assertThat(event.getType()).isEqualTo(PaymentEventType.APPLY_BATCH);
        assertThat(event.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(event.getBatch().getOperations()).extracting(OperationResult::getOutcome, OperationResult::getReason)
                .containsExactly(accepted(), accepted(), rejected(RejectionReason.INSUFFICIENT_FUNDS), accepted(),
                        accepted());
        assertThat(event.getBatch().getApplied()).isEqualTo(4);
        // 1,000 − 300 − 200 held, of which 150 captured and 50 back.
        assertThat(event.getBatch().getBalancesAfter()).singleElement().satisfies(after -> {
            assertThat(after.getAvailableMinor()).isEqualTo(550);
            assertThat(after.getHeldMinor()).isZero();
        });
        assertThat(account("p1")).isEqualTo(new CurrencyAccount(550L, 0L));
        assertThat(count(partner.holds())).isZero();
    }

    @Test
    void anAtomicBatchWithARejectedOperationChangesNothing() {
        partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        partner.send("c1", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "kept", eur(100), 60_000L));

        final PaymentEvent event = send("b1", "p1", true, credit(500), release("kept"), debit(10_000), hold("h2", 10));

        assertThat(event.getOutcome()).isEqualTo(Outcome.REJECTED);
        assertThat(event.getReason()).isEqualTo(RejectionReason.INSUFFICIENT_FUNDS);
        assertThat(event.getBatch().getOperations()).extracting(OperationResult::getReason).containsExactly(
                RejectionReason.NOT_APPLIED, RejectionReason.NOT_APPLIED, RejectionReason.INSUFFICIENT_FUNDS,
                RejectionReason.NOT_APPLIED);
        assertThat(event.getBatch().getApplied()).isZero();
        assertThat(account("p1")).isEqualTo(new CurrencyAccount(900L, 100L));
        assertThat(partner.holds().get("p1/kept")).isNotNull();
        assertThat(partner.holds().get("p1/h2")).isNull();
    }

    @Test
    void anAtomicBatchThatPassesIsAppliedWhole() {
        final PaymentEvent event = send("b1", "p1", true, credit(500), hold("h1", 100), debit(400));

        assertThat(event.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(event.getBatch().getApplied()).isEqualTo(3);
        assertThat(account("p1")).isEqualTo(new CurrencyAccount(0L, 100L));
        assertThat(partner.holds().get("p1/h1").getAmount().getAmountMinor()).isEqualTo(100);
    }

    @Test
    void aHoldMadeAndEndedInOneBatchNeverReachesTheStoreAndAStoredOneEndsThere() {
        partner.send("c0", "p1", new Credit(CreditKind.CREDIT, eur(1_000)));
        partner.send("c1", "p1", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "old", eur(100), 60_000L));

        send("b1", "p1", false, hold("new", 50), release("new"), release("old"), hold("old", 30));

        assertThat(partner.holds().get("p1/new")).isNull();
        assertThat(partner.holds().get("p1/old").getAmount().getAmountMinor()).isEqualTo(30);
        assertThat(account("p1")).isEqualTo(new CurrencyAccount(970L, 30L));
        // The re-made hold expires on its own deadline; the ended one's entry is gone.
        partner.driver.advanceWallClockTime(Duration.ofMinutes(2));
        assertThat(account("p1")).isEqualTo(new CurrencyAccount(1_000L, 0L));
        assertThat(count(partner.holds())).isZero();
    }

    @Test
    void aReplayAnswersTheOriginalAndAnotherPayloadIsAConflict() {
        final PaymentEvent first = send("b1", "p1", false, credit(100), credit(200));
        final PaymentEvent again = send("b1", "p1", false, credit(100), credit(200));
        final PaymentEvent other = send("b1", "p1", false, credit(100));

        assertThat(again.getDuplicate()).isTrue();
        assertThat(again.getBatch()).isEqualTo(first.getBatch());
        assertThat(other.getReason()).isEqualTo(RejectionReason.IDEMPOTENCY_CONFLICT);
        assertThat(account("p1")).isEqualTo(new CurrencyAccount(300L, 0L));
    }

    @Test
    void aBatchTooLargeOrEmptyOrWithAMissingFieldIsRejected() {
        final List<BalanceOperation> many = new ArrayList<>();
        for (int i = 0; i <= OPERATIONS_MAX; i++) {
            many.add(credit(1));
        }
        assertThat(partner.send("b1", "p1", batch(false, many)).getReason()).isEqualTo(RejectionReason.BATCH_TOO_LARGE);
        assertThat(partner.send("b2", "p1", batch(false, List.of())).getReason())
                .isEqualTo(RejectionReason.INVALID_COMMAND);
        final PaymentEvent missing = send("b3", "p1", false, new BalanceOperation(BalanceOperationType.CREDIT, null,
                null, null), credit(5));
        assertThat(missing.getBatch().getOperations()).extracting(OperationResult::getReason)
                .containsExactly(RejectionReason.INVALID_COMMAND, null);
        assertThat(account("p1")).isEqualTo(new CurrencyAccount(5L, 0L));
    }

    @Test
    void aBatchEndsWhereTheSameOperationsSentOneByOneEnd() {
        final Random random = new Random(7);
        final List<BalanceOperation> operations = new ArrayList<>();
        final List<Object> singles = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            final long amount = 1 + random.nextInt(500);
            final String holdId = "h" + random.nextInt(20);
            switch (random.nextInt(5)) {
                case 0 -> {
                    operations.add(credit(amount));
                    singles.add(new Credit(CreditKind.CREDIT, eur(amount)));
                }
                case 1 -> {
                    operations.add(debit(amount));
                    singles.add(new Debit(DebitKind.DEBIT, eur(amount)));
                }
                case 2 -> {
                    operations.add(hold(holdId, amount));
                    singles.add(new HoldFunds(HoldFundsKind.HOLD_FUNDS, holdId, eur(amount), 60_000L));
                }
                case 3 -> {
                    operations.add(capture(holdId, amount));
                    singles.add(new CaptureHold(CaptureHoldKind.CAPTURE_HOLD, holdId, eur(amount)));
                }
                default -> {
                    operations.add(release(holdId));
                    singles.add(new ReleaseHold(ReleaseHoldKind.RELEASE_HOLD, holdId));
                }
            }
        }
        final PaymentEvent batch = partner.send("batch", "batched", batch(false, operations));
        final List<RejectionReason> oneByOne = new ArrayList<>();
        for (int i = 0; i < singles.size(); i++) {
            oneByOne.add(partner.send("single-" + i, "single", singles.get(i)).getReason());
        }

        assertThat(batch.getBatch().getOperations()).extracting(OperationResult::getReason).containsExactlyElementsOf(oneByOne);
        assertThat(account("batched")).isEqualTo(account("single"));
        final CurrencyAccount after = account("batched");
        assertThat(after.getAvailableMinor()).isNotNegative();
        assertThat(after.getHeldMinor()).isEqualTo(heldInStore("batched"));
    }

    private long heldInStore(final String partnerId) {
        long held = 0;
        try (var all = partner.holds().all()) {
            while (all.hasNext()) {
                final FundsHold hold = all.next().value;
                if (hold.getPartnerId().equals(partnerId)) {
                    held += hold.getAmount().getAmountMinor();
                }
            }
        }
        return held;
    }

    private CurrencyAccount account(final String partnerId) {
        return partner.account(partnerId, "EUR");
    }

    private PaymentEvent send(final String commandId, final String partnerId, final boolean atomic,
                              final BalanceOperation... operations) {
        return partner.send(commandId, partnerId, batch(atomic, List.of(operations)));
    }

    private static ApplyBatch batch(final boolean atomic, final List<BalanceOperation> operations) {
        return new ApplyBatch(ApplyBatchKind.APPLY_BATCH, atomic, operations);
    }

    private static BalanceOperation credit(final long minor) {
        return new BalanceOperation(BalanceOperationType.CREDIT, eur(minor), null, null);
    }

    private static BalanceOperation debit(final long minor) {
        return new BalanceOperation(BalanceOperationType.DEBIT, eur(minor), null, null);
    }

    private static BalanceOperation hold(final String holdId, final long minor) {
        return new BalanceOperation(BalanceOperationType.HOLD_FUNDS, eur(minor), holdId, 60_000L);
    }

    private static BalanceOperation capture(final String holdId, final long minor) {
        return new BalanceOperation(BalanceOperationType.CAPTURE_HOLD, eur(minor), holdId, null);
    }

    private static BalanceOperation release(final String holdId) {
        return new BalanceOperation(BalanceOperationType.RELEASE_HOLD, null, holdId, null);
    }

    private static Tuple accepted() {
        return Tuple.tuple(Outcome.ACCEPTED, null);
    }

    private static Tuple rejected(final RejectionReason reason) {
        return Tuple.tuple(Outcome.REJECTED, reason);
    }
}
