package io.bursar.topology.payments;

import io.bursar.schemas.CurrencyCodes;
import io.bursar.schemas.ProviderIds;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.dispatch.ProviderCall;
import io.bursar.schemas.dispatch.ProviderCallOutcome;
import io.bursar.schemas.dispatch.ProviderCallResult;
import io.bursar.schemas.dispatch.ProviderOperation;
import io.bursar.schemas.payments.CurrencyAccount;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentEventType;
import io.bursar.schemas.payments.PaymentMethod;
import io.bursar.schemas.payments.PaymentStatus;
import io.bursar.schemas.payments.RefundPayment;
import io.bursar.schemas.payments.RejectionReason;
import io.bursar.schemas.payments.RequestPayment;
import io.bursar.schemas.payments.RetryPayment;
import io.bursar.topology.LogClock;
import io.bursar.topology.Outbox;
import java.time.Instant;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The payment state machine of one task, on the same stream thread and balances as the partner's other
 * commands, so a payment and the balance it moves change in one transaction.
 *
 * <p>BALANCE payments debit the partner at once. PROVIDER payments are stored QUEUED and yield a
 * {@link ProviderCall}; the dispatcher's answers come back as {@link ProviderCallResult}s and move
 * them to SUBMITTED, then SUCCEEDED (crediting the partner), FAILED or DEAD_LETTERED; an admin's RetryPayment
 * puts a DEAD_LETTERED one back in the queue. A refund of a
 * PROVIDER payment first moves the amount from available to held, so the partner cannot spend it while
 * the provider refunds; the provider's answer then takes it out, or gives it back.
 */
final class PaymentFlow {

    /** Idempotency keys providers accept; longer ones are refused before any call. */
    static final int PROVIDER_KEY_LENGTH_MAX = 255;

    /** Prefix of the commandId of an event caused by a provider's answer. */
    static final String PROVIDER_COMMAND_PREFIX = "provider:";

    private static final Logger LOG = LoggerFactory.getLogger(PaymentFlow.class);

    private final KeyValueStore<String, Payment> payments;
    private final BalanceBook book;

    PaymentFlow(final KeyValueStore<String, Payment> payments, final BalanceBook book) {
        this.payments = payments;
        this.book = book;
    }

    static String paymentKey(final String partnerId, final String paymentId) {
        return PartnerProcessor.partnerScopedKey(partnerId, paymentId);
    }

    /** The payment's current state, or null. */
    Payment find(final String partnerId, final String paymentId) {
        return payments.get(paymentKey(partnerId, paymentId));
    }

    PaymentEvent request(final PaymentCommand command, final RequestPayment request, final long nowMs,
                         final Outbox out) {
        final Money amount = request.getAmount();
        final RejectionReason invalid = invalidRequest(command, request);
        if (invalid != null) {
            return rejected(command, PaymentEventType.REQUEST_PAYMENT, invalid, amount, nowMs);
        }
        final String key = paymentKey(command.getPartnerId(), request.getPaymentId());
        if (payments.get(key) != null) {
            return rejected(command, PaymentEventType.REQUEST_PAYMENT, RejectionReason.PAYMENT_ALREADY_EXISTS, amount,
                    nowMs);
        }
        final Payment payment = Payment.newBuilder()
                .setPaymentId(request.getPaymentId()).setPartnerId(command.getPartnerId())
                .setCommandId(command.getCommandId()).setMethod(request.getMethod())
                .setProviderId(request.getProviderId()).setOrderId(request.getOrderId())
                .setCategoryId(request.getCategoryId())
                .setAmount(Money.newBuilder(amount).build()).setStatus(PaymentStatus.RECEIVED).setAttempts(0)
                .setCreatedAt(Instant.ofEpochMilli(nowMs)).setUpdatedAt(Instant.ofEpochMilli(nowMs))
                .build();
        if (request.getMethod() == PaymentMethod.BALANCE) {
            return payFromBalance(command, payment, nowMs);
        }
        payment.setStatus(PaymentStatus.QUEUED);
        payments.put(key, payment);
        out.call(call(payment, ProviderOperation.CHARGE, chargeKey(payment), payment.getAmount(), nowMs));
        return event(command.getCommandId(), PaymentEventType.REQUEST_PAYMENT, Outcome.ACCEPTED, null, payment,
                book.peek(payment.getPartnerId(), amount.getCurrency()), nowMs);
    }

