package io.bursar.app;

import io.bursar.app.dlq.DeadLetters;
import io.bursar.app.dlq.GatewayDeadLetters;
import io.bursar.app.live.CountedConnector;
import io.bursar.app.live.EventTap;
import io.bursar.app.live.LiveSampler;
import io.bursar.connectors.ProviderConnector;
import io.bursar.connectors.ProviderConnectors;
import io.bursar.gateway.Gateway;
import io.bursar.gateway.GatewayConfig;
import io.bursar.gateway.ItemCatalog;
import io.bursar.gateway.KafkaCommandPublisher;
import io.bursar.gateway.OrderProgress;
import io.bursar.queries.AbsenceBarrier;
import io.bursar.queries.AbsenceCheck;
import io.bursar.queries.GlobalStoreReader;
import io.bursar.queries.KeyChanges;
import io.bursar.queries.KeyReader;
import io.bursar.queries.OwnerRouter;
import io.bursar.queries.PeerForwarder;
import io.bursar.schemas.PaymentStatuses;
import io.bursar.schemas.orders.CatalogEntry;
import io.bursar.schemas.orders.InvestorPositions;
import io.bursar.schemas.orders.Item;
import io.bursar.schemas.orders.OrderView;
import io.bursar.schemas.orders.ParentOrderView;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.serdes.SchemaRegistryClients;
import io.bursar.serdes.Topics;
import io.bursar.topology.DeadLetterHandler;
import io.bursar.topology.Generation;
import io.bursar.topology.Misrouting;
import io.bursar.topology.StreamsSettings;
import io.bursar.topology.dispatch.ProviderDispatchTopology;
import io.bursar.topology.dispatch.ProviderLimits;
import io.bursar.topology.orders.OrderProcessor;
import io.bursar.topology.orders.OrderTopology;
import io.bursar.topology.payments.PartnerProcessor;
import io.bursar.topology.payments.PartnerTopology;
import io.bursar.topology.views.ViewsTopology;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Bursar instance: the command topology with the provider dispatcher, the views (a second
 * Streams application, so it can be rebuilt from events alone), the command publisher and the HTTP
 * gateway, started and stopped together against a Kafka cluster and a schema registry.
 */
public final class BursarNode implements AutoCloseable {

    /** Suffix of the views application's id: {@code <application.id>-views}. */
    public static final String VIEWS_APPLICATION_SUFFIX = "-views";

