package io.bursar.serdes;

import io.bursar.schemas.dispatch.ProviderCall;
import io.bursar.schemas.dispatch.ProviderCallResult;
import io.bursar.schemas.orders.CatalogEntry;
import io.bursar.schemas.orders.OrderCommand;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The catalog of every Bursar topic: name, key and value serde, partitions. It is the only place a
 * topic name is written; everything else receives a {@link Topics} built once from configuration.
 */
public final class Topics {

    /** One topic with the serdes of its keys and values, and the topic configs it is created with. */
    public record Topic<K, V>(String name, int partitions, Serde<K> keySerde, Serde<V> valueSerde,
                              Map<String, String> configs) {
        public Topic {
            Objects.requireNonNull(name, "name");
            if (partitions < 1) {
                throw new IllegalArgumentException("partitions must be >= 1: " + name);
            }
            configs = Map.copyOf(configs);
        }

        /** A topic created with the cluster's defaults. */
        public Topic(final String name, final int partitions, final Serde<K> keySerde, final Serde<V> valueSerde) {
            this(name, partitions, keySerde, valueSerde, Map.of());
        }
    }

    /** Commands on partner balances and payments, keyed by partnerId. */
    public final Topic<String, PaymentCommand> paymentCommands;
    /**
     * One result per payment command (and per expired hold, and per provider answer applied): keyed by paymentId
     * when the event is about a payment, so one payment's events stay in order in one partition; else by partnerId.
     */
    public final Topic<String, PaymentEvent> paymentEvents;
    /**
     * The first result of every payment command (events with {@code duplicate = false}), keyed by commandId and
     * compacted: written by the partner in the transaction of its payment event, read by the views application
     * as its command-outcomes table, whose changelog it also is.
     */
    public final Topic<String, PaymentEvent> commandOutcomes;
    /** Commands on items and orders, keyed by categoryId. */
    public final Topic<String, OrderCommand> orderCommands;
    /**
     * The payment events that settle an order (its payment succeeded, failed or was refunded), keyed by the
     * order's categoryId: written by the partner that paid, in the transaction of its payment event, and read
     * with order-commands by the category that owns the order (same partitions).
     */
    public final Topic<String, PaymentEvent> orderPaymentOutcomes;
    /** One result per order command (and per order expiry or payment outcome), keyed by orderId, else categoryId. */
    public final Topic<String, OrderEvent> orderEvents;
    /** Which category sells each item, keyed by itemId; compacted, read as a global table by every instance. */
    public final Topic<String, CatalogEntry> itemCatalog;
    /**
     * Records that could not be read (deserialization failed), as their original bytes, with the
     * error and their origin (topic, partition, offset) in headers. Shared by every input topic.
     */
    public final Topic<byte[], byte[]> deadLetters;
    /** Calls to external providers, keyed by providerId so that one task owns (and rate-limits) each provider. */
    public final Topic<String, ProviderCall> providerRequests;
    /** The one final outcome of every provider call, keyed by partnerId. */
    public final Topic<String, ProviderCallResult> providerResults;
    /**
     * The one final outcome of every bulk fulfilment call (RESERVE, INVEST, RELEASE of an order batch's lines),
     * keyed by the order's categoryId and read with order-commands by the category that owns the order (same
     * partitions).
     */
    public final Topic<String, ProviderCallResult> fulfilmentResults;
    /**
     * Provider calls that failed for good or ran out of attempts, keyed by providerId, with the reason
     * and the attempts made in headers.
     */
    public final Topic<String, ProviderCall> providerDeadLetters;
    /**
     * Every final provider outcome, keyed by the call's idempotency key; compacted, and never deleted by a
     * reset, so reprocessing history reuses what providers answered instead of calling them again.
     */
    public final Topic<String, ProviderCallResult> providerOutcomes;

    private final Map<String, ?> serdeConfig;

