// A provider's answer handed from a connector's callback thread to the stream thread.
package io.bursar.topology.dispatch;

import io.bursar.connectors.ProviderResult;
import java.util.List;
import java.util.Objects;

/**
 * One finished provider call, waiting in the dispatcher's hand-off queue until a punctuation applies it.
 *
 * @param callKey    the key of the call in the queue store
 * @param providerId the provider that was called
 * @param attempt    the attempt that finished, so a late answer of an older attempt is recognised
 * @param result     the classified answer; of a bulk call, the answer of its first line
 * @param lines      of a bulk call, the answer of each line sent, in the order sent; empty otherwise
 */
record FinishedCall(String callKey, String providerId, int attempt, ProviderResult result, List<ProviderResult> lines) {

    /** Rejects missing fields; throws NullPointerException. */
    FinishedCall {
        Objects.requireNonNull(callKey, "callKey");
        Objects.requireNonNull(providerId, "providerId");
        Objects.requireNonNull(result, "result");
        lines = List.copyOf(lines);
    }

    /** The answer of a call of one payment. */
    FinishedCall(final String callKey, final String providerId, final int attempt, final ProviderResult result) {
        this(callKey, providerId, attempt, result, List.of());
    }
}