    private static RejectionReason invalidRequest(final PaymentCommand command, final RequestPayment request) {
        if (request.getPaymentId().isBlank() || request.getMethod() == PaymentMethod.UNKNOWN) {
            return RejectionReason.INVALID_COMMAND;
        }
        final RejectionReason money = invalidMoney(request.getAmount());
        if (money != null) {
            return money;
        }
        if (request.getMethod() == PaymentMethod.PROVIDER) {
            final String providerId = request.getProviderId();
            if (!ProviderIds.isValid(providerId)) {
                return RejectionReason.INVALID_PROVIDER;
            }
            if (chargeKey(command.getPartnerId(), request.getPaymentId()).length() > PROVIDER_KEY_LENGTH_MAX) {
                return RejectionReason.INVALID_COMMAND;
            }
        } else if (request.getProviderId() != null) {
            return RejectionReason.INVALID_PROVIDER;
        }
        return null;
    }

    private PaymentEvent payFromBalance(final PaymentCommand command, final Payment payment, final long nowMs) {
        final Money amount = payment.getAmount();
        final PartnerBalance balance = book.balanceOf(payment.getPartnerId(), nowMs);
        final CurrencyAccount account = BalanceBook.accountOf(balance, amount.getCurrency());
        final String key = paymentKey(payment.getPartnerId(), payment.getPaymentId());
        if (account.getAvailableMinor() < amount.getAmountMinor()) {
            // The payment exists, and failed: its id stays taken, like a declined card payment.
            payment.setStatus(PaymentStatus.FAILED);
            payment.setFailureReason(RejectionReason.INSUFFICIENT_FUNDS.name());
            payments.put(key, payment);
            return event(command.getCommandId(), PaymentEventType.REQUEST_PAYMENT, Outcome.REJECTED,
                    RejectionReason.INSUFFICIENT_FUNDS, payment, BalanceBook.snapshot(amount.getCurrency(), account),
                    nowMs);
        }
        account.setAvailableMinor(account.getAvailableMinor() - amount.getAmountMinor());
        book.save(balance, nowMs);
        payment.setStatus(PaymentStatus.SUCCEEDED);
        payments.put(key, payment);
        return event(command.getCommandId(), PaymentEventType.REQUEST_PAYMENT, Outcome.ACCEPTED, null, payment,
                BalanceBook.snapshot(amount.getCurrency(), account), nowMs);
    }