    private static final Logger LOG = LoggerFactory.getLogger(BursarNode.class);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);
    /** Records refused for their partition, by topic ({@code bursar_records_misrouted_total} in /metrics). */
    public static final String MISROUTED_METER = "bursar.records.misrouted";
    private static final Duration STREAMS_CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final Topics topics;
    private final ProviderConnectors providers;
    private final KafkaStreams streams;
    private final KafkaStreams views;
    private final KafkaCommandPublisher publisher;
    private final KeyReader<String, PartnerBalance> balances;
    private final Gateway gateway;
    private final PrometheusMeterRegistry meters;
    private final List<KafkaStreamsMetrics> streamsMetrics;
    private final RebuildProgress rebuildProgress;
    private final Admin barrierAdmin;
    private final LiveSampler live;

    private BursarNode(final Topics topics, final ProviderConnectors providers, final KafkaStreams streams, final KafkaStreams views,
                       final KafkaCommandPublisher publisher, final KeyReader<String, PartnerBalance> balances,
                       final Gateway gateway, final PrometheusMeterRegistry meters,
                       final List<KafkaStreamsMetrics> streamsMetrics, final RebuildProgress rebuildProgress,
                       final Admin barrierAdmin, final LiveSampler live) {
        this.topics = topics;
        this.providers = providers;
        this.streams = streams;
        this.views = views;
        this.publisher = publisher;
        this.balances = balances;
        this.gateway = gateway;
        this.meters = meters;
        this.streamsMetrics = streamsMetrics;
        this.rebuildProgress = rebuildProgress;
        this.barrierAdmin = barrierAdmin;
        this.live = live;
    }

    /** Creates missing topics (if configured), then starts both topologies and the gateway; does not wait for RUNNING. */
    public static BursarNode start(final BursarConfig config) {
        final Topics topics = Topics.create(config.serdeConfig(), config.getInt(BursarConfig.TOPIC_PARTITIONS));
        awaitRegistry(config);
        awaitKafka(config);
        if (config.getBoolean(BursarConfig.TOPICS_CREATE)) {
            createMissingTopics(config.kafkaClientConfig(), topics);
        }
        final GatewayConfig gatewayConfig = config.gateway();
        // application.server must be known before Streams starts, and it is the gateway's port.
        final HostInfo self = new HostInfo(gatewayConfig.advertisedHost(),
                portOrFree(gatewayConfig.getInt(GatewayConfig.HTTP_PORT)));

        // Processors check each record's partition against these counts: they must be the topics' own.
        checkPartitions(config.kafkaClientConfig(), topics);
        checkCommandMemories(config.kafkaClientConfig(), config.getString(BursarConfig.APPLICATION_ID));
        try {
            topics.registerCommandSchemas();
        } catch (final RuntimeException e) {
            throw new StartupException("the schema registry at " + config.getString(BursarConfig.SCHEMA_REGISTRY_URL)
                    + " did not take the command schemas (" + e.getMessage() + "); check "
                    + BursarConfig.SCHEMA_REGISTRY_URL, e);
        }
        final Misrouting misrouting = Misrouting.of(topics);
        // After a reset of everything, the log is processed again: this instance must know from where on it is new.
        final Generation generation = new Generations(config.kafkaClientConfig())
                .current(config.getString(BursarConfig.APPLICATION_ID));
        if (generation.number() > 0) {
            LOG.info("Generation {}: the {} records below its horizon are processed again; their events carry header "
                    + "{}", generation.number(), generation.horizon().values().stream().mapToLong(Long::longValue).sum(),
                    Generation.HEADER);
        }
        final ProviderConnectors providers = config.providers();
        final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Each provider's calls are counted into /metrics on their way out, for operators and the live page.
        final Map<String, ProviderConnector> counted = new HashMap<>();
        final Map<String, Integer> limits = new HashMap<>();
        for (final String providerId : providers.providerIds()) {
            counted.put(providerId, new CountedConnector(providerId, providers.connector(providerId), meters));
            limits.put(providerId, providers.config(providerId).ratePerSecond());
        }
        final StreamsBuilder commandsBuilder = new StreamsBuilder();
        PartnerTopology.build(commandsBuilder, topics, config.paymentTopology(), misrouting, generation);
        ProviderDispatchTopology.build(commandsBuilder, topics, config.dispatch(), counted::get,
                providerId -> ProviderLimits.of(providers.config(providerId)), ProviderDispatchTopology.FULL_JITTER,
                misrouting);
        OrderTopology.build(commandsBuilder, topics, config.orderTopology(), misrouting, generation);
        final Topology commandsTopology = commandsBuilder.build();
        final TopologyDescription commands = commandsTopology.describe();
        final KafkaStreams streams = streams(commandsTopology, config, topics, self, "", new Properties());
        final StreamsBuilder viewsBuilder = new StreamsBuilder();
        // Long-polls of these views are woken by the write they wait for, not by reading again and again.
        final KeyChanges outcomeChanges = new KeyChanges();
        final KeyChanges paymentChanges = new KeyChanges();
        final KeyChanges orderChanges = new KeyChanges();
        final Map<String, KeyChanges> viewChanges = Map.of(ViewsTopology.COMMAND_OUTCOMES_STORE, outcomeChanges,
                ViewsTopology.PAYMENTS_STORE, paymentChanges, ViewsTopology.ORDERS_STORE, orderChanges);
        ViewsTopology.build(viewsBuilder, topics, (store, key) -> viewChanges.get(store).changed(key));
        final Properties viewsOptimizations = new Properties();
        viewsOptimizations.put(StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, ViewsTopology.OPTIMIZATIONS);
        final Topology viewsTopology = viewsBuilder.build(viewsOptimizations);
        final TopologyDescription viewsDescription = viewsTopology.describe();
        final Properties viewsSettings = new Properties();
        viewsSettings.putAll(viewsOptimizations);
        // An order's view holds every batch: a 50,000-note order is about 2 MB, which its changelog takes too.
        viewsSettings.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
                ViewsTopology.ORDER_VIEW_BYTES_MAX);
        final KafkaStreams views = streams(viewsTopology, config, topics, self, VIEWS_APPLICATION_SUFFIX,
                viewsSettings);

        // Each reader knows the topics feeding its store, so that it answers "not found" only once it has read them.
        final KeyReader<String, PartnerBalance> balances = reader(streams, commands,
                PartnerProcessor.BALANCES_STORE, self, null);
        final KeyReader<String, PaymentEvent> outcomes = reader(views, viewsDescription,
                ViewsTopology.COMMAND_OUTCOMES_STORE, self, null);
        final KeyReader<String, Payment> payments = reader(views, viewsDescription, ViewsTopology.PAYMENTS_STORE,
                self, null);
        final KeyReader<String, OrderView> orders = reader(views, viewsDescription, ViewsTopology.ORDERS_STORE,
                self, null);
        final KeyReader<String, ParentOrderView> parentOrders = reader(views, viewsDescription,
                ViewsTopology.PARENT_ORDERS_STORE, self, null);
        final KeyReader<String, InvestorPositions> positions = reader(views, viewsDescription,
                ViewsTopology.POSITIONS_STORE, self, null);
        // Items are stored under categoryId/itemId in the partition of their category (the order-commands key).
        final KeyReader<String, Item> items = reader(streams, commands, OrderProcessor.ITEMS_STORE, self,
                KeyReader.prefixBefore(OrderProcessor.KEY_SEPARATOR));
        final GlobalStoreReader<String, CatalogEntry> catalog = new GlobalStoreReader<>(streams,
                OrderTopology.CATALOG_STORE);
        invalidateOnRebalance(streams, balances, items);
        invalidateOnRebalance(views, outcomes, payments, orders, parentOrders);

        final List<KafkaStreamsMetrics> streamsMetrics = List.of(new KafkaStreamsMetrics(streams),
                new KafkaStreamsMetrics(views));
        streamsMetrics.forEach(binder -> binder.bindTo(meters));
        for (final String topic : misrouting.topics()) {
            FunctionCounter.builder(MISROUTED_METER, misrouting, refused -> refused.refused(topic))
                    .description("Records refused because they arrived on a partition their key does not map to")
                    .tag("topic", topic)
                    .register(meters);
        }
        // A key missing from a store is "not found" only once what was accepted before the read has reached it.
        final Admin barrierAdmin = Admin.create(config.kafkaClientConfig());
        final String applicationId = config.getString(BursarConfig.APPLICATION_ID);
        final AbsenceBarrier.Stage commandsStage = new AbsenceBarrier.Stage(applicationId,
                AbsenceBarrier.sourceTopicsOf(commands, applicationId));
        // Twice through the views: the events, then the views' own repartition topics written from them.
        final AbsenceBarrier.Stage viewsStage = new AbsenceBarrier.Stage(applicationId + VIEWS_APPLICATION_SUFFIX,
                AbsenceBarrier.sourceTopicsOf(viewsDescription, applicationId + VIEWS_APPLICATION_SUFFIX));
        final AbsenceCheck commandsAbsence = new AbsenceBarrier(barrierAdmin, config.kafkaClientConfig(),
                List.of(commandsStage));
        final AbsenceCheck viewsAbsence = new AbsenceBarrier(barrierAdmin, config.kafkaClientConfig(),
                List.of(commandsStage, viewsStage, viewsStage));
        final OwnerRouter router = new OwnerRouter(
                new PeerForwarder(Duration.ofMillis(config.getLong(BursarConfig.FORWARD_TIMEOUT_MS)), meters),
                Duration.ofMillis(config.getLong(BursarConfig.REBALANCE_WAIT_MS)));

        final KafkaCommandPublisher publisher = new KafkaCommandPublisher(config.kafkaClientConfig(), topics);
        final LiveSampler live = new LiveSampler(self.host() + ":" + self.port(), streams, views, topics,
                new EventTap(config.kafkaClientConfig(), topics), meters, limits);
        final Map<String, Object> gatewayOverrides = new HashMap<>(config.originals());
        gatewayOverrides.put(GatewayConfig.HTTP_PORT, Integer.toString(self.port()));
        final Gateway gateway = new Gateway(
                new GatewayConfig(gatewayOverrides).settings(config.paymentTopology().holdTtlMsMax(),
                        config.orderTopology().holdTtlMsMax(), config.orderTopology().linesMax()),
                publisher,
                new Gateway.Reads(router.reads(balances, commandsAbsence),
                        router.reads(outcomes, viewsAbsence, outcome -> true, outcomeChanges),
                        router.reads(payments, viewsAbsence, payment -> PaymentStatuses.isTerminal(payment.getStatus()),
                                paymentChanges),
                        router.reads(orders, viewsAbsence, OrderProgress::isFinal, orderChanges),
                        router.reads(parentOrders, viewsAbsence), router.reads(items, commandsAbsence),
                        new ItemCatalog() {
                            @Override
                            public Optional<CatalogEntry> find(final String itemId) {
                                return catalog.read(itemId);
                            }

                            @Override
                            public List<CatalogEntry> page(final String categoryId, final String afterItemId,
                                                           final int limit) {
                                return catalog.scan(afterItemId,
                                        (itemId, entry) -> entry.getCategoryId().equals(categoryId), limit);
                            }
                        }, router.reads(positions, viewsAbsence)),
                new GatewayDeadLetters(new DeadLetters(config.kafkaClientConfig(), topics)), live,
                () -> streams.state() == KafkaStreams.State.RUNNING && views.state() == KafkaStreams.State.RUNNING,
                meters).start();
        streams.start();
        views.start();
        LOG.info("Bursar instance {} started: gateway {}", self, gateway.url());
        return new BursarNode(topics, providers, streams, views, publisher, balances, gateway, meters, streamsMetrics,
                RebuildProgress.watch(views), barrierAdmin, live);
    }

    private static <V> KeyReader<String, V> reader(final KafkaStreams streams, final TopologyDescription topology,
                                                   final String store, final HostInfo self,
                                                   final java.util.function.UnaryOperator<String> partitionKey) {
        return new KeyReader<>(streams, store, new StringSerializer(), self, partitionKey,
                KeyReader.inputTopicsOf(topology, store));
    }

    /** A Streams application of {@code topology}, with {@code builtWith}: the settings the topology was built with. */
    private static KafkaStreams streams(final Topology topology, final BursarConfig config, final Topics topics,
                                        final HostInfo self, final String applicationSuffix,
                                        final Properties builtWith) {
        final Map<String, Object> props = new HashMap<>(StreamsSettings.defaults());
        props.putAll(config.kafkaClientConfig());
        props.putAll(StreamsSettings.required(topics));
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.getString(BursarConfig.APPLICATION_ID) + applicationSuffix);
        props.put(StreamsConfig.STATE_DIR_CONFIG, Path.of(config.getString(BursarConfig.STATE_DIR)).toString());
        props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
        props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, config.getInt(BursarConfig.STANDBY_REPLICAS));
        builtWith.forEach((key, value) -> props.put(key.toString(), value));
        final KafkaStreams streams = new KafkaStreams(topology, new StreamsConfig(props));
        streams.setUncaughtExceptionHandler(e -> {
            if (DeadLetterHandler.isRegistryUnavailable(e)) {
                LOG.warn("Stream thread stopped: schema registry unavailable; replacing the thread", e);
                return StreamThreadExceptionResponse.REPLACE_THREAD;
            }
            // Bad data is answered by rejections and dead letters; anything else here is a bug: stop, don't loop.
            LOG.error("Stream thread failed; shutting this instance's topology down", e);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        return streams;
    }

    /** Cached key owners are stale as soon as partitions move. */
    private static void invalidateOnRebalance(final KafkaStreams streams, final KeyReader<?, ?>... readers) {
        streams.setStateListener((newState, oldState) -> {
            if (newState == KafkaStreams.State.REBALANCING || oldState == KafkaStreams.State.REBALANCING) {
                for (final KeyReader<?, ?> reader : readers) {
                    reader.invalidateOwners();
                }
            }
        });
    }

    private static int portOrFree(final int port) {
        if (port != 0) {
            return port;
        }
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return free.getLocalPort();
        } catch (final IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }

    /** Blocks until both topologies are RUNNING, or throws after {@code timeout}. */
    public void awaitRunning(final Duration timeout) throws InterruptedException {
        final Instant deadline = Instant.now().plus(timeout);
        for (final KafkaStreams app : List.of(streams, views)) {
            while (app.state() != KafkaStreams.State.RUNNING) {
                final KafkaStreams.State state = app.state();
                if (Instant.now().isAfter(deadline)
                        || !state.isRunningOrRebalancing() && state != KafkaStreams.State.CREATED) {
                    throw new IllegalStateException("Kafka Streams did not reach RUNNING within " + timeout + ": " + state);
                }
                Thread.sleep(50);
            }
        }
    }

    public Topics topics() {
        return topics;
    }

    public KafkaStreams streams() {
        return streams;
    }

    public KafkaStreams views() {
        return views;
    }

    public KafkaCommandPublisher publisher() {
        return publisher;
    }

    /** This instance's local reads of partner balances (no forwarding). */
    public KeyReader<String, PartnerBalance> balances() {
        return balances;
    }

    /**
     * Whether this instance's item catalog (a global table) lists {@code itemId}: the gateway accepts orders naming
     * it. False while the catalog cannot be read yet.
     */
    public boolean catalogues(final String itemId) {
        try {
            return streams.store(StoreQueryParameters.fromNameAndType(OrderTopology.CATALOG_STORE,
                    QueryableStoreTypes.<String, CatalogEntry>timestampedKeyValueStore())).get(itemId) != null;
        } catch (final InvalidStateStoreException notYet) {
            return false;
        }
    }

    public Gateway gateway() {
        return gateway;
    }

    @Override
    public void close() {
        gateway.close();
        live.close();
        barrierAdmin.close(Duration.ofSeconds(5));
        publisher.close();
        // Leaving the group hands this instance's tasks to the others at once, instead of after the session timeout.
        final CloseOptions leave = CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(STREAMS_CLOSE_TIMEOUT);
        views.close(leave);
        streams.close(leave);
        providers.close();
        rebuildProgress.close();
        streamsMetrics.forEach(KafkaStreamsMetrics::close);
        meters.close();
    }

    /**
     * Fails when a topic of the catalog exists with another partition count than the catalog's: records would be
     * judged against the wrong count, and co-partitioned topics would not line up.
     */
    /** Stores of earlier builds that held the memory of decided commands, and the store holding it now. */
    static final Map<String, String> EARLIER_COMMAND_MEMORIES = Map.of(
            "balance-command-results", PartnerProcessor.RESULTS_STORE,
            "category-command-results", OrderProcessor.RESULTS_STORE);

    /**
     * Refuses to start on a cluster where an earlier build kept the memory of decided commands in a store of
     * another name (or shape) and today's has none yet: started, the instance would forget every command id
     * decided before, and apply a retried command twice. {@code bursar reset --all} rebuilds the memory from the log.
     */
    static void checkCommandMemories(final Map<String, Object> clientConfig, final String applicationId) {
        final Set<String> existing;
        try (Admin admin = Admin.create(clientConfig)) {
            existing = admin.listTopics().names().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot list topics", e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while listing topics", e);
        }
        for (final Map.Entry<String, String> memory : EARLIER_COMMAND_MEMORIES.entrySet()) {
            final String earlier = applicationId + "-" + memory.getKey() + "-changelog";
            final String now = applicationId + "-" + memory.getValue() + "-changelog";
            if (existing.contains(earlier) && !existing.contains(now)) {
                throw new StartupException("the commands already decided are remembered in " + earlier + ", which "
                        + "this build no longer reads (it keeps them in " + memory.getValue() + "); stop every "
                        + "instance and run bursar reset --all to rebuild every store from the log", null);
            }
        }
    }

    static void checkPartitions(final Map<String, Object> clientConfig, final Topics topics) {
        try (Admin admin = Admin.create(clientConfig)) {
            final Set<String> existing = admin.listTopics().names().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            final List<String> names = topics.all().stream().map(Topics.Topic::name).filter(existing::contains).toList();
            final Map<String, TopicDescription> described = admin.describeTopics(names).allTopicNames()
                    .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            final List<String> wrong = new ArrayList<>();
            for (final Topics.Topic<?, ?> topic : topics.all()) {
                final TopicDescription description = described.get(topic.name());
                if (description != null && description.partitions().size() != topic.partitions()) {
                    wrong.add(topic.name() + " has " + description.partitions().size() + " partitions, expected "
                            + topic.partitions());
                }
            }
            if (!wrong.isEmpty()) {
                throw new IllegalStateException("Topic partitions differ from " + BursarConfig.TOPIC_PARTITIONS + ": "
                        + String.join("; ", wrong));
            }
        } catch (final ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot describe topics", e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while describing topics", e);
        }
    }

    /**
     * Throws {@link StartupException} when the schema registry does not answer within {@code startup.timeout.ms}:
     * asked every second, with a line logged each time. Any HTTP answer will do here (credentials and paths are
     * the registry client's business); a refused connection or a timeout will not.
     */
    private static void awaitRegistry(final BursarConfig config) {
        final String url = config.getString(BursarConfig.SCHEMA_REGISTRY_URL).trim();
        if (url.startsWith(SchemaRegistryClients.MOCK_URL_PREFIX)) {
            return;
        }
        final long timeoutMs = config.getLong(BursarConfig.STARTUP_TIMEOUT_MS);
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        final URI subjects;
        try {
            subjects = URI.create(url.endsWith("/") ? url + "subjects" : url + "/subjects");
        } catch (final IllegalArgumentException e) {
            throw new StartupException(BursarConfig.SCHEMA_REGISTRY_URL + " is not a URL: " + url, e);
        }
        final Duration each = Duration.ofMillis(Math.min(timeoutMs, 5_000));
        final HttpClient http = HttpClient.newBuilder().connectTimeout(each).build();
        String failure = "no answer";
        while (true) {
            try {
                http.send(HttpRequest.newBuilder(subjects).timeout(each).GET().build(),
                        HttpResponse.BodyHandlers.discarding());
                return;
            } catch (final IOException | IllegalArgumentException e) {
                failure = e instanceof java.net.http.HttpTimeoutException ? "no answer in time"
                        : e instanceof java.net.ConnectException ? "connection refused"
                        : e.getMessage() == null ? "unreachable" : e.getMessage();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StartupException("interrupted while waiting for the schema registry", e);
            }
            final long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (leftMs <= 0) {
                throw new StartupException("the schema registry at " + url + " did not answer within " + timeoutMs
                        + " ms (" + failure + "); check " + BursarConfig.SCHEMA_REGISTRY_URL + " or raise "
                        + BursarConfig.STARTUP_TIMEOUT_MS, null);
            }
            LOG.warn("Waiting for the schema registry at {} ({}); {} ms left of {}", url, failure, leftMs,
                    BursarConfig.STARTUP_TIMEOUT_MS);
            pauseStartup(Math.min(leftMs, 1_000));
        }
    }

    private static void pauseStartup(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupException("interrupted while starting", e);
        }
    }

    /** Throws {@link StartupException} when the cluster does not answer within {@code startup.timeout.ms}. */
    private static void awaitKafka(final BursarConfig config) {
        final long timeoutMs = config.getLong(BursarConfig.STARTUP_TIMEOUT_MS);
        final Map<String, Object> clientConfig = new HashMap<>(config.kafkaClientConfig());
        clientConfig.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeoutMs);
        clientConfig.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeoutMs, 30_000));
        try (Admin admin = Admin.create(clientConfig)) {
            admin.describeCluster().clusterId().get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (final ExecutionException | TimeoutException e) {
            throw new StartupException("Kafka at " + config.getString(BursarConfig.BOOTSTRAP_SERVERS)
                    + " did not answer within " + timeoutMs + " ms; check " + BursarConfig.BOOTSTRAP_SERVERS
                    + " (and the kafka.* security settings) or raise " + BursarConfig.STARTUP_TIMEOUT_MS, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupException("interrupted while waiting for Kafka", e);
        }
    }

    static void createMissingTopics(final Map<String, Object> clientConfig, final Topics topics) {
        try (Admin admin = Admin.create(clientConfig)) {
            final Set<String> existing = admin.listTopics().names().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            final List<NewTopic> missing = topics.all().stream()
                    .filter(t -> !existing.contains(t.name()))
                    .map(t -> new NewTopic(t.name(), t.partitions(), (short) -1).configs(t.configs()))
                    .toList();
            final Map<String, KafkaFuture<Void>> created = admin.createTopics(missing).values();
            for (final Map.Entry<String, KafkaFuture<Void>> topic : created.entrySet()) {
                try {
                    topic.getValue().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                    LOG.info("Created topic {}", topic.getKey());
                } catch (final ExecutionException e) {
                    // Instances started together race to create the same topics; the first one wins.
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        } catch (final ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create topics", e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }
}
