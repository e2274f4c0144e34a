package io.bursar.topology;

import io.bursar.schemas.dispatch.ProviderCall;
import io.bursar.schemas.orders.CatalogEntry;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.topology.orders.OrderEvents;
import io.bursar.topology.payments.PaymentEvents;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * What one decision sends besides its result, in the order it is to be sent, each record with its key: events
 * (a payment's by paymentId, an order's by orderId, else by partner or category), payment commands (by
 * partnerId), provider calls (by providerId) and catalog entries (by itemId). The processor forwards it all in
 * the transaction of the record that caused it. Both command processors decide the same way: a decision returns
 * the command's result and puts whatever else it causes here.
 */
public final class Outbox {

    private final List<KeyValue<String, SpecificRecord>> records = new ArrayList<>();

    public void event(final OrderEvent event) {
        records.add(KeyValue.pair(OrderEvents.keyOf(event), event));
    }

    public void event(final PaymentEvent event) {
        records.add(KeyValue.pair(PaymentEvents.keyOf(event), event));
    }

    public void payment(final PaymentCommand command) {
        records.add(KeyValue.pair(command.getPartnerId(), command));
    }

    public void call(final ProviderCall call) {
        records.add(KeyValue.pair(call.getProviderId(), call));
    }

    public void catalog(final CatalogEntry entry) {
        records.add(KeyValue.pair(entry.getItemId(), entry));
    }

    public List<KeyValue<String, SpecificRecord>> records() {
        return records;
    }

    /**
     * Forwards the records in order, stamped {@code nowMs} and marked with {@code generation}. While the generation
     * replays a record an earlier one processed, only the events are forwarded: the rest went to other keys' inputs
     * then and is read again from there.
     */
    public void forwardTo(final ProcessorContext<String, SpecificRecord> context, final long nowMs,
                          final Generation generation) {
        final boolean replaying = generation.replaying(context);
        for (final KeyValue<String, SpecificRecord> record : records) {
            if (!replaying || record.value instanceof PaymentEvent || record.value instanceof OrderEvent) {
                context.forward(generation.stamp(new Record<>(record.key, record.value, nowMs)));
            }
        }
    }
}
