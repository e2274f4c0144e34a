package io.bursar.gateway;

import io.bursar.schemas.orders.OrderCommand;
import io.bursar.schemas.payments.PaymentCommand;
import io.javalin.http.Context;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What every command route does once its input is valid: name the command and put it on its command topic,
 * answering only after Kafka acknowledged it (bounded), so a 202 means durable.
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

    /** Publishes {@code payload} as command {@code commandId} of {@code partnerId}; 503 unless Kafka acknowledges. */
    void submit(final String commandId, final String partnerId, final Object payload) throws InterruptedException {
        final PaymentCommand command = PaymentCommand.newBuilder()
                .setCommandId(commandId).setPartnerId(partnerId).setIssuedAt(clock.instant()).setPayload(payload)
                .build();
        await(List.of(publisher.publish(command)));
    }

    /** Publishes {@code payload} as order command {@code commandId} of {@code categoryId}; 503 unless acknowledged. */
    void submitOrder(final String commandId, final String categoryId, final Object payload)
            throws InterruptedException {
        submitOrders(List.of(orderCommand(commandId, categoryId, payload)));
    }

    /**
     * Publishes every command at once and answers when Kafka acknowledged them all; 503 when it did not
     * within the timeout. Some may then be on the topic: a retry with the same command ids is recognised.
     */
    void submitOrders(final List<OrderCommand> commands) throws InterruptedException {
        await(commands.stream().map(publisher::publish).toList());
    }

    /** Order command {@code commandId} of {@code categoryId}, issued now. */
    OrderCommand orderCommand(final String commandId, final String categoryId, final Object payload) {
        return OrderCommand.newBuilder().setCommandId(commandId).setCategoryId(categoryId)
                .setIssuedAt(clock.instant()).setPayload(payload).build();
    }

    private void await(final List<CompletableFuture<Void>> sent) throws InterruptedException {
        try {
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new))
                    .get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final ExecutionException | TimeoutException e) {
            throw new UnavailableException("command not accepted by Kafka: " + e);
        }
    }
}
