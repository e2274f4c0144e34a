package io.bursar.app.load;

import io.bursar.app.bench.PaymentMix;
import io.bursar.schemas.common.Money;
import io.bursar.schemas.orders.CancelOrder;
import io.bursar.schemas.orders.CancelOrderKind;
import io.bursar.schemas.orders.CreateOrder;
import io.bursar.schemas.orders.CreateOrderKind;
import io.bursar.schemas.orders.OrderCommand;
import io.bursar.schemas.orders.OrderLine;
import io.bursar.schemas.orders.UpsertItem;
import io.bursar.schemas.orders.UpsertItemKind;
import io.bursar.schemas.payments.HoldFunds;
import io.bursar.schemas.payments.HoldFundsKind;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentMethod;
import io.bursar.schemas.payments.RequestPayment;
import io.bursar.schemas.payments.RequestPaymentKind;
import io.bursar.serdes.Topics;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A mixed load of commands written straight to the command topics at a steady rate, until stopped: balance
 * commands of {@link PaymentMix} over {@value #PARTNERS} partners of its own, one in ten a PROVIDER payment
 * through one provider, one in twenty an order of one of {@value #ITEMS} items of its own, paid from the
 * balance with a short hold, in three fates (placed on payment, cancelled at once, left to expire), and one in
 * twenty-five a short hold left to expire. {@code bursar chaos} runs it under faults, {@code bursar demo --load}
 * so the live page shows life. Deterministic for a seed, apart from timing.
 */
public final class MixedLoad {

    static final int PARTNERS = 50;
    static final int ITEMS = 20;
    static final long SHORT_HOLD_TTL_MS = 2_000;
    private static final long TICK_MS = 10;

    private final String runId;
    private final Topics topics;
    private final String providerId;
    private final double ratePerSecond;
    private final long seed;
    private final Consumer<String> providerPaymentWritten;

    /**
     * @param runId                  prefix of its commandIds, paymentIds, orderIds and categories: unique per cluster
     * @param providerId             the provider of its PROVIDER payments
     * @param ratePerSecond          commands per second
     * @param providerPaymentWritten told each PROVIDER payment's id once Kafka has it
     */
    public MixedLoad(final String runId, final Topics topics, final String providerId, final double ratePerSecond,
                     final long seed, final Consumer<String> providerPaymentWritten) {
        if (!(ratePerSecond > 0)) {
            throw new IllegalArgumentException("the rate must be positive, was " + ratePerSecond);
        }
        this.runId = runId;
        this.topics = topics;
        this.providerId = providerId;
        this.ratePerSecond = ratePerSecond;
        this.seed = seed;
        this.providerPaymentWritten = providerPaymentWritten;
    }

    /**
     * Opens the partners' balances and lists the items, then sends commands at the rate while {@code running}, and
     * flushes; {@code sent} counts every command written.
     */
    public void run(final String bootstrapServers, final AtomicBoolean running, final AtomicLong sent) {
        final PaymentMix mix = new PaymentMix(runId, PARTNERS, 0.8, seed);
        final Random draw = new Random(seed + 1);
        final Map<String, Object> producerConfig = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 600_000, ProducerConfig.MAX_BLOCK_MS_CONFIG, 600_000);
        try (KafkaProducer<String, PaymentCommand> producer = new KafkaProducer<>(producerConfig,
                new StringSerializer(), topics.paymentCommands.valueSerde().serializer());
             KafkaProducer<String, OrderCommand> orders = new KafkaProducer<>(producerConfig, new StringSerializer(),
                     topics.orderCommands.valueSerde().serializer())) {
            for (int i = 0; i < PARTNERS; i++) {
                send(producer, mix.opening(i), sent, null);
            }
            for (int i = 0; i < ITEMS; i++) {
                orders.send(new ProducerRecord<>(topics.orderCommands.name(), category(i), orderCommand(
                        runId + "-item-" + i, category(i), new UpsertItem(UpsertItemKind.UPSERT_ITEM,
                                item(i), "Item " + i, new Money(500L, "EUR"), 1_000_000L, null, null))));
                sent.incrementAndGet();
            }
            orders.flush();
            sleep(3_000); // the catalog is a global table: every instance learns the items before orders name them
            final double perTick = ratePerSecond * TICK_MS / 1000.0;
            double owed = 0;
            long sequence = 0;
            while (running.get()) {
                owed += perTick;
                while (owed >= 1) {
                    owed--;
                    sequence++;
                    final String partner = PaymentMix.partnerId(draw.nextInt(PARTNERS));
                    if (sequence % 10 == 0) {
                        final String paymentId = runId + "-pay-" + sequence;
                        // Told only once accepted (written): from then on, no answer may say it does not exist.
                        send(producer, command(runId + "-p" + sequence, partner, new RequestPayment(
                                RequestPaymentKind.REQUEST_PAYMENT, paymentId, new Money(1_000L + draw.nextInt(9_000),
                                "EUR"), PaymentMethod.PROVIDER, providerId, null, null)), sent, written(paymentId));
                    } else if (sequence % 20 == 7) {
                        order(orders, sequence, partner, draw, sent);
                    } else if (sequence % 25 == 1) {
                        send(producer, command(runId + "-h" + sequence, partner, new HoldFunds(HoldFundsKind.HOLD_FUNDS,
                                "short-" + sequence, new Money(100L, "EUR"), SHORT_HOLD_TTL_MS)), sent, null);
                    } else {
                        send(producer, mix.next(sequence), sent, null);
                    }
                }
                sleep(TICK_MS);
            }
            producer.flush();
            orders.flush();
        }
    }

    private Callback written(final String paymentId) {
        return (metadata, error) -> {
            if (error == null) {
                providerPaymentWritten.accept(paymentId);
            }
        };
    }

    private String category(final int item) {
        return runId + "-category-" + item % 4;
    }

    private static String item(final int item) {
        return "item-" + item;
    }

    /**
     * An order of one item paid from the partner's balance with a short hold, in three fates: placed as soon
     * as it is paid, cancelled at once, or left unplaced until its hold expires.
     */
    private void order(final KafkaProducer<String, OrderCommand> orders, final long sequence, final String partner,
                       final Random draw, final AtomicLong sent) {
        final int item = draw.nextInt(ITEMS);
        final String orderId = runId + "-order-" + sequence;
        final int fate = (int) (sequence / 20 % 3);
        final CreateOrder create = CreateOrder.newBuilder().setCreateOrder(CreateOrderKind.CREATE_ORDER)
                .setOrderId(orderId).setBatch(0).setBatches(1).setCustomerId(runId).setPartnerId(partner)
                .setItems(List.of(new OrderLine(item(item), 1L + draw.nextInt(3)))).setHoldTtlMs(SHORT_HOLD_TTL_MS)
                .setAllowPartial(false).setPaymentMethod(PaymentMethod.BALANCE).setProviderId(null)
                .setPlaceOnPayment(fate == 0).build();
        orders.send(new ProducerRecord<>(topics.orderCommands.name(), category(item), orderCommand(orderId + "-create",
                category(item), create)));
        sent.incrementAndGet();
        if (fate == 1) {
            orders.send(new ProducerRecord<>(topics.orderCommands.name(), category(item), orderCommand(orderId + "-cancel",
                    category(item), new CancelOrder(CancelOrderKind.CANCEL_ORDER, orderId, null))));
            sent.incrementAndGet();
        }
    }

    private static OrderCommand orderCommand(final String commandId, final String categoryId, final Object payload) {
        return OrderCommand.newBuilder().setCommandId(commandId).setCategoryId(categoryId).setIssuedAt(Instant.now())
                .setPayload(payload).build();
    }

    private void send(final KafkaProducer<String, PaymentCommand> producer, final PaymentCommand command,
                      final AtomicLong sent, final Callback written) {
        producer.send(new ProducerRecord<>(topics.paymentCommands.name(), command.getPartnerId(), command), written);
        sent.incrementAndGet();
    }

    private static PaymentCommand command(final String commandId, final String partnerId, final Object payload) {
        return PaymentCommand.newBuilder().setCommandId(commandId).setPartnerId(partnerId).setIssuedAt(Instant.now())
                .setPayload(payload).build();
    }

    private static void sleep(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