    private Topics(final Map<String, ?> serdeConfig, final int partitions) {
        // Builders of the generated records resolve their fields' default values (an empty array of records, say)
        // through Avro's class checks too, not only the deserializers: every process using the catalog trusts them.
        TrustedAvroPackages.install();
        this.serdeConfig = Map.copyOf(serdeConfig);
        this.paymentCommands = new Topic<>("payment-commands", partitions, Serdes.String(), valueSerde(PaymentCommand.class));
        this.paymentEvents = new Topic<>("payment-events", partitions, Serdes.String(), valueSerde(PaymentEvent.class));
        this.commandOutcomes = new Topic<>("command-outcomes", partitions, Serdes.String(), valueSerde(PaymentEvent.class),
                Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        this.orderCommands = new Topic<>("order-commands", partitions, Serdes.String(), valueSerde(OrderCommand.class));
        this.orderPaymentOutcomes = new Topic<>("order-payment-outcomes", partitions, Serdes.String(),
                valueSerde(PaymentEvent.class));
        this.orderEvents = new Topic<>("order-events", partitions, Serdes.String(), valueSerde(OrderEvent.class));
        this.itemCatalog = new Topic<>("item-catalog", 1, Serdes.String(), valueSerde(CatalogEntry.class),
                Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        this.deadLetters = new Topic<>("command-dead-letters", 1, Serdes.ByteArray(), Serdes.ByteArray());
        this.providerRequests = new Topic<>("provider-requests", partitions, Serdes.String(), valueSerde(ProviderCall.class));
        this.providerResults = new Topic<>("provider-results", partitions, Serdes.String(), valueSerde(ProviderCallResult.class));
        this.fulfilmentResults = new Topic<>("fulfilment-results", partitions, Serdes.String(),
                valueSerde(ProviderCallResult.class));
        this.providerDeadLetters = new Topic<>("provider-requests-dlq", 1, Serdes.String(), valueSerde(ProviderCall.class));
        this.providerOutcomes = new Topic<>("provider-outcomes", partitions, Serdes.String(),
                valueSerde(ProviderCallResult.class), Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
    }

    /**
     * Builds the catalog.
     *
     * @param serdeConfig registry settings for the Avro serdes ({@code schema.registry.url}, ...)
     * @param partitions partitions of the command and event topics
     */
    public static Topics create(final Map<String, ?> serdeConfig, final int partitions) {
        return new Topics(serdeConfig, partitions);
    }

    /** Every topic, for creating them on a cluster. */
    public List<Topic<?, ?>> all() {
        return List.of(paymentCommands, paymentEvents, commandOutcomes, orderCommands, orderPaymentOutcomes, orderEvents, itemCatalog,
                deadLetters, providerRequests, providerResults, fulfilmentResults, providerDeadLetters, providerOutcomes);
    }

    /**
     * Registers the value schemas of the command topics when {@code auto.register.schemas} is on, so that a
     * producer in any language finds them in the registry ({@code <topic>-value}) before any command is written.
     *
     * @throws SchemaRegistryException when the registry refuses a schema or cannot be reached
     */
    public void registerCommandSchemas() {
        final AvroSerdeConfig config = new AvroSerdeConfig(serdeConfig);
        if (!config.autoRegisterSchemas()) {
            return;
        }
        final SchemaRegistryClient client = SchemaRegistryClients.forUrl(config.schemaRegistryUrl());
        client.register(TopicNameStrategy.subject(paymentCommands.name(), false), PaymentCommand.getClassSchema());
        client.register(TopicNameStrategy.subject(orderCommands.name(), false), OrderCommand.getClassSchema());
    }

    /** A value serde for a stored-state record, configured like the topic serdes (for state stores). */
    public <T extends SpecificRecord> Serde<T> valueSerde(final Class<T> type) {
        final SpecificAvroSerde<T> serde = new SpecificAvroSerde<>(type);
        serde.configure(serdeConfig, false);
        return serde;
    }
}
