package io.bursar.topology.payments;

import io.bursar.schemas.common.Money;
import io.bursar.schemas.dispatch.ProviderCallResult;
import io.bursar.schemas.payments.ApplyBatch;
import io.bursar.schemas.payments.BalanceOperation;
import io.bursar.schemas.payments.BalanceOperationType;
import io.bursar.schemas.payments.BatchResult;
import io.bursar.schemas.payments.BalanceSnapshot;
import io.bursar.schemas.payments.CaptureHold;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.Debit;
import io.bursar.schemas.payments.FundsHold;
import io.bursar.schemas.payments.HoldFunds;
import io.bursar.schemas.payments.OperationResult;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentEventType;
import io.bursar.schemas.payments.ProcessedCommand;
import io.bursar.schemas.payments.RefundPayment;
import io.bursar.schemas.payments.RetryPayment;
import io.bursar.schemas.payments.RejectionReason;
import io.bursar.schemas.payments.ReleaseHold;
import io.bursar.schemas.payments.RequestPayment;
import io.bursar.topology.CommandMemory;
import io.bursar.topology.DeadlineIndex;
import io.bursar.topology.Generation;
import io.bursar.topology.LogClock;
import io.bursar.topology.Misrouting;
import io.bursar.topology.Outbox;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides every command on {@code payment-commands} and every provider answer on {@code provider-results}
 * and owns the partners' balances, funds holds and payments: the single writer for the partners of its
 * partition (a single writer, without locks). Both inputs are keyed by partnerId and
 * co-partitioned, so a payment and the balance it moves change in one transaction.
 *
 * <p>Each command yields exactly one {@link PaymentEvent} with {@code duplicate = false}; a repeated
 * commandId yields the original outcome again, or IDEMPOTENCY_CONFLICT for another payload, both
 * marked {@code duplicate = true} and without effect; results are remembered for the retention in a
 * window store that drops its old segments whole. Time is the log's ({@link LogClock}): a wall-clock punctuator that
 * finds a hold due sends a tick to the task's partition, and the tick ends the holds due through a deadline index,
 * a bounded number per tick. {@code process()} does no I/O other than its own state stores.
 *
 * <p>A record that arrived on a partition its key does not map to is refused before any store is read
 * ({@link Misrouting}): a command gets a WRONG_PARTITION rejection, a provider result goes back out
 * unchanged, with the reason in its headers, for the dead-letter topic.
 *
 * <p>Out go {@link PaymentEvent}s (keyed by paymentId when about a payment, else by partnerId),
 * {@link io.bursar.schemas.dispatch.ProviderCall}s for the dispatcher (keyed by providerId) and refused
 * {@link ProviderCallResult}s.
 */
public final class PartnerProcessor implements Processor<String, SpecificRecord, String, SpecificRecord> {

    /** partnerId → {@link PartnerBalance}. */
    public static final String BALANCES_STORE = "partner-balances";
    /** partnerId/holdId → active {@link FundsHold}. */
    public static final String HOLDS_STORE = "funds-holds";
    /** Deadline index of {@link #HOLDS_STORE}: expiresAt. */
    public static final String HOLD_DEADLINES_STORE = "funds-hold-deadlines";
    /**
     * partnerId/commandId → {@link ProcessedCommand}, for idempotency: a window store kept for the idempotency
     * retention, whose old segments are dropped whole (no deadline index, no tombstones).
     */
    public static final String RESULTS_STORE = "partner-command-memory";
    /** partnerId/paymentId → {@link Payment}. */
    public static final String PAYMENTS_STORE = "partner-payments";

    /** Between the partnerId and the rest of every store key here: {@code partnerId/paymentId}, and so on. */
    static final char KEY_SEPARATOR = '/';

    /**
     * The key of a partner's hold or payment in {@link #HOLDS_STORE} and {@link #PAYMENTS_STORE}: unambiguous,
     * as partner ids never contain the separator.
     */
    public static String partnerScopedKey(final String partnerId, final String id) {
        return partnerId + KEY_SEPARATOR + id;
    }

