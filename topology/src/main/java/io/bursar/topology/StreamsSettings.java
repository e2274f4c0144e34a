package io.bursar.topology;

import io.bursar.serdes.Topics;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;

/** The Kafka Streams settings every Bursar topology relies on, whatever the deployment. */
public final class StreamsSettings {

    /** Longest poll of an idle stream thread, in ms. */
    static final long POLL_MS = 10L;

    private StreamsSettings() {
    }

    /**
     * Defaults a deployment may override ({@code kafka.*} keys): a task processes what it has without waiting
     * for its other input partitions to fill ({@code max.task.idle.ms=-1}). Bursar's processors merge their
     * inputs and join nothing, so waiting buys no ordering, and skipping the wait saves bookkeeping per record
     * ({@code docs/benchmarks.md}). An instance that dies without leaving the group (a crash, SIGKILL, a lost
     * host) is dropped after {@value #SESSION_TIMEOUT_MS} ms without heartbeats instead of Kafka's 45 s, so its
     * tasks (a provider's queue among them) move to the others that much sooner ({@code docs/reliability.md}).
     */
    public static Map<String, Object> defaults() {
        return Map.of(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED,
                StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), SESSION_TIMEOUT_MS,
                StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), SESSION_TIMEOUT_MS / 4);
    }

    /** How long the group waits for a silent member before moving its tasks, in ms. */
    public static final int SESSION_TIMEOUT_MS = 10_000;

    /**
     * Exactly-once v2, records that cannot be deserialized sent to the dead-letter topic by
     * {@link DeadLetterHandler} instead of stopping the stream thread, and short idle polls so that
     * wall-clock punctuations run on time.
     */
    public static Map<String, Object> required(final Topics topics) {
        final Map<String, Object> props = new HashMap<>();
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
        props.put(DeadLetterHandler.TOPIC_CONFIG, topics.deadLetters.name());
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        // Wall-clock punctuators run between polls: an idle stream thread polls for at most this long, so the
        // dispatcher's 50 ms punctuation starts calls within ~10 ms of their turn instead of up to 100 ms late.
        props.put(StreamsConfig.POLL_MS_CONFIG, POLL_MS);
        return props;
    }
}
