// A fake provider for tests: answers each call from a script, at once or never, and records what it was sent.
package io.bursar.topology.testing;

import io.bursar.connectors.ProviderConnector;
import io.bursar.connectors.ProviderRequest;
import io.bursar.connectors.ProviderResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A connector whose answers come from a script, completed before {@link #submit} returns; an empty answer
 * leaves the call pending forever. It keeps every call with the test clock's time of its arrival and the
 * answer it got.
 */
public final class ScriptedConnector implements ProviderConnector {

    /** One call received, when, and what it was answered (empty while it is left pending). */
    public record Sent(ProviderRequest request, long atMs, Optional<ProviderResult> answer) {
    }

    private final Function<ProviderRequest, Optional<ProviderResult>> script;
    private final LongSupplier clockMs;
    private final List<Sent> sent = new ArrayList<>();
    private final List<List<ProviderRequest>> bulkCalls = new ArrayList<>();

    public ScriptedConnector(final Function<ProviderRequest, Optional<ProviderResult>> script,
                             final LongSupplier clockMs) {
        this.script = script;
        this.clockMs = clockMs;
    }

    /** Answers every call at once, as {@code script} says. */
    public static ScriptedConnector answering(final Function<ProviderRequest, ProviderResult> script,
                                              final LongSupplier clockMs) {
        return new ScriptedConnector(request -> Optional.of(script.apply(request)), clockMs);
    }

    /** Answers every call with success, reference {@code ref-<idempotencyKey>}. */
    public static ScriptedConnector succeeding(final LongSupplier clockMs) {
        return answering(request -> ProviderResult.success(request.idempotencyKey(), 201,
                Optional.of("ref-" + request.idempotencyKey())), clockMs);
    }

    @Override
    public synchronized CompletableFuture<ProviderResult> submit(final ProviderRequest request) {
        final Optional<ProviderResult> answer = script.apply(request);
        sent.add(new Sent(request, clockMs.getAsLong(), answer));
        return answer.map(CompletableFuture::completedFuture).orElseGet(CompletableFuture::new);
    }

    /** One bulk call: counted, then each line answered by the script as a call of its own. */
    @Override
    public CompletableFuture<List<ProviderResult>> submitBulk(final List<ProviderRequest> requests) {
        synchronized (this) {
            bulkCalls.add(List.copyOf(requests));
        }
        return ProviderConnector.super.submitBulk(requests);
    }

    /** The lines of every bulk call, one list per call, in the order they came. */
    public synchronized List<List<ProviderRequest>> bulkCalls() {
        return List.copyOf(bulkCalls);
    }

    public synchronized List<Sent> sent() {
        return List.copyOf(sent);
    }

    public synchronized int sentCount() {
        return sent.size();
    }
}
