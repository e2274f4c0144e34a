package io.bursar.gateway;

import io.bursar.schemas.payments.PaymentCommand;
import java.util.concurrent.CompletableFuture;

/** Where the gateway puts accepted commands: completes once the command is durably on its topic. */
public interface CommandPublisher extends AutoCloseable {

    CompletableFuture<Void> publish(PaymentCommand command);

    @Override
    void close();
}
