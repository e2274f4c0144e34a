// What the simulator's ledger did with one charge or refund call: made it, or replayed an earlier one.
package io.bursar.sandbox;

/**
 * The ledger's answer to one charge or refund call.
 *
 * @param entry    the entry now recorded for the key (the earlier one when replayed)
 * @param replayed true when dedupe returned an earlier entry instead of making it again
 */
record EntryAttempt(SimulatedEntry entry, boolean replayed) {
}