    /** Prefix of the commandId of the event a hold expiry emits: {@code expired:<HoldFunds commandId>}. */
    public static final String EXPIRY_COMMAND_PREFIX = "expired:";

    private static final Logger LOG = LoggerFactory.getLogger(PartnerProcessor.class);

    private final PartnerTopologyConfig config;
    private final Misrouting misrouting;
    private final Generation generation;
    private ProcessorContext<String, SpecificRecord> context;
    private BalanceBook book;
    private PaymentFlow payments;
    private FundsHolds holds;
    private CommandMemory<ProcessedCommand> memory;

    public PartnerProcessor(final PartnerTopologyConfig config, final Misrouting misrouting,
                                   final Generation generation) {
        this.config = Objects.requireNonNull(config, "config");
        this.misrouting = Objects.requireNonNull(misrouting, "misrouting");
        this.generation = Objects.requireNonNull(generation, "generation");
    }

    @Override
    public void init(final ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.book = new BalanceBook(context.getStateStore(BALANCES_STORE));
        this.payments = new PaymentFlow(context.getStateStore(PAYMENTS_STORE), book);
        this.holds = new FundsHolds(context.getStateStore(HOLDS_STORE),
                new DeadlineIndex(context.getStateStore(HOLD_DEADLINES_STORE)));
        this.memory = new CommandMemory<>(context.getStateStore(RESULTS_STORE), config.idempotencyRetention(),
                ProcessedCommand::getFingerprint);
        context.schedule(config.punctuationInterval(), PunctuationType.WALL_CLOCK_TIME, this::tickIfDue);
    }

    @Override
    public void process(final Record<String, SpecificRecord> record) {
        final long nowMs = LogClock.now(context, record);
        if (LogClock.isTick(record)) {
            expireDue(nowMs);
            return;
        }
        // Before any store is read: on this partition the key's state is a second, wrong copy.
        final String misrouted = misrouting.check(context, record.key());
        if (record.value() instanceof PaymentCommand command) {
            if (misrouted != null) {
                emit(misrouted(command, misrouted, nowMs), nowMs);
                return;
            }
            process(record.key(), command, nowMs);
        } else if (record.value() instanceof ProviderCallResult result) {
            if (misrouted != null) {
                // Only the dispatcher writes here; no client waits on this record. Keep it for repair.
                context.forward(Misrouting.refused(context, record, misrouted));
                return;
            }
            final PaymentEvent updated = payments.onProviderResult(result, nowMs);
            if (updated != null) {
                emit(updated, nowMs);
            }
        } else {
            // A tombstone carries nothing to answer: nothing to decide, nothing lost.
            LOG.warn("Ignoring a null record for key {}", record.key());
        }
    }

    private void process(final String key, final PaymentCommand command, final long nowMs) {
        if (command.getCommandId().isBlank() || command.getPartnerId().indexOf(KEY_SEPARATOR) >= 0) {
            // Without an id there is nothing to remember it by. A partnerId holding the store keys' separator
            // would share keys with another partner's ids (partner "a/b" + payment "c" is partner "a" + payment
            // "b/c") and could refund its payments or capture its holds. Answer, but keep no result.
            emit(reject(command, typeOf(command), RejectionReason.INVALID_COMMAND, nowMs), nowMs);
            return;
        }
        final CommandMemory.Recall<ProcessedCommand> recall = memory.recall(command.getPartnerId(),
                command.getCommandId(), (SpecificRecord) command.getPayload(), nowMs);
        if (recall instanceof CommandMemory.Recall.Repeat<ProcessedCommand> repeat) {
            emit(replay(repeat.earlier()), nowMs);
            return;
        } else if (recall instanceof CommandMemory.Recall.Conflict<ProcessedCommand>) {
            final PaymentEvent conflict = reject(command, typeOf(command), RejectionReason.IDEMPOTENCY_CONFLICT, nowMs);
            conflict.setDuplicate(true);
            emit(conflict, nowMs);
            return;
        }
        final ByteBuffer fingerprint = ((CommandMemory.Recall.First<ProcessedCommand>) recall).fingerprint();
        final Outbox out = new Outbox();
        final PaymentEvent result = decide(key, command, nowMs, out);
        memory.remember(command.getPartnerId(), command.getCommandId(), new ProcessedCommand(command.getCommandId(),
                fingerprint, result, Instant.ofEpochMilli(memory.rememberedUntil(nowMs))), nowMs);
        // The result first, then the calls it decided on.
        emit(result, nowMs);
        out.forwardTo(context, nowMs, generation);
    }

