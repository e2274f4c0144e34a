// What the simulator's ledger did with one charge call: charged it, or replayed an earlier charge.
package io.bursar.connectors;

/**
 * The ledger's answer to one charge call.
 *
 * @param charge   the charge now recorded for the key (the earlier one when replayed)
 * @param replayed true when dedupe returned an earlier charge instead of charging again
 */
record ChargeAttempt(SimulatedCharge charge, boolean replayed) {
}
