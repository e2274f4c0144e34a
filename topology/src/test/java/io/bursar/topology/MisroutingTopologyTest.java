package io.bursar.topology;

import static io.bursar.topology.testing.Payments.command;
import static io.bursar.topology.testing.Payments.eur;
import static io.bursar.topology.testing.TestDrivers.count;
import static io.bursar.topology.testing.TestDrivers.header;
import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.schemas.common.Money;
import io.bursar.schemas.dispatch.ProviderCall;
import io.bursar.schemas.dispatch.ProviderCallOutcome;
import io.bursar.schemas.dispatch.ProviderCallResult;
import io.bursar.schemas.dispatch.ProviderOperation;
import io.bursar.schemas.orders.OrderCommand;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.orders.OrderRejectionReason;
import io.bursar.schemas.orders.UpsertItem;
import io.bursar.schemas.orders.UpsertItemKind;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.CreditKind;
import io.bursar.schemas.payments.Outcome;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentEventType;
import io.bursar.schemas.payments.RejectionReason;
import io.bursar.serdes.Topics;
import io.bursar.topology.dispatch.ProviderDispatchConfig;
import io.bursar.topology.dispatch.ProviderDispatchProcessor;
import io.bursar.topology.dispatch.ProviderDispatchTopology;
import io.bursar.topology.dispatch.ProviderLimits;
import io.bursar.topology.orders.OrderProcessor;
import io.bursar.topology.orders.OrderTopology;
import io.bursar.topology.orders.OrderTopologyConfig;
import io.bursar.topology.payments.PartnerDriver;
import io.bursar.topology.payments.PartnerProcessor;
import io.bursar.topology.testing.TestDrivers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records on a partition their key does not map to, through the three command topologies: TopologyTestDriver
 * delivers every input on partition 0, so with 4 partitions a key whose partition is not 0 arrives misrouted,
 * as a librdkafka producer with its default partitioner would send it.
 */
class MisroutingTopologyTest {

    private static final Instant START = Instant.parse("2026-12-06T10:00:00Z");
    private static final int PARTITIONS = 4;

    private final Topics topics = TestDrivers.topics(PARTITIONS);
    private final Misrouting misrouting = Misrouting.of(topics);

    /** The partner topology, with the category and dispatch topologies in the same builder. */
    @AutoClose
    private final PartnerDriver topologies;
    private final TestOutputTopic<String, OrderEvent> orderEvents;

    MisroutingTopologyTest(@TempDir final Path stateDir) {
        topologies = PartnerDriver.builder(stateDir).applicationId("bursar-misrouting-test").startingAt(START)
                .topics(topics).misrouting(misrouting).also((builder, catalog) -> {
                    OrderTopology.build(builder, catalog, new OrderTopologyConfig(Map.of()), misrouting,
                            Generation.FIRST);
                    ProviderDispatchTopology.build(builder, catalog, new ProviderDispatchConfig(Map.of()),
                            providerId -> null, providerId -> new ProviderLimits(2, 2), ceilingMs -> 0L, misrouting);
                }).start();
        orderEvents = topologies.output(topics.orderEvents);
    }