    private void emit(final PaymentEvent event, final long nowMs) {
        context.forward(generation.stamp(new Record<>(PaymentEvents.keyOf(event), event, nowMs)));
    }

    /**
     * The answer to a command that arrived on a partition its partner does not belong to: rejected, with no
     * balance (this partition's copy of the partner is not the partner's), and not remembered, so the same
     * command sent to the right partition is applied there.
     */
    private static PaymentEvent misrouted(final PaymentCommand command, final String detail, final long nowMs) {
        final PaymentEvent event = event(command.getCommandId(), command.getPartnerId(), typeOf(command),
                Outcome.REJECTED, RejectionReason.WRONG_PARTITION, amountOf(command.getPayload()),
                holdIdOf(command.getPayload()), null, nowMs);
        event.setDetail(detail);
        return event;
    }

    /** The original outcome of a repeated command, with the payment as it stands now (it may have moved on since). */
    private PaymentEvent replay(final ProcessedCommand earlier) {
        final PaymentEvent original = PaymentEvent.newBuilder(earlier.getResult()).build();
        original.setDuplicate(true);
        final Payment payment = original.getPayment();
        if (payment != null) {
            final Payment current = payments.find(payment.getPartnerId(), payment.getPaymentId());
            original.setPayment(current != null ? current : payment);
        }
        return original;
    }

    /** Validates and applies one first-seen command; returns its result. */
    private PaymentEvent decide(final String key, final PaymentCommand command, final long nowMs, final Outbox out) {
        final PaymentEventType type = typeOf(command);
        if (command.getPartnerId().isBlank()) {
            return reject(command, type, RejectionReason.INVALID_COMMAND, nowMs);
        }
        if (!command.getPartnerId().equals(key)) {
            // Keyed by another partner, the command sits in a partition that may not own this partner.
            return reject(command, type, RejectionReason.PARTNER_KEY_MISMATCH, nowMs);
        }
        final Object payload = command.getPayload();
        if (payload instanceof RequestPayment request) {
            return payments.request(command, request, nowMs, out);
        } else if (payload instanceof RefundPayment refund) {
            return payments.refund(command, refund, nowMs, out);
        } else if (payload instanceof RetryPayment retry) {
            return payments.retry(command, retry, nowMs, out);
        }
        return decideBalance(command, type, payload, nowMs);
    }

    private PaymentEvent decideBalance(final PaymentCommand command, final PaymentEventType type,
                                       final Object payload, final long nowMs) {
        if (payload instanceof ApplyBatch batch) {
            return batch(command, batch, nowMs);
        }
        final BalanceOperations work = operations(command.getPartnerId(), nowMs);
        final BalanceOperations.Result result;
        final String holdId;
        if (payload instanceof Credit credit) {
            result = work.credit(credit.getAmount());
            holdId = null;
        } else if (payload instanceof Debit debit) {
            result = work.debit(debit.getAmount());
            holdId = null;
        } else if (payload instanceof HoldFunds hold) {
            result = work.hold(hold.getHoldId(), hold.getAmount(), hold.getTtlMs(), command.getCommandId());
            holdId = hold.getHoldId();
        } else if (payload instanceof CaptureHold capture) {
            result = work.capture(capture.getHoldId(), capture.getAmount());
            holdId = capture.getHoldId();
        } else if (payload instanceof ReleaseHold release) {
            result = work.release(release.getHoldId());
            holdId = release.getHoldId();
        } else {
            return reject(command, type, RejectionReason.INVALID_COMMAND, nowMs);
        }
        if (!result.applied()) {
            return reject(command, type, result.reason(), nowMs);
        }
        work.commit();
        final String currency = result.amount().getCurrency();
        return event(command.getCommandId(), command.getPartnerId(), type, Outcome.ACCEPTED, null, result.amount(),
                holdId, work.snapshot(currency), nowMs);
    }

