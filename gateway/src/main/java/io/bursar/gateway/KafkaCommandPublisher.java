package io.bursar.gateway;

import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.serdes.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Publishes commands with an idempotent producer ({@code acks=all}), keyed by partnerId so that one
 * partition, and so one stream thread, owns each partner.
 */
public final class KafkaCommandPublisher implements CommandPublisher {

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private final KafkaProducer<String, PaymentCommand> producer;
    private final Topics.Topic<String, PaymentCommand> topic;

    public KafkaCommandPublisher(final Map<String, Object> clientConfig, final Topics topics) {
        final Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 2);
        this.topic = topics.paymentCommands;
        this.producer = new KafkaProducer<>(config, topic.keySerde().serializer(), topic.valueSerde().serializer());
    }

    @Override
    public CompletableFuture<Void> publish(final PaymentCommand command) {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            producer.send(new ProducerRecord<>(topic.name(), command.getPartnerId(), command), (metadata, error) -> {
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
}
