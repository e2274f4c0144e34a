package io.bursar.gateway;

import io.bursar.schemas.orders.OrderCommand;
import io.bursar.schemas.payments.PaymentCommand;
import java.util.concurrent.CompletableFuture;

/** Where the gateway puts accepted commands: each completes once the command is durably on its topic. */
public interface CommandPublisher extends AutoCloseable {

    /** Publishes {@code command} on payment-commands, keyed by its partnerId. */
    CompletableFuture<Void> publish(PaymentCommand command);

    /** Publishes {@code command} on order-commands, keyed by its categoryId. */
    CompletableFuture<Void> publish(OrderCommand command);

    @Override
    void close();
}
