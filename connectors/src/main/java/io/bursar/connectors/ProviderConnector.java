// The provider SPI: one implementation per provider protocol, chosen by configuration (strategy/adapter).
package io.bursar.connectors;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Submits payment requests to one external provider and classifies its answers.
 *
 * <p>Lifecycle: built once by {@link ProviderConnectors} from configuration, shared by every caller
 * (implementations are thread-safe), closed with the registry. Calls are asynchronous because the
 * dispatcher that makes them must never block a stream thread on network I/O.
 */
public interface ProviderConnector extends AutoCloseable {

    /** Submits one request; the future always completes normally with a classified result, never exceptionally. */
    CompletableFuture<ProviderResult> submit(ProviderRequest request);

    /** True when {@link #status(String)} is implemented; callers check this instead of catching its failure. */
    default boolean supportsStatus() {
        return false;
    }

    /**
     * Looks up what the provider recorded for the idempotency key of a charge (refunds have no lookup): empty
     * when it has no charge for that key, a RETRYABLE result when the lookup itself failed; fails with
     * UnsupportedOperationException by default.
     */
    default CompletableFuture<Optional<ProviderResult>> status(final String idempotencyKey) {
        return CompletableFuture.failedFuture(
                new UnsupportedOperationException(getClass().getSimpleName() + " has no status lookup"));
    }

    /**
     * Submits several requests and returns one result per request, in request order; by default one
     * {@link #submit} each, so an adapter overrides it only when its provider has a real bulk call.
     */
    default CompletableFuture<List<ProviderResult>> submitBulk(final List<ProviderRequest> requests) {
        final List<CompletableFuture<ProviderResult>> calls = new ArrayList<>(requests.size());
        for (final ProviderRequest request : requests) {
            calls.add(submit(request));
        }
        return CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0])).thenApply(ignored -> {
            final List<ProviderResult> results = new ArrayList<>(calls.size());
            for (final CompletableFuture<ProviderResult> call : calls) {
                results.add(call.join());
            }
            return List.copyOf(results);
        });
    }

    /** Releases the connector's threads and connections; the default holds none. */
    @Override
    default void close() {
        // Nothing to release for connectors without resources of their own.
    }
}