    @Test
    void thePartitionIsTheOneJavasProducerPicks() {
        for (final int partitions : List.of(1, 2, 3, 4, 7, 12, 64)) {
            IntStream.range(0, 500).mapToObj(i -> "partner-" + i + "-é").forEach(key ->
                    assertThat(Misrouting.partitionOf(key, partitions)).as(key).isEqualTo(
                            BuiltInPartitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8),
                                    partitions)));
        }
    }

    @Test
    void aMisroutedCommandIsRejectedAndChangesNoStore() {
        final String elsewhere = keyOnPartition(2);
        topologies.input(topics.paymentCommands).pipeInput(elsewhere, credit("c1", elsewhere, 500));

        final PaymentEvent event = topologies.events.readValue();
        assertThat(event.getOutcome()).isEqualTo(Outcome.REJECTED);
        assertThat(event.getReason()).isEqualTo(RejectionReason.WRONG_PARTITION);
        assertThat(event.getCommandId()).isEqualTo("c1");
        assertThat(event.getBalanceAfter()).isNull();
        assertThat(event.getDetail()).contains("belongs on partition 2 of payment-commands (4 partitions")
                .contains("arrived on partition 0");
        assertThat(count(topologies.driver.getKeyValueStore(PartnerProcessor.BALANCES_STORE))).isZero();
        assertThat(count(topologies.driver.getWindowStore(PartnerProcessor.RESULTS_STORE))).isZero();
        assertThat(misrouting.refused(topics.paymentCommands.name())).isEqualTo(1);
    }

    @Test
    void aCommandOnItsPartitionIsApplied() {
        final String here = keyOnPartition(0);
        topologies.input(topics.paymentCommands).pipeInput(here, credit("c1", here, 500));

        final PaymentEvent event = topologies.events.readValue();
        assertThat(event.getOutcome()).isEqualTo(Outcome.ACCEPTED);
        assertThat(event.getDetail()).isNull();
        assertThat(event.getBalanceAfter().getAvailableMinor()).isEqualTo(500);
        assertThat(misrouting.refused(topics.paymentCommands.name())).isZero();
    }

    @Test
    void aMisroutedOrderCommandIsRejectedAndStoresNoItem() {
        final String elsewhere = keyOnPartition(3);
        topologies.input(topics.orderCommands).pipeInput(elsewhere, OrderCommand.newBuilder()
                .setCommandId("u1").setCategoryId(elsewhere).setIssuedAt(START)
                .setPayload(UpsertItem.newBuilder().setUpsertItem(UpsertItemKind.UPSERT_ITEM).setItemId("dune")
                        .setStockSet(10L).setPrice(new Money(900L, "EUR")).build())
                .build());

        final OrderEvent event = orderEvents.readValue();
        assertThat(event.getOutcome()).isEqualTo(Outcome.REJECTED);
        assertThat(event.getReason()).isEqualTo(OrderRejectionReason.WRONG_PARTITION);
        assertThat(event.getDetail()).contains("belongs on partition 3 of order-commands");
        assertThat(count(topologies.driver.getKeyValueStore(OrderProcessor.ITEMS_STORE))).isZero();
        assertThat(count(topologies.driver.getWindowStore(OrderProcessor.RESULTS_STORE))).isZero();
        assertThat(misrouting.refused(topics.orderCommands.name())).isEqualTo(1);
    }

    @Test
    void misroutedInternalRecordsGoToTheDeadLetterTopicWithTheReason() {
        final String partner = keyOnPartition(1);
        topologies.input(topics.providerResults).pipeInput(partner, new ProviderCallResult("charge:" + partner
                + ":pay-1", "pay-1", partner, "sim", ProviderCallOutcome.SUCCEEDED, 1, "ref-1", 200, null, START, ProviderOperation.CHARGE,
                List.of(), null, List.of(), 0));
        final String category = keyOnPartition(2);
        topologies.input(topics.orderPaymentOutcomes).pipeInput(category, PaymentEvent.newBuilder()
                .setCommandId("o-1").setPartnerId(partner).setType(PaymentEventType.REQUEST_PAYMENT)
                .setOutcome(Outcome.ACCEPTED).setDuplicate(false).setProcessedAt(START).build());

        final List<TestRecord<byte[], byte[]>> letters = topologies.deadLetters.readRecordsToList();
        assertThat(letters).hasSize(2);
        assertThat(letters).allSatisfy(letter -> {
            assertThat(header(letter, DeadLetterHandler.HEADER_ERROR_REASON)).isEqualTo(Misrouting.WRONG_PARTITION);
            assertThat(header(letter, DeadLetterHandler.HEADER_ORIGIN_PARTITION)).isEqualTo("0");
        });
        assertThat(letters).extracting(letter -> header(letter, DeadLetterHandler.HEADER_ORIGIN_TOPIC))
                .containsExactly(topics.providerResults.name(), topics.orderPaymentOutcomes.name());
        // The dead letter is the record itself, readable with its topic's serde.
        assertThat(topics.providerResults.valueSerde().deserializer().deserialize(topics.providerResults.name(),
                letters.get(0).value()).getPaymentId()).isEqualTo("pay-1");
        assertThat(topologies.events.isEmpty()).isTrue();
        assertThat(orderEvents.isEmpty()).isTrue();
        assertThat(count(topologies.driver.getKeyValueStore(PartnerProcessor.PAYMENTS_STORE))).isZero();
    }

    @Test
    void aMisroutedProviderCallFailsWithoutACallAndIsDeadLettered() {
        final String provider = keyOnPartition(1);
        topologies.input(topics.providerRequests).pipeInput(provider, new ProviderCall("charge:acme:pay-1",
                "pay-1", "acme", provider, new Money(100L, "EUR"), START, ProviderOperation.CHARGE, null, List.of(), 0));

        final List<TestRecord<String, ProviderCall>> dead = topologies.output(topics.providerDeadLetters)
                .readRecordsToList();
        assertThat(dead).hasSize(1);
        assertThat(header(dead.get(0), ProviderDispatchProcessor.HEADER_ERROR_REASON)).startsWith("WRONG_PARTITION: ");
        final ProviderCallResult result = topologies.output(topics.providerResults).readValue();
        assertThat(result.getOutcome()).isEqualTo(ProviderCallOutcome.FAILED);
        assertThat(count(topologies.driver.getKeyValueStore(ProviderDispatchProcessor.QUEUE_STORE))).isZero();
        assertThat(misrouting.refused(topics.providerRequests.name())).isEqualTo(1);
    }

    private static String keyOnPartition(final int partition) {
        return IntStream.range(0, 1_000).mapToObj(i -> "key-" + i)
                .filter(key -> Misrouting.partitionOf(key, PARTITIONS) == partition)
                .findFirst().orElseThrow();
    }

    private static PaymentCommand credit(final String commandId, final String partnerId, final long amountMinor) {
        return command(commandId, partnerId, new Credit(CreditKind.CREDIT, eur(amountMinor)), START);
    }
}