    /**
     * Gives back all of what is left of a SUCCEEDED (or REFUND_FAILED) payment, or {@code amount} of it: a BALANCE
     * payment at once, a PROVIDER one through the provider (REFUND_PENDING meanwhile). A payment whose every unit
     * was given back is REFUNDED; after a partial refund it stays SUCCEEDED, refundable again for the rest.
     */
    PaymentEvent refund(final PaymentCommand command, final RefundPayment refund, final long nowMs,
                        final Outbox out) {
        final String key = paymentKey(command.getPartnerId(), refund.getPaymentId());
        final Payment payment = payments.get(key);
        if (payment == null) {
            return rejected(command, PaymentEventType.REFUND_PAYMENT, RejectionReason.PAYMENT_NOT_FOUND, null, nowMs);
        }
        final Money paid = payment.getAmount();
        if (payment.getStatus() != PaymentStatus.SUCCEEDED && payment.getStatus() != PaymentStatus.REFUND_FAILED) {
            return rejected(command, PaymentEventType.REFUND_PAYMENT, RejectionReason.PAYMENT_NOT_REFUNDABLE, paid,
                    nowMs);
        }
        final long leftMinor = paid.getAmountMinor() - payment.getRefundedMinor();
        final Money amount = refund.getAmount() == null ? new Money(leftMinor, paid.getCurrency())
                : Money.newBuilder(refund.getAmount()).build();
        if (!amount.getCurrency().equals(paid.getCurrency())) {
            return rejected(command, PaymentEventType.REFUND_PAYMENT, RejectionReason.INVALID_CURRENCY, paid, nowMs);
        }
        if (amount.getAmountMinor() <= 0 || amount.getAmountMinor() > leftMinor) {
            return rejected(command, PaymentEventType.REFUND_PAYMENT, RejectionReason.INVALID_AMOUNT, paid, nowMs);
        }
        final String refundKey = refundKey(payment, command.getCommandId());
        if (refundKey.length() > PROVIDER_KEY_LENGTH_MAX) {
            return rejected(command, PaymentEventType.REFUND_PAYMENT, RejectionReason.INVALID_COMMAND, paid, nowMs);
        }
        final PartnerBalance balance = book.balanceOf(payment.getPartnerId(), nowMs);
        final CurrencyAccount account = BalanceBook.accountOf(balance, amount.getCurrency());
        ProviderCall call = null;
        payment.setRefundAmount(amount);
        if (payment.getMethod() == PaymentMethod.BALANCE) {
            // The partner paid from its balance: the refund gives the money back at once.
            if (BalanceBook.wouldOverflow(account, amount.getAmountMinor())) {
                return rejected(command, PaymentEventType.REFUND_PAYMENT, RejectionReason.BALANCE_OVERFLOW, amount,
                        nowMs);
            }
            account.setAvailableMinor(account.getAvailableMinor() + amount.getAmountMinor());
            refunded(payment, amount);
        } else {
            // The partner was credited: the amount leaves its available balance while the provider refunds.
            if (account.getAvailableMinor() < amount.getAmountMinor()) {
                return rejected(command, PaymentEventType.REFUND_PAYMENT, RejectionReason.INSUFFICIENT_FUNDS, amount,
                        nowMs);
            }
            account.setAvailableMinor(account.getAvailableMinor() - amount.getAmountMinor());
            account.setHeldMinor(account.getHeldMinor() + amount.getAmountMinor());
            payment.setStatus(PaymentStatus.REFUND_PENDING);
            payment.setAttempts(0);
            call = call(payment, ProviderOperation.REFUND, refundKey, amount, nowMs);
        }
        book.save(balance, nowMs);
        payment.setRefundCommandId(command.getCommandId());
        payment.setFailureReason(null);
        payment.setUpdatedAt(LogClock.notBefore(payment.getUpdatedAt(), nowMs));
        payments.put(key, payment);
        if (call != null) {
            out.call(call);
        }
        return PaymentEvents.event(command.getCommandId(), payment.getPartnerId(), PaymentEventType.REFUND_PAYMENT,
                Outcome.ACCEPTED, null, amount, null, BalanceBook.snapshot(amount.getCurrency(), account), payment,
                nowMs);
    }

    /**
     * Puts a DEAD_LETTERED payment back in its provider's queue (an admin's retry, once the provider is back): QUEUED
     * again with no attempts, and a new charge call with the same idempotency key, so a provider that did charge
     * during the attempts that ended dead-lettered answers with that charge instead of charging again. The call is
     * the payment's next retry: the outcome recorded for the earlier one does not answer it, and answers of the
     * earlier one no longer apply.
     */
    PaymentEvent retry(final PaymentCommand command, final RetryPayment retry, final long nowMs,
                       final Outbox out) {
        final String key = paymentKey(command.getPartnerId(), retry.getPaymentId());
        final Payment payment = payments.get(key);
        if (payment == null) {
            return rejected(command, PaymentEventType.RETRY_PAYMENT, RejectionReason.PAYMENT_NOT_FOUND, null, nowMs);
        }
        if (payment.getStatus() != PaymentStatus.DEAD_LETTERED) {
            return rejected(command, PaymentEventType.RETRY_PAYMENT, RejectionReason.PAYMENT_NOT_RETRYABLE,
                    payment.getAmount(), nowMs);
        }
        payment.setStatus(PaymentStatus.QUEUED);
        payment.setRetries(payment.getRetries() + 1);
        payment.setAttempts(0);
        payment.setFailureReason(null);
        payment.setUpdatedAt(LogClock.notBefore(payment.getUpdatedAt(), nowMs));
        payments.put(key, payment);
        final ProviderCall call = call(payment, ProviderOperation.CHARGE, chargeKey(payment), payment.getAmount(),
                nowMs);
        call.setRetry(payment.getRetries());
        out.call(call);
        return event(command.getCommandId(), PaymentEventType.RETRY_PAYMENT, Outcome.ACCEPTED, null, payment,
                book.peek(payment.getPartnerId(), payment.getAmount().getCurrency()), nowMs);
    }

    /** {@code amount} given back: REFUNDED once nothing is left, else SUCCEEDED for the rest. */
    private static void refunded(final Payment payment, final Money amount) {
        payment.setRefundedMinor(payment.getRefundedMinor() + amount.getAmountMinor());
        payment.setStatus(payment.getRefundedMinor() >= payment.getAmount().getAmountMinor()
                ? PaymentStatus.REFUNDED : PaymentStatus.SUCCEEDED);
    }

