package io.bursar.gateway;

import io.bursar.schemas.payments.PaymentCommand;
import io.javalin.http.Context;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What every command route does once its input is valid: name the command and put it on
 * {@code payment-commands}, answering only after Kafka acknowledged it (bounded), so a 202 means durable.
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
        try {
            publisher.publish(command).get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final ExecutionException | TimeoutException e) {
            throw new UnavailableException("command not accepted by Kafka: " + e);
        }
    }
}
