package io.bursar.topology.views;

import io.bursar.schemas.payments.Payment;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.serdes.Topics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Builds the read-side views from the event topics. They run as their own Streams application, so
 * they can be reset and rebuilt from the events without replaying commands.
 *
 * <p>{@value #COMMAND_OUTCOMES_STORE}: commandId → the command's result event (the first one; replays
 * and conflicts, marked {@code duplicate}, never replace it).
 *
 * <p>{@value #PAYMENTS_STORE}: paymentId → the payment as its latest event left it. Payment events are
 * keyed by paymentId already, and one task emits all events of a payment in order, so the view needs
 * no repartition; replays ({@code duplicate}) are skipped so an old snapshot never overwrites a newer one.
 */
public final class ViewsTopology {

    /** commandId → {@link PaymentEvent}. */
    public static final String COMMAND_OUTCOMES_STORE = "command-outcomes";
    /** paymentId → {@link Payment}. */
    public static final String PAYMENTS_STORE = "payments-by-id";

    private ViewsTopology() {
    }

    public static void build(final StreamsBuilder builder, final Topics topics) {
        final KStream<String, PaymentEvent> firstResults = builder.stream(topics.paymentEvents.name(),
                        Consumed.with(topics.paymentEvents.keySerde(), topics.paymentEvents.valueSerde())
                                .withName(topics.paymentEvents.name() + "-view-source"))
                .filter((key, event) -> event != null && !event.getDuplicate(), Named.as("first-results-only"));
        firstResults
                .selectKey((key, event) -> event.getCommandId(), Named.as("key-by-command-id"))
                .toTable(Named.as(COMMAND_OUTCOMES_STORE + "-table"),
                        Materialized.<String, PaymentEvent, KeyValueStore<Bytes, byte[]>>as(COMMAND_OUTCOMES_STORE)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(topics.paymentEvents.valueSerde()));
        firstResults
                .filter((paymentId, event) -> event.getPayment() != null, Named.as("about-a-payment"))
                .mapValues(PaymentEvent::getPayment, Named.as("the-payment"))
                .toTable(Named.as(PAYMENTS_STORE + "-table"),
                        Materialized.<String, Payment, KeyValueStore<Bytes, byte[]>>as(PAYMENTS_STORE)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(topics.valueSerde(Payment.class)));
    }
}
