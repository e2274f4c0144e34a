package io.bursar.gateway;

import io.bursar.schemas.orders.OrderCommand;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.serdes.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Publishes commands with one idempotent producer ({@code acks=all}): payment commands keyed by partnerId and
 * order commands keyed by categoryId, so that one partition, and so one stream thread, owns each partner and
 * each category.
 */
public final class KafkaCommandPublisher implements CommandPublisher {

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private final KafkaProducer<String, SpecificRecord> producer;
    private final Topics.Topic<String, PaymentCommand> paymentCommands;
    private final Topics.Topic<String, OrderCommand> orderCommands;

    public KafkaCommandPublisher(final Map<String, Object> clientConfig, final Topics topics) {
        final Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 2);
        this.paymentCommands = topics.paymentCommands;
        this.orderCommands = topics.orderCommands;
        this.producer = new KafkaProducer<>(config, paymentCommands.keySerde().serializer(),
                new CommandSerializer(paymentCommands.valueSerde().serializer(),
                        orderCommands.valueSerde().serializer()));
    }

    @Override
    public CompletableFuture<Void> publish(final PaymentCommand command) {
        return send(new ProducerRecord<>(paymentCommands.name(), command.getPartnerId(), command));
    }

    @Override
    public CompletableFuture<Void> publish(final OrderCommand command) {
        return send(new ProducerRecord<>(orderCommands.name(), command.getCategoryId(), command));
    }

    private CompletableFuture<Void> send(final ProducerRecord<String, SpecificRecord> record) {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            producer.send(record, (metadata, error) -> {
                if (error != null) {
                    done.completeExceptionally(error);
                } else {
                    done.complete(null);
                }
            });
        } catch (final RuntimeException e) {
            // Serialization (registry unreachable) and buffer-full errors are thrown, not called back.
            done.completeExceptionally(e);
        }
        return done;
    }

    @Override
    public void close() {
        producer.close(CLOSE_TIMEOUT);
    }

    /** Each command with its own topic's serializer: one producer serves both command topics. */
    private record CommandSerializer(Serializer<PaymentCommand> payments, Serializer<OrderCommand> orders)
            implements Serializer<SpecificRecord> {

        @Override
        public byte[] serialize(final String topic, final SpecificRecord command) {
            if (command instanceof PaymentCommand payment) {
                return payments.serialize(topic, payment);
            }
            if (command instanceof OrderCommand order) {
                return orders.serialize(topic, order);
            }
            throw new IllegalArgumentException("not a command: " + command.getClass().getName());
        }

        @Override
        public void close() {
            payments.close();
            orders.close();
        }
    }
}
