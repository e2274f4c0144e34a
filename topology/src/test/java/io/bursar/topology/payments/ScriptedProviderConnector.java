// A fake provider for the payment tests: answers each call from a script, at once, and records what it was sent.
package io.bursar.topology.payments;

import io.bursar.connectors.ProviderConnector;
import io.bursar.connectors.ProviderRequest;
import io.bursar.connectors.ProviderResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A connector whose answers come from a script, completed before {@link #submit} returns, as the
 * dispatcher test's connector does (that one is package-private to {@code io.bursar.topology.dispatch}).
 * It keeps every request with the test clock's time of its arrival and the answer it got.
 */
final class ScriptedProviderConnector implements ProviderConnector {

    /** One call received, when, and what it was answered. */
    record Sent(ProviderRequest request, long atMs, ProviderResult answer) {
    }

    private final Function<ProviderRequest, ProviderResult> script;
    private final LongSupplier clockMs;
    private final List<Sent> sent = new ArrayList<>();

    ScriptedProviderConnector(final Function<ProviderRequest, ProviderResult> script, final LongSupplier clockMs) {
        this.script = script;
        this.clockMs = clockMs;
    }

    @Override
    public synchronized CompletableFuture<ProviderResult> submit(final ProviderRequest request) {
        final ProviderResult answer = script.apply(request);
        sent.add(new Sent(request, clockMs.getAsLong(), answer));
        return CompletableFuture.completedFuture(answer);
    }

    synchronized List<Sent> sent() {
        return List.copyOf(sent);
    }
}
