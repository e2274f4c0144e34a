package io.bursar.topology.orders;

import io.bursar.schemas.dispatch.ProviderCall;
import io.bursar.schemas.orders.CatalogEntry;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.payments.PaymentCommand;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;

/**
 * What one decision sends, in the order it is to be sent, each record with its key: order events (by
 * orderId, else categoryId), payment commands (by partnerId), calls to a fulfilment provider (by providerId)
 * and catalog entries (by itemId). The
 * processor forwards it all in the transaction of the record that caused it.
 */
final class Outbox {

    private final List<KeyValue<String, SpecificRecord>> records = new ArrayList<>();

    void event(final OrderEvent event) {
        records.add(KeyValue.pair(OrderEvents.keyOf(event), event));
    }

    void payment(final PaymentCommand command) {
        records.add(KeyValue.pair(command.getPartnerId(), command));
    }

    void call(final ProviderCall call) {
        records.add(KeyValue.pair(call.getProviderId(), call));
    }

    void catalog(final CatalogEntry entry) {
        records.add(KeyValue.pair(entry.getItemId(), entry));
    }

    List<KeyValue<String, SpecificRecord>> records() {
        return records;
    }
}