    /**
     * Applies a batch's operations in order on one working copy of the partner, written once. Atomic: the first
     * rejection rejects the batch with its reason, the operations before it are undone (NOT_APPLIED) and those
     * after it are not tried. Otherwise each is applied or rejected on its own, and the batch is ACCEPTED.
     */
    private PaymentEvent batch(final PaymentCommand command, final ApplyBatch batch, final long nowMs) {
        final List<BalanceOperation> operations = batch.getOperations();
        if (operations.isEmpty()) {
            return reject(command, PaymentEventType.APPLY_BATCH, RejectionReason.INVALID_COMMAND, nowMs);
        }
        if (operations.size() > config.batchOperationsMax()) {
            return reject(command, PaymentEventType.APPLY_BATCH, RejectionReason.BATCH_TOO_LARGE, nowMs);
        }
        final BalanceOperations work = operations(command.getPartnerId(), nowMs);
        final List<OperationResult> outcomes = new ArrayList<>(operations.size());
        int applied = 0;
        RejectionReason failed = null;
        for (final BalanceOperation operation : operations) {
            final BalanceOperations.Result result = apply(work, operation, command.getCommandId());
            outcomes.add(new OperationResult(result.applied() ? Outcome.ACCEPTED : Outcome.REJECTED, result.reason()));
            if (result.applied()) {
                applied++;
            } else if (batch.getAtomic()) {
                failed = result.reason();
                break;
            }
        }
        final PaymentEvent event;
        if (failed != null) {
            for (int i = 0; i < operations.size(); i++) {
                if (i >= outcomes.size()) {
                    outcomes.add(new OperationResult(Outcome.REJECTED, RejectionReason.NOT_APPLIED));
                } else if (outcomes.get(i).getOutcome() == Outcome.ACCEPTED) {
                    outcomes.set(i, new OperationResult(Outcome.REJECTED, RejectionReason.NOT_APPLIED));
                }
            }
            event = event(command.getCommandId(), command.getPartnerId(), PaymentEventType.APPLY_BATCH,
                    Outcome.REJECTED, failed, null, null, null, nowMs);
            event.setBatch(new BatchResult(outcomes, 0, operations(command.getPartnerId(), nowMs).snapshots()));
        } else {
            work.commit();
            event = event(command.getCommandId(), command.getPartnerId(), PaymentEventType.APPLY_BATCH,
                    Outcome.ACCEPTED, null, null, null, null, nowMs);
            event.setBatch(new BatchResult(outcomes, applied, work.snapshots()));
        }
        return event;
    }

    private static BalanceOperations.Result apply(final BalanceOperations work, final BalanceOperation operation,
                                                  final String commandId) {
        final BalanceOperationType type = operation.getType();
        final boolean needsAmount = type != BalanceOperationType.RELEASE_HOLD;
        final boolean needsHold = type == BalanceOperationType.HOLD_FUNDS || type == BalanceOperationType.CAPTURE_HOLD
                || type == BalanceOperationType.RELEASE_HOLD;
        if (type == null || needsAmount && operation.getAmount() == null || needsHold && operation.getHoldId() == null
                || type == BalanceOperationType.HOLD_FUNDS && operation.getTtlMs() == null) {
            return BalanceOperations.Result.rejected(RejectionReason.INVALID_COMMAND);
        }
        return switch (type) {
            case CREDIT -> work.credit(operation.getAmount());
            case DEBIT -> work.debit(operation.getAmount());
            case HOLD_FUNDS -> work.hold(operation.getHoldId(), operation.getAmount(), operation.getTtlMs(), commandId);
            case CAPTURE_HOLD -> work.capture(operation.getHoldId(), operation.getAmount());
            case RELEASE_HOLD -> work.release(operation.getHoldId());
        };
    }

