package io.bursar.gateway;

import io.bursar.schemas.payments.PaymentEvent;

/**
 * The JSON shape of a command's outcome: accepted or rejected with a reason (and, where the reason needs it,
 * a detail such as WRONG_PARTITION's expected and actual partitions), the balance after it and,
 * for a payment command, the payment as the command left it (null otherwise).
 */
record CommandOutcomeView(String commandId, String partnerId, String type, String outcome, String reason,
                          String detail, Long amountMinor, String currency, String holdId, Long availableMinorAfter,
                          Long heldMinorAfter, String processedAt, PaymentView payment) {

    static CommandOutcomeView of(final PaymentEvent event) {
        return new CommandOutcomeView(event.getCommandId(), event.getPartnerId(), event.getType().name(),
                event.getOutcome().name(), event.getReason() == null ? null : event.getReason().name(), event.getDetail(),
                event.getAmount() == null ? null : event.getAmount().getAmountMinor(),
                event.getAmount() == null ? null : event.getAmount().getCurrency(),
                event.getHoldId(),
                event.getBalanceAfter() == null ? null : event.getBalanceAfter().getAvailableMinor(),
                event.getBalanceAfter() == null ? null : event.getBalanceAfter().getHeldMinor(),
                event.getProcessedAt().toString(),
                event.getPayment() == null ? null : PaymentView.of(event.getPayment()));
    }
}
