package io.bursar.app.live;

import io.bursar.connectors.ProviderConnector;
import io.bursar.connectors.ProviderRequest;
import io.bursar.connectors.ProviderResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A provider's connector that counts what the dispatcher asks of it into {@code /metrics}:
 * {@code bursar_provider_calls_total{provider,answer}} (one per call, a bulk call being one, by the provider's
 * answer: {@code success}, {@code retryable}, {@code permanent}; for a bulk call the worst of its lines') and
 * {@code bursar_provider_retries_total{provider}} (calls after the first of a request). Everything else is the
 * wrapped connector's.
 */
public final class CountedConnector implements ProviderConnector {

    /** Calls made, by provider and answer. */
    public static final String CALLS = "bursar.provider.calls";
    /** Calls that were a retry, by provider. */
    public static final String RETRIES = "bursar.provider.retries";
    /** The answers, from best to worst: a bulk call counts as its worst line's. */
    static final List<String> ANSWERS = List.of("success", "permanent", "retryable");

    private final ProviderConnector connector;
    private final Map<String, Counter> calls;
    private final Counter retries;

    /** Counts the calls of {@code connector}, the connector of {@code providerId}, into {@code registry}. */
    public CountedConnector(final String providerId, final ProviderConnector connector, final MeterRegistry registry) {
        this.connector = connector;
        final Map<String, Counter> byAnswer = new HashMap<>();
        ANSWERS.forEach(answer -> byAnswer.put(answer, counter(registry, providerId, answer)));
        this.calls = Map.copyOf(byAnswer);
        this.retries = Counter.builder(RETRIES).description("Provider calls that retried a request")
                .tag("provider", providerId).register(registry);
    }

    private static Counter counter(final MeterRegistry registry, final String providerId, final String answer) {
        return Counter.builder(CALLS).description("Provider calls made, by the provider's answer")
                .tag("provider", providerId).tag("answer", answer).register(registry);
    }

    @Override
    public CompletableFuture<ProviderResult> submit(final ProviderRequest request) {
        countRetry(request);
        return connector.submit(request).whenComplete((result, error) -> calls.get(answer(result)).increment());
    }

    @Override
    public CompletableFuture<List<ProviderResult>> submitBulk(final List<ProviderRequest> requests) {
        if (!requests.isEmpty()) {
            countRetry(requests.get(0));
        }
        return connector.submitBulk(requests).whenComplete((results, error) -> {
            int worst = results == null ? ANSWERS.size() - 1 : 0;
            for (final ProviderResult result : results == null ? List.<ProviderResult>of() : results) {
                worst = Math.max(worst, ANSWERS.indexOf(answer(result)));
            }
            calls.get(ANSWERS.get(worst)).increment();
        });
    }

    @Override
    public boolean supportsStatus() {
        return connector.supportsStatus();
    }

    @Override
    public CompletableFuture<Optional<ProviderResult>> status(final String idempotencyKey) {
        return connector.status(idempotencyKey);
    }

    @Override
    public void close() {
        connector.close();
    }

    private void countRetry(final ProviderRequest request) {
        if (request.attempt() > 0) {
            retries.increment();
        }
    }

    /** How a result is counted; a future that failed counts as retryable, as the dispatcher treats it. */
    private static String answer(final ProviderResult result) {
        if (result == null || result.isRetryable()) {
            return "retryable";
        }
        return result.isSuccess() ? "success" : "permanent";
    }
}