    /** The refund in progress or last made: {@code refundAmount}, or all of the payment for those made before it existed. */
    static Money refundAmountOf(final Payment payment) {
        return payment.getRefundAmount() != null ? payment.getRefundAmount() : payment.getAmount();
    }

    /**
     * Applies a provider's answer; null when it changes nothing (a late or repeated answer, or one for a
     * payment this task does not hold).
     */
    PaymentEvent onProviderResult(final ProviderCallResult result, final long nowMs) {
        final String key = paymentKey(result.getPartnerId(), result.getPaymentId());
        final Payment payment = payments.get(key);
        if (payment == null) {
            LOG.warn("Provider answer {} for unknown payment {}; ignored", result.getOutcome(), key);
            return null;
        }
        final boolean applied = result.getOperation() == ProviderOperation.REFUND
                ? applyRefundResult(payment, result, nowMs)
                : applyChargeResult(payment, result, nowMs);
        if (!applied) {
            LOG.info("Provider answer {} for payment {} in state {}; nothing to change", result.getOutcome(), key,
                    payment.getStatus());
            return null;
        }
        payment.setAttempts(result.getAttempts());
        payment.setUpdatedAt(LogClock.notBefore(payment.getUpdatedAt(), nowMs));
        payments.put(key, payment);
        // One result per answer: an admin retry's answers are told from the earlier life's by the retry number.
        final String commandId = PROVIDER_COMMAND_PREFIX + result.getIdempotencyKey()
                + (result.getRetry() > 0 ? "#retry" + result.getRetry() : "") + ':' + result.getOutcome();
        // A refund's answer is about the refund's amount, which may be part of the payment.
        final Money amount = result.getOperation() == ProviderOperation.REFUND ? refundAmountOf(payment)
                : payment.getAmount();
        return PaymentEvents.event(commandId, payment.getPartnerId(), PaymentEventType.PAYMENT_UPDATED,
                Outcome.ACCEPTED, null, amount, null, book.peek(payment.getPartnerId(), amount.getCurrency()), payment,
                nowMs);
    }

    private boolean applyChargeResult(final Payment payment, final ProviderCallResult result, final long nowMs) {
        final PaymentStatus status = payment.getStatus();
        if (status != PaymentStatus.QUEUED && status != PaymentStatus.SUBMITTED
                || !chargeKey(payment).equals(result.getIdempotencyKey()) || result.getRetry() != payment.getRetries()) {
            return false;
        }
        switch (result.getOutcome()) {
            case SUBMITTED -> {
                if (status != PaymentStatus.QUEUED) {
                    return false;
                }
                payment.setStatus(PaymentStatus.SUBMITTED);
            }
            case SUCCEEDED -> {
                final Money amount = payment.getAmount();
                final PartnerBalance balance = book.balanceOf(payment.getPartnerId(), nowMs);
                final CurrencyAccount account = BalanceBook.accountOf(balance, amount.getCurrency());
                if (BalanceBook.wouldOverflow(account, amount.getAmountMinor())) {
                    // Charged, yet not creditable: kept visible for an operator rather than silently capped.
                    LOG.error("Payment {} succeeded but crediting {} would overflow the balance", payment.getPaymentId(),
                            amount);
                    payment.setStatus(PaymentStatus.FAILED);
                    payment.setFailureReason(RejectionReason.BALANCE_OVERFLOW.name());
                    // The charge exists at the provider: its reference is what the operator undoes it by.
                    payment.setProviderReference(result.getProviderReference());
                } else {
                    account.setAvailableMinor(account.getAvailableMinor() + amount.getAmountMinor());
                    book.save(balance, nowMs);
                    payment.setStatus(PaymentStatus.SUCCEEDED);
                    payment.setProviderReference(result.getProviderReference());
                }
            }
            case FAILED -> fail(payment, PaymentStatus.FAILED, result);
            case DEAD_LETTERED -> fail(payment, PaymentStatus.DEAD_LETTERED, result);
            default -> {
                return false;
            }
        }
        return true;
    }