    private BalanceOperations operations(final String partnerId, final long nowMs) {
        return new BalanceOperations(book, holds, config.holdTtlMsMax(), partnerId, nowMs);
    }

    /** On the wall clock: when a hold is due, a tick to this task's partition, which ends it when it comes back. */
    private void tickIfDue(final long wallMs) {
        if (holds.hasDue(wallMs)) {
            context.forward(LogClock.tick(context, wallMs));
        }
    }

    private void expireDue(final long nowMs) {
        final int workMax = config.punctuationWorkMax();
        for (final Map.Entry<String, FundsHold> due : holds.pollExpired(nowMs, workMax)) {
            final String holdKey = due.getKey();
            final FundsHold hold = due.getValue();
            final BalanceOperations work = operations(hold.getPartnerId(), nowMs);
            work.expire(holdKey, hold);
            work.commit();
            final PaymentEvent expired = event(EXPIRY_COMMAND_PREFIX + hold.getCommandId(), hold.getPartnerId(),
                    PaymentEventType.HOLD_EXPIRED, Outcome.ACCEPTED, null, hold.getAmount(), hold.getHoldId(),
                    work.snapshot(hold.getAmount().getCurrency()), nowMs);
            emit(expired, nowMs);
        }
    }

    private PaymentEvent reject(final PaymentCommand command, final PaymentEventType type,
                                final RejectionReason reason, final long nowMs) {
        final Money amount = amountOf(command.getPayload());
        BalanceSnapshot after = null;
        if (amount != null) {
            after = book.peek(command.getPartnerId(), amount.getCurrency());
        }
        return event(command.getCommandId(), command.getPartnerId(), type, Outcome.REJECTED, reason, amount,
                holdIdOf(command.getPayload()), after, nowMs);
    }

    private static PaymentEvent event(final String commandId, final String partnerId, final PaymentEventType type,
                                      final Outcome outcome, final RejectionReason reason, final Money amount,
                                      final String holdId, final BalanceSnapshot after, final long nowMs) {
        return PaymentEvents.event(commandId, partnerId, type, outcome, reason, amount, holdId, after, null, nowMs);
    }

    static PaymentEventType typeOf(final PaymentCommand command) {
        final Object payload = command.getPayload();
        if (payload instanceof Credit) {
            return PaymentEventType.CREDIT;
        } else if (payload instanceof Debit) {
            return PaymentEventType.DEBIT;
        } else if (payload instanceof HoldFunds) {
            return PaymentEventType.HOLD_FUNDS;
        } else if (payload instanceof CaptureHold) {
            return PaymentEventType.CAPTURE_HOLD;
        } else if (payload instanceof ReleaseHold) {
            return PaymentEventType.RELEASE_HOLD;
        } else if (payload instanceof RequestPayment) {
            return PaymentEventType.REQUEST_PAYMENT;
        } else if (payload instanceof RefundPayment) {
            return PaymentEventType.REFUND_PAYMENT;
        } else if (payload instanceof RetryPayment) {
            return PaymentEventType.RETRY_PAYMENT;
        } else if (payload instanceof ApplyBatch) {
            return PaymentEventType.APPLY_BATCH;
        }
        return PaymentEventType.UNKNOWN;
    }

    private static Money amountOf(final Object payload) {
        if (payload instanceof Credit credit) {
            return credit.getAmount();
        } else if (payload instanceof Debit debit) {
            return debit.getAmount();
        } else if (payload instanceof HoldFunds hold) {
            return hold.getAmount();
        } else if (payload instanceof CaptureHold capture) {
            return capture.getAmount();
        } else if (payload instanceof RequestPayment request) {
            return request.getAmount();
        }
        return null;
    }

    private static String holdIdOf(final Object payload) {
        if (payload instanceof HoldFunds hold) {
            return hold.getHoldId();
        } else if (payload instanceof CaptureHold capture) {
            return capture.getHoldId();
        } else if (payload instanceof ReleaseHold release) {
            return release.getHoldId();
        }
        return null;
    }
}
