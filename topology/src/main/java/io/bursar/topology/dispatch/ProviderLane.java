// What the dispatcher knows about one provider between punctuations: its connector, bucket and calls in flight.
package io.bursar.topology.dispatch;

import io.bursar.connectors.ProviderConnector;

/**
 * The in-memory side of one provider owned by a dispatcher task; rebuilt from the stores on every start.
 *
 * <p>Used only on the stream thread. A lane without a connector belongs to a provider no longer
 * configured: its waiting calls are dead-lettered instead of sent.
 */
final class ProviderLane {

    final String providerId;
    /** Null when the provider is not configured. */
    final ProviderConnector connector;
    /** Null when the provider is not configured. */
    final TokenBucket bucket;
    int inFlight;

    ProviderLane(final String providerId, final ProviderConnector connector, final TokenBucket bucket) {
        if ((connector == null) != (bucket == null)) {
            throw new IllegalArgumentException("a lane has both a connector and a bucket, or neither: " + providerId);
        }
        this.providerId = providerId;
        this.connector = connector;
        this.bucket = bucket;
        this.inFlight = 0;
    }

    boolean configured() {
        return connector != null;
    }
}
