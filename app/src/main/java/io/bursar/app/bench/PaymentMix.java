package io.bursar.app.bench;

import io.bursar.schemas.common.Money;
import io.bursar.schemas.payments.ApplyBatch;
import io.bursar.schemas.payments.ApplyBatchKind;
import io.bursar.schemas.payments.BalanceOperation;
import io.bursar.schemas.payments.BalanceOperationType;
import io.bursar.schemas.payments.CaptureHold;
import io.bursar.schemas.payments.CaptureHoldKind;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.CreditKind;
import io.bursar.schemas.payments.Debit;
import io.bursar.schemas.payments.DebitKind;
import io.bursar.schemas.payments.HoldFunds;
import io.bursar.schemas.payments.HoldFundsKind;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentMethod;
import io.bursar.schemas.payments.ReleaseHold;
import io.bursar.schemas.payments.ReleaseHoldKind;
import io.bursar.schemas.payments.RequestPayment;
import io.bursar.schemas.payments.RequestPaymentKind;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Random;

/**
 * A realistic stream of balance commands over {@code partners} partners: credits 30 %, debits 30 %, holds
 * 15 %, captures 7 %, releases 7 % (of holds opened before for the same partner), BALANCE payments 11 %.
 * Partners are drawn uniformly or, with a Zipf exponent above 0, with a few hot ones (rank r has weight
 * 1/r^s). Deterministic for a seed. Not thread-safe.
 */
public final class PaymentMix {

    static final String CURRENCY = "EUR";
    /** Each partner's opening credit: large enough that debits, holds and payments are mostly accepted. */
    public static final long OPENING_MINOR = 1_000_000_000_000L;
    private static final long HOLD_TTL_MS = 600_000L;
    private static final int OPEN_HOLDS_MAX = 64;

    private final String runId;
    private final double[] cumulative;
    private final Random random;
    private final Deque<String>[] openHolds;

    @SuppressWarnings("unchecked")
    public PaymentMix(final String runId, final int partners, final double zipfExponent, final long seed) {
        if (partners < 1 || zipfExponent < 0) {
            throw new IllegalArgumentException("partners >= 1 and zipf >= 0 needed");
        }
        this.runId = runId;
        this.random = new Random(seed);
        this.cumulative = new double[partners];
        double total = 0;
        for (int rank = 1; rank <= partners; rank++) {
            total += 1.0 / Math.pow(rank, zipfExponent);
            cumulative[rank - 1] = total;
        }
        for (int i = 0; i < partners; i++) {
            cumulative[i] /= total;
        }
        this.openHolds = new Deque[partners];
        for (int i = 0; i < partners; i++) {
            openHolds[i] = new ArrayDeque<>();
        }
    }

    public int partners() {
        return cumulative.length;
    }

    public static String partnerId(final int index) {
        return "bench-partner-" + index;
    }

    /** The opening credit of partner {@code index}. */
    public PaymentCommand opening(final int index) {
        return command(runId + "-open-" + index, partnerId(index),
                new Credit(CreditKind.CREDIT, money(OPENING_MINOR)));
    }

    /** Command number {@code sequence} of the mix; its commandId is {@code <runId>-<sequence>}. */
    public PaymentCommand next(final long sequence) {
        final int partner = drawPartner();
        final String partnerId = partnerId(partner);
        final String commandId = runId + "-" + sequence;
        final int roll = random.nextInt(100);
        final Deque<String> holds = openHolds[partner];
        final Object payload;
        if (roll < 30) {
            payload = new Credit(CreditKind.CREDIT, money(1 + random.nextInt(10_000)));
        } else if (roll < 60) {
            payload = new Debit(DebitKind.DEBIT, money(1 + random.nextInt(10_000)));
        } else if (roll < 75 && holds.size() < OPEN_HOLDS_MAX) {
            final String holdId = "h-" + sequence;
            holds.addLast(holdId);
            payload = new HoldFunds(HoldFundsKind.HOLD_FUNDS, holdId, money(1_000 + random.nextInt(1_000)), HOLD_TTL_MS);
        } else if (roll < 82 && !holds.isEmpty()) {
            payload = new CaptureHold(CaptureHoldKind.CAPTURE_HOLD, holds.pollFirst(), money(500));
        } else if (roll < 89 && !holds.isEmpty()) {
            payload = new ReleaseHold(ReleaseHoldKind.RELEASE_HOLD, holds.pollFirst());
        } else {
            payload = new RequestPayment(RequestPaymentKind.REQUEST_PAYMENT, "pay-" + commandId,
                    money(1 + random.nextInt(5_000)), PaymentMethod.BALANCE, null, null, null);
        }
        return command(commandId, partnerId, payload);
    }

    /**
     * Batch number {@code sequence}: {@code size} operations of one partner in the proportions of the mix
     * (BALANCE payments become debits, which is what they do to the balance); its commandId is
     * {@code <runId>-batch-<sequence>}.
     */
    public PaymentCommand nextBatch(final long sequence, final int size) {
        final int partner = drawPartner();
        final Deque<String> holds = openHolds[partner];
        final List<BalanceOperation> operations = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            final int roll = random.nextInt(100);
            if (roll < 30) {
                operations.add(operation(BalanceOperationType.CREDIT, 1 + random.nextInt(10_000), null, null));
            } else if (roll < 75 && holds.size() < OPEN_HOLDS_MAX && roll >= 60) {
                final String holdId = "bh-" + sequence + "-" + i;
                holds.addLast(holdId);
                operations.add(operation(BalanceOperationType.HOLD_FUNDS, 1_000 + random.nextInt(1_000), holdId,
                        HOLD_TTL_MS));
            } else if (roll >= 75 && roll < 82 && !holds.isEmpty()) {
                operations.add(operation(BalanceOperationType.CAPTURE_HOLD, 500, holds.pollFirst(), null));
            } else if (roll >= 82 && roll < 89 && !holds.isEmpty()) {
                operations.add(new BalanceOperation(BalanceOperationType.RELEASE_HOLD, null, holds.pollFirst(), null));
            } else {
                operations.add(operation(BalanceOperationType.DEBIT, 1 + random.nextInt(10_000), null, null));
            }
        }
        return command(runId + "-batch-" + sequence, partnerId(partner),
                new ApplyBatch(ApplyBatchKind.APPLY_BATCH, false, operations));
    }

    private static BalanceOperation operation(final BalanceOperationType type, final long minor, final String holdId,
                                              final Long ttlMs) {
        return new BalanceOperation(type, money(minor), holdId, ttlMs);
    }

    private int drawPartner() {
        final int found = Arrays.binarySearch(cumulative, random.nextDouble());
        return Math.min(found >= 0 ? found : -found - 1, cumulative.length - 1);
    }

    private static PaymentCommand command(final String commandId, final String partnerId, final Object payload) {
        return PaymentCommand.newBuilder().setCommandId(commandId).setPartnerId(partnerId)
                .setIssuedAt(Instant.now()).setPayload(payload).build();
    }

    private static Money money(final long minor) {
        return new Money(minor, CURRENCY);
    }
}
