// A provider's answer handed from a connector's callback thread to the stream thread.
package io.bursar.topology.dispatch;

import io.bursar.connectors.ProviderResult;
import java.util.Objects;

/**
 * One finished provider call, waiting in the dispatcher's hand-off queue until a punctuation applies it.
 *
 * @param callKey    the key of the call in the queue store
 * @param providerId the provider that was called
 * @param attempt    the attempt that finished, so a late answer of an older attempt is recognised
 * @param result     the classified answer
 */
record FinishedCall(String callKey, String providerId, int attempt, ProviderResult result) {

    /** Rejects missing fields; throws NullPointerException. */
    FinishedCall {
        Objects.requireNonNull(callKey, "callKey");
        Objects.requireNonNull(providerId, "providerId");
        Objects.requireNonNull(result, "result");
    }
}
