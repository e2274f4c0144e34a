package io.bursar.gateway;

import io.bursar.schemas.orders.OrderCommand;
import io.bursar.schemas.payments.PaymentCommand;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * What every command route does once its input is valid: name the command and put it on its command topic,
 * answering only after Kafka acknowledged it (bounded), so a 202 means durable. No request thread waits for the
 * acknowledgement: the answer is given through the request's future.
 */
final class CommandSubmitter {

    static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    private final CommandPublisher publisher;
    private final Duration publishTimeout;
    private final Clock clock;

    CommandSubmitter(final CommandPublisher publisher, final Duration publishTimeout, final Clock clock) {
        if (publishTimeout.isNegative() || publishTimeout.isZero()) {
            throw new IllegalArgumentException("publishTimeout must be positive");
        }
        this.publisher = publisher;
        this.publishTimeout = publishTimeout;
        this.clock = clock;
    }

    /** The request's {@value #IDEMPOTENCY_KEY} header, checked as an id; a fresh UUID when there is none. */
    static String commandId(final Context ctx) {
        final String key = ctx.header(IDEMPOTENCY_KEY);
        return key == null ? UUID.randomUUID().toString() : RequestBody.requireId(IDEMPOTENCY_KEY, key);
    }

    /**
     * Answers 202 with {@code accepted} once {@code durable} completes, holding no request thread meanwhile; a failure
     * (Kafka did not acknowledge in time, or the lookup before the publish failed) is answered by its own mapper.
     */
    static void answerAccepted(final Context ctx, final CompletableFuture<?> durable, final Object accepted) {
        ctx.future(() -> accepted(ctx, durable, accepted));
    }

    /** Completes once {@code durable} has, having answered 202 with {@code accepted}; for a longer chain. */
    static CompletableFuture<Void> accepted(final Context ctx, final CompletableFuture<?> durable,
                                            final Object accepted) {
        return durable.thenRun(() -> ctx.status(HttpStatus.ACCEPTED).json(accepted));
    }

    /** Publishes {@code payload} as command {@code commandId} of {@code partnerId}; see {@link #acknowledged}. */
    CompletableFuture<Void> submit(final String commandId, final String partnerId, final Object payload) {
        final PaymentCommand command = PaymentCommand.newBuilder()
                .setCommandId(commandId).setPartnerId(partnerId).setIssuedAt(clock.instant()).setPayload(payload)
                .build();
        return acknowledged(List.of(publisher.publish(command)));
    }

    /** Publishes {@code payload} as order command {@code commandId} of {@code categoryId}; see {@link #acknowledged}. */
    CompletableFuture<Void> submitOrder(final String commandId, final String categoryId, final Object payload) {
        return submitOrders(List.of(orderCommand(commandId, categoryId, payload)));
    }

    /**
     * Publishes every command at once; see {@link #acknowledged}. When it fails some may be on the topic: a retry
     * with the same command ids is recognised.
     */
    CompletableFuture<Void> submitOrders(final List<OrderCommand> commands) {
        return acknowledged(commands.stream().map(publisher::publish).toList());
    }

    /** Order command {@code commandId} of {@code categoryId}, issued now. */
    OrderCommand orderCommand(final String commandId, final String categoryId, final Object payload) {
        return OrderCommand.newBuilder().setCommandId(commandId).setCategoryId(categoryId)
                .setIssuedAt(clock.instant()).setPayload(payload).build();
    }

    /** Completes when Kafka acknowledged every one of {@code sent}; fails with a 503 when it did not in time. */
    private CompletableFuture<Void> acknowledged(final List<CompletableFuture<Void>> sent) {
        return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new))
                .orTimeout(publishTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .exceptionallyCompose(failure -> CompletableFuture.failedFuture(new UnavailableException(
                        "command not accepted by Kafka: " + (failure instanceof CompletionException wrapped
                                && wrapped.getCause() != null ? wrapped.getCause() : failure))));
    }
}
