package io.bursar.app;

import io.bursar.gateway.Gateway;
import io.bursar.gateway.KafkaCommandPublisher;
import io.bursar.queries.KeyReader;
import io.bursar.queries.Read;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.serdes.Topics;
import io.bursar.topology.DeadLetterHandler;
import io.bursar.topology.StreamsSettings;
import io.bursar.topology.payments.PartnerBalanceProcessor;
import io.bursar.topology.payments.PaymentTopology;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Bursar instance: the Streams topology, the command publisher and the HTTP gateway,
 * started and stopped together against a Kafka cluster and a schema registry.
 */
public final class BursarNode implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BursarNode.class);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STREAMS_CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final Topics topics;
    private final KafkaStreams streams;
    private final KafkaCommandPublisher publisher;
    private final Gateway gateway;

    private BursarNode(final Topics topics, final KafkaStreams streams, final KafkaCommandPublisher publisher,
                       final Gateway gateway) {
        this.topics = topics;
        this.streams = streams;
        this.publisher = publisher;
        this.gateway = gateway;
    }

    /** Creates missing topics (if configured), starts the gateway, then the topology; does not wait for RUNNING. */
    public static BursarNode start(final BursarConfig config) {
        final Topics topics = Topics.create(config.serdeConfig(), config.getInt(BursarConfig.TOPIC_PARTITIONS));
        if (config.getBoolean(BursarConfig.TOPICS_CREATE)) {
            createMissingTopics(config.kafkaClientConfig(), topics);
        }
        final KafkaCommandPublisher publisher = new KafkaCommandPublisher(config.kafkaClientConfig(), topics);
        // The gateway binds first: its real port is this instance's application.server.
        final AtomicReference<KeyReader<String, PartnerBalance>> balances = new AtomicReference<>();
        final Gateway gateway = new Gateway(new Gateway.Settings(
                config.getString(BursarConfig.HTTP_HOST), config.getInt(BursarConfig.HTTP_PORT),
                config.publishTimeout(), config.paymentTopology().holdTtlMsMax(),
                config.getLong(BursarConfig.HTTP_MAX_REQUEST_BYTES)),
                publisher, partnerId -> readBalance(balances.get(), partnerId)).start();
        final HostInfo self = new HostInfo(config.getString(BursarConfig.HTTP_HOST), gateway.port());

        final StreamsBuilder builder = new StreamsBuilder();
        PaymentTopology.build(builder, topics, config.paymentTopology());
        final Topology topology = builder.build();
        final Map<String, Object> props = new HashMap<>(config.kafkaClientConfig());
        props.putAll(StreamsSettings.required(topics));
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.getString(BursarConfig.APPLICATION_ID));
        props.put(StreamsConfig.STATE_DIR_CONFIG, config.getString(BursarConfig.STATE_DIR));
        props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
        final KafkaStreams streams = new KafkaStreams(topology, new StreamsConfig(props));
        balances.set(new KeyReader<>(streams, PartnerBalanceProcessor.BALANCES_STORE, new StringSerializer(), self));
        streams.setUncaughtExceptionHandler(e -> {
            if (DeadLetterHandler.isRegistryUnavailable(e)) {
                LOG.warn("Stream thread stopped: schema registry unavailable; replacing the thread", e);
                return StreamThreadExceptionResponse.REPLACE_THREAD;
            }
            // Bad data is answered by rejections and dead letters; anything else here is a bug: stop, don't loop.
            LOG.error("Stream thread failed; shutting this instance's topology down", e);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.start();
        LOG.info("Bursar instance {} started: gateway {}, topology\n{}", self, gateway.url(), topology.describe());
        return new BursarNode(topics, streams, publisher, gateway);
    }

    private static Read<PartnerBalance> readBalance(final KeyReader<String, PartnerBalance> reader, final String key) {
        return reader == null ? new Read.Unavailable<>("starting") : reader.read(key);
    }

    /** Blocks until the topology is RUNNING, or throws after {@code timeout}. */
    public void awaitRunning(final Duration timeout) throws InterruptedException {
        final Instant deadline = Instant.now().plus(timeout);
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (Instant.now().isAfter(deadline) || !streams.state().isRunningOrRebalancing()
                    && streams.state() != KafkaStreams.State.CREATED) {
                throw new IllegalStateException("Kafka Streams did not reach RUNNING within " + timeout
                        + ": " + streams.state());
            }
            Thread.sleep(50);
        }
    }

    public Topics topics() {
        return topics;
    }

    public KafkaStreams streams() {
        return streams;
    }

    public KafkaCommandPublisher publisher() {
        return publisher;
    }

    public Gateway gateway() {
        return gateway;
    }

    @Override
    public void close() {
        gateway.close();
        publisher.close();
        streams.close(STREAMS_CLOSE_TIMEOUT);
    }

    static void createMissingTopics(final Map<String, Object> clientConfig, final Topics topics) {
        try (Admin admin = Admin.create(clientConfig)) {
            final Set<String> existing = admin.listTopics().names().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            final List<NewTopic> missing = topics.all().stream()
                    .filter(t -> !existing.contains(t.name()))
                    .map(t -> new NewTopic(t.name(), t.partitions(), (short) -1))
                    .toList();
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                LOG.info("Created topics {}", missing.stream().map(NewTopic::name).toList());
            }
        } catch (final ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create topics", e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }
}