    private boolean applyRefundResult(final Payment payment, final ProviderCallResult result, final long nowMs) {
        if (payment.getStatus() != PaymentStatus.REFUND_PENDING
                || !refundKey(payment, payment.getRefundCommandId()).equals(result.getIdempotencyKey())) {
            return false;
        }
        final ProviderCallOutcome outcome = result.getOutcome();
        if (outcome != ProviderCallOutcome.SUCCEEDED && outcome != ProviderCallOutcome.FAILED
                && outcome != ProviderCallOutcome.DEAD_LETTERED) {
            return false; // SUBMITTED: the payment stays REFUND_PENDING
        }
        final Money amount = refundAmountOf(payment);
        final PartnerBalance balance = book.balanceOf(payment.getPartnerId(), nowMs);
        final CurrencyAccount account = BalanceBook.accountOf(balance, amount.getCurrency());
        account.setHeldMinor(account.getHeldMinor() - amount.getAmountMinor());
        if (account.getHeldMinor() < 0) {
            throw new IllegalStateException("held went negative refunding " + payment.getPaymentId() + ": " + account);
        }
        if (outcome == ProviderCallOutcome.SUCCEEDED) {
            refunded(payment, amount);
        } else {
            account.setAvailableMinor(account.getAvailableMinor() + amount.getAmountMinor());
            payment.setStatus(PaymentStatus.REFUND_FAILED);
            payment.setFailureReason(result.getReason());
        }
        book.save(balance, nowMs);
        return true;
    }

    private static void fail(final Payment payment, final PaymentStatus status, final ProviderCallResult result) {
        payment.setStatus(status);
        payment.setFailureReason(result.getReason());
    }

    private static ProviderCall call(final Payment payment, final ProviderOperation operation,
                                     final String idempotencyKey, final Money amount, final long nowMs) {
        return ProviderCall.newBuilder()
                .setIdempotencyKey(idempotencyKey).setPaymentId(payment.getPaymentId())
                .setPartnerId(payment.getPartnerId()).setProviderId(payment.getProviderId())
                .setAmount(Money.newBuilder(amount).build()).setRequestedAt(Instant.ofEpochMilli(nowMs))
                .setOperation(operation)
                .build();
    }

    /** The provider's idempotency key of a payment's charge: the same for every attempt, and after a reset. */
    static String chargeKey(final Payment payment) {
        return chargeKey(payment.getPartnerId(), payment.getPaymentId());
    }

    private static String chargeKey(final String partnerId, final String paymentId) {
        return "charge:" + keyPart(partnerId) + ':' + keyPart(paymentId);
    }

    /** The provider's idempotency key of one refund: a refund asked for again after REFUND_FAILED is a new call. */
    static String refundKey(final Payment payment, final String refundCommandId) {
        return "refund:" + keyPart(payment.getPartnerId()) + ':' + keyPart(payment.getPaymentId()) + ':'
                + keyPart(refundCommandId);
    }

    /**
     * An id as one part of an idempotency key, with '%' and the separator ':' percent-encoded. Ids may hold
     * ':' (the gateway accepts it), and joined as they are, partner "a" paying "b:c" and partner "a:b" paying
     * "c" would share one key: the provider would answer the second charge with the first. Ids without ':'
     * or '%' are unchanged.
     */
    private static String keyPart(final String id) {
        if (id.indexOf(':') < 0 && id.indexOf('%') < 0) {
            return id;
        }
        return id.replace("%", "%25").replace(":", "%3A");
    }

    private PaymentEvent rejected(final PaymentCommand command, final PaymentEventType type,
                                  final RejectionReason reason, final Money amount, final long nowMs) {
        return PaymentEvents.event(command.getCommandId(), command.getPartnerId(), type, Outcome.REJECTED, reason,
                amount, null, amount == null ? null : book.peek(command.getPartnerId(), amount.getCurrency()), null,
                nowMs);
    }

    private static PaymentEvent event(final String commandId, final PaymentEventType type, final Outcome outcome,
                                      final RejectionReason reason, final Payment payment,
                                      final io.bursar.schemas.payments.BalanceSnapshot after, final long nowMs) {
        return PaymentEvents.event(commandId, payment.getPartnerId(), type, outcome, reason, payment.getAmount(), null,
                after, payment, nowMs);
    }

    static RejectionReason invalidMoney(final Money amount) {
        if (amount.getAmountMinor() <= 0) {
            return RejectionReason.INVALID_AMOUNT;
        }
        return CurrencyCodes.isKnown(amount.getCurrency()) ? null : RejectionReason.INVALID_CURRENCY;
    }
}
