// A fake provider for tests: answers each call from a script, at once or never, and records what it was sent.
package io.bursar.topology.dispatch;

import io.bursar.connectors.ProviderConnector;
import io.bursar.connectors.ProviderRequest;
import io.bursar.connectors.ProviderResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.LongSupplier;

/** A connector whose answers come from a script; an empty answer leaves the call pending forever. */
final class ScriptedConnector implements ProviderConnector {

    /** One call received, with the test clock's time of its arrival. */
    record Sent(ProviderRequest request, long atMs) {
    }

    private final Function<ProviderRequest, Optional<ProviderResult>> script;
    private final LongSupplier clockMs;
    private final List<Sent> sent = new ArrayList<>();

    ScriptedConnector(final Function<ProviderRequest, Optional<ProviderResult>> script, final LongSupplier clockMs) {
        this.script = script;
        this.clockMs = clockMs;
    }

    /** Answers every call with success. */
    static ScriptedConnector succeeding(final LongSupplier clockMs) {
        return new ScriptedConnector(request -> Optional.of(
                ProviderResult.success(request.idempotencyKey(), 201, Optional.of("ref-" + request.idempotencyKey()))),
                clockMs);
    }

    @Override
    public synchronized CompletableFuture<ProviderResult> submit(final ProviderRequest request) {
        sent.add(new Sent(request, clockMs.getAsLong()));
        return script.apply(request).map(CompletableFuture::completedFuture).orElseGet(CompletableFuture::new);
    }

    synchronized List<Sent> sent() {
        return List.copyOf(sent);
    }

    synchronized int sentCount() {
        return sent.size();
    }
}
