package io.bursar.gateway;

import io.bursar.schemas.payments.BatchResult;
import io.bursar.schemas.payments.PaymentEvent;
import java.util.List;

/**
 * The JSON shape of a command's outcome: accepted or rejected with a reason (and, where the reason needs it,
 * a detail such as WRONG_PARTITION's expected and actual partitions), the balance after it and,
 * for a payment command, the payment as the command left it (null otherwise).
 */
record CommandOutcomeView(String commandId, String partnerId, String type, String outcome, String reason,
                          String detail, Long amountMinor, String currency, String holdId, Long availableMinorAfter,
                          Long heldMinorAfter, String processedAt, PaymentView payment, BatchView batch) {

    /** An ApplyBatch's result: each operation's outcome in order, how many were applied, the balance after. */
    record BatchView(List<OperationView> operations, int applied, List<AccountView> balancesAfter) {

        static BatchView of(final BatchResult result) {
            return new BatchView(result.getOperations().stream().map(operation -> new OperationView(
                            operation.getOutcome().name(),
                            operation.getReason() == null ? null : operation.getReason().name())).toList(),
                    result.getApplied(), result.getBalancesAfter().stream().map(account -> new AccountView(
                            account.getCurrency(), account.getAvailableMinor(), account.getHeldMinor())).toList());
        }
    }

    record OperationView(String outcome, String reason) {
    }

    record AccountView(String currency, long availableMinor, long heldMinor) {
    }

    static CommandOutcomeView of(final PaymentEvent event) {
        return new CommandOutcomeView(event.getCommandId(), event.getPartnerId(), event.getType().name(),
                event.getOutcome().name(), event.getReason() == null ? null : event.getReason().name(), event.getDetail(),
                event.getAmount() == null ? null : event.getAmount().getAmountMinor(),
                event.getAmount() == null ? null : event.getAmount().getCurrency(),
                event.getHoldId(),
                event.getBalanceAfter() == null ? null : event.getBalanceAfter().getAvailableMinor(),
                event.getBalanceAfter() == null ? null : event.getBalanceAfter().getHeldMinor(),
                event.getProcessedAt().toString(),
                event.getPayment() == null ? null : PaymentView.of(event.getPayment()),
                event.getBatch() == null ? null : BatchView.of(event.getBatch()));
    }
}
