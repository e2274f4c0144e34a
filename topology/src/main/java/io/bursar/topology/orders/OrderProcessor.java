package io.bursar.topology.orders;

import io.bursar.schemas.OrderRules;
import io.bursar.schemas.orders.CancelOrder;
import io.bursar.schemas.dispatch.ProviderCallResult;
import io.bursar.schemas.orders.CatalogEntry;
import io.bursar.schemas.orders.CreateOrder;
import io.bursar.schemas.orders.Item;
import io.bursar.schemas.orders.Order;
import io.bursar.schemas.orders.OrderCommand;
import io.bursar.schemas.orders.OrderEvent;
import io.bursar.schemas.orders.OrderRejectionReason;
import io.bursar.schemas.orders.PlaceOrder;
import io.bursar.schemas.orders.ProcessedOrderCommand;
import io.bursar.schemas.orders.UpsertItem;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.topology.CommandMemory;
import io.bursar.topology.DeadlineIndex;
import io.bursar.topology.Generation;
import io.bursar.topology.LogClock;
import io.bursar.topology.Misrouting;
import io.bursar.topology.Outbox;
import io.bursar.topology.payments.PartnerTopology;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides every command on {@code order-commands}, every order's payment outcome and every answer of a category's
 * fulfilment provider ({@code fulfilment-results}), and owns the items,
 * stock holds and orders of the categories of its partition: the single writer of each category. Both
 * inputs are keyed by categoryId and co-partitioned, so an order, the stock it holds and the payment it
 * asks for change in one transaction.
 *
 * <p>Each command yields exactly one {@link OrderEvent} with {@code duplicate = false}; a repeated
 * commandId (scoped to its category) yields the original outcome again, or IDEMPOTENCY_CONFLICT for
 * another payload, both marked {@code duplicate = true} and without effect. A wall-clock punctuator
 * expires orders past their hold TTL and forgets commandIds older than the retention, each through a
 * deadline index and a bounded amount of work per punctuation. {@code process()} does no I/O other
 * than its own state stores, and answers bad commands with a rejection instead of throwing.
 *
 * <p>A record that arrived on a partition its key does not map to is refused before any store is read
 * ({@link Misrouting}): a command gets a WRONG_PARTITION rejection, a payment outcome goes back out
 * unchanged, with the reason in its headers, for the dead-letter topic.
 *
 * <p>Out go {@link OrderEvent}s (keyed by orderId when about an order, else by categoryId),
 * {@link io.bursar.schemas.payments.PaymentCommand}s (RequestPayment and RefundPayment, keyed by
 * partnerId), {@link io.bursar.schemas.dispatch.ProviderCall}s to a fulfilment provider (keyed by providerId),
 * {@link CatalogEntry}s (keyed by itemId) and refused {@link PaymentEvent}s and {@link ProviderCallResult}s.
 */
public final class OrderProcessor implements Processor<String, SpecificRecord, String, SpecificRecord> {

    /** categoryId/itemId → {@link Item}; the gateway reads it through interactive queries routed by categoryId. */
    public static final String ITEMS_STORE = "category-items";
    /** categoryId/orderId#batch → {@link Order}. */
    public static final String ORDERS_STORE = "category-orders";
    /** Deadline index of {@link #ORDERS_STORE}: expiresAt of the orders that hold stock. */
    public static final String HOLD_DEADLINES_STORE = "category-hold-deadlines";
    /** categoryId/commandId → {@link ProcessedOrderCommand}, for idempotency: the category's {@link CommandMemory}. */
    public static final String RESULTS_STORE = "category-command-memory";

    /** Between the categoryId and the rest of every store key here: {@code categoryId/itemId}, and so on. */
    public static final char KEY_SEPARATOR = OrderRules.KEY_SEPARATOR;

    /** Prefix of the commandId of the event an expiry emits: {@code expired:<orderId>#<batch>}. */
    public static final String EXPIRY_COMMAND_PREFIX = "expired:";

    private static final Logger LOG = LoggerFactory.getLogger(OrderProcessor.class);

    private final OrderTopologyConfig config;
    private final Misrouting misrouting;
    private final Generation generation;
    private ProcessorContext<String, SpecificRecord> context;
    private Inventory inventory;
    private OrderFlow flow;
    private CommandMemory<ProcessedOrderCommand> memory;

    public OrderProcessor(final OrderTopologyConfig config, final Misrouting misrouting, final Generation generation) {
        this.config = Objects.requireNonNull(config, "config");
        this.misrouting = Objects.requireNonNull(misrouting, "misrouting");
        this.generation = Objects.requireNonNull(generation, "generation");
    }

    /** Key of an item in {@link #ITEMS_STORE}. */
    public static String itemKey(final String categoryId, final String itemId) {
        return OrderRules.itemKey(categoryId, itemId);
    }

    @Override
    public void init(final ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.inventory = new Inventory(context.getStateStore(ITEMS_STORE),
                Objects.requireNonNull(context.getStateStore(OrderTopology.CATALOG_STORE), OrderTopology.CATALOG_STORE));
        this.flow = new OrderFlow(context.getStateStore(ORDERS_STORE),
                new DeadlineIndex(context.getStateStore(HOLD_DEADLINES_STORE)), inventory, config);
        this.memory = new CommandMemory<>(context.getStateStore(RESULTS_STORE), config.idempotencyRetention(),
                ProcessedOrderCommand::getFingerprint);
        context.schedule(config.punctuationInterval(), PunctuationType.WALL_CLOCK_TIME, this::tickIfDue);
    }

    @Override
    public void process(final Record<String, SpecificRecord> record) {
        final long nowMs = LogClock.now(context, record);
        final Outbox out = new Outbox();
        if (LogClock.isTick(record)) {
            endDue(nowMs, out);
            emit(out, nowMs);
            return;
        }
        // Before any store is read: on this partition the category's state is a second, wrong copy.
        final String misrouted = misrouting.check(context, record.key());
        if (record.value() instanceof OrderCommand command) {
            if (misrouted != null) {
                // Not remembered: the same command sent to the category's partition is applied there.
                final OrderEvent rejected = reject(command, OrderRejectionReason.WRONG_PARTITION, nowMs);
                rejected.setDetail(misrouted);
                out.event(rejected);
            } else {
                process(record.key(), command, nowMs, out);
            }
        } else if (record.value() instanceof PaymentEvent outcome) {
            if (misrouted != null) {
                // Only partners write here; no client waits on this record. Keep it for repair.
                context.forward(Misrouting.refused(context, record, misrouted));
            } else if (PartnerTopology.settlesAnOrder(outcome)) {
                flow.onPayment(outcome, nowMs, out);
            } else {
                // Partners write only settlements here; anything else has nothing for an order to act on.
                LOG.warn("Ignoring payment event of command {} under key {}: not the first report of a settled "
                        + "order payment", outcome.getCommandId(), record.key());
            }
        } else if (record.value() instanceof ProviderCallResult answer) {
            if (misrouted != null) {
                context.forward(Misrouting.refused(context, record, misrouted));
            } else {
                flow.onFulfilment(answer, nowMs, out);
            }
        } else {
            // A tombstone carries nothing to answer: nothing to decide, nothing lost.
            LOG.warn("Ignoring a null record for key {}", record.key());
        }
        emit(out, nowMs);
    }

    private void process(final String key, final OrderCommand command, final long nowMs, final Outbox out) {
        if (command.getCommandId().isBlank() || !OrderFlow.isId(command.getCategoryId())) {
            // Without an id there is nothing to remember it by; a categoryId holding the keys' separator would
            // share store keys with another category's ids. Answer, but keep no result.
            out.event(reject(command, OrderRejectionReason.INVALID_COMMAND, nowMs));
            return;
        }
        final CommandMemory.Recall<ProcessedOrderCommand> recall = memory.recall(command.getCategoryId(),
                command.getCommandId(), (SpecificRecord) command.getPayload(), nowMs);
        if (recall instanceof CommandMemory.Recall.Repeat<ProcessedOrderCommand> repeat) {
            out.event(replay(repeat.earlier()));
            return;
        } else if (recall instanceof CommandMemory.Recall.Conflict<ProcessedOrderCommand>) {
            final OrderEvent conflict = OrderEvents.rejected(command.getCommandId(), command.getCategoryId(),
                    OrderEvents.typeOf(command.getPayload()), OrderRejectionReason.IDEMPOTENCY_CONFLICT, null, List.of(),
                    nowMs);
            conflict.setDuplicate(true);
            out.event(conflict);
            return;
        }
        final ByteBuffer fingerprint = ((CommandMemory.Recall.First<ProcessedOrderCommand>) recall).fingerprint();
        final OrderEvent result = decide(key, command, nowMs, out);
        memory.remember(command.getCategoryId(), command.getCommandId(), new ProcessedOrderCommand(
                command.getCommandId(), fingerprint, result, Instant.ofEpochMilli(memory.rememberedUntil(nowMs))), nowMs);
    }

    /** Validates and applies one first-seen command; its events go to {@code out}; returns its result. */
    private OrderEvent decide(final String key, final OrderCommand command, final long nowMs, final Outbox out) {
        if (!command.getCategoryId().equals(key)) {
            // Keyed by another category, the command sits in a partition that may not own this category.
            final OrderEvent result = reject(command, OrderRejectionReason.CATEGORY_KEY_MISMATCH, nowMs);
            out.event(result);
            return result;
        }
        final Object payload = command.getPayload();
        if (payload instanceof UpsertItem upsert) {
            return inventory.upsert(command, upsert, nowMs, out);
        } else if (payload instanceof CreateOrder create) {
            return flow.create(command, create, nowMs, out);
        } else if (payload instanceof PlaceOrder place) {
            return flow.place(command, place, nowMs, out);
        } else if (payload instanceof CancelOrder cancel) {
            return flow.cancel(command, cancel, nowMs, out);
        }
        final OrderEvent result = reject(command, OrderRejectionReason.INVALID_COMMAND, nowMs);
        out.event(result);
        return result;
    }

    /** The original outcome of a repeated command, with the order as it stands now (it may have moved on since). */
    private OrderEvent replay(final ProcessedOrderCommand earlier) {
        final OrderEvent original = OrderEvent.newBuilder(earlier.getResult()).build();
        original.setDuplicate(true);
        if (original.getOrder() != null) {
            final Order current = flow.current(original.getOrder());
            if (current != null) {
                original.setOrder(current);
            }
        }
        return original;
    }

    /** A rejection decided before the payload is looked at; a CreateOrder's still carries its REJECTED snapshot. */
    private OrderEvent reject(final OrderCommand command, final OrderRejectionReason reason, final long nowMs) {
        final Order snapshot = command.getPayload() instanceof CreateOrder create
                ? OrderFlow.rejectedSnapshot(command, create, reason, itemId -> null, config.linesMax(), nowMs)
                : null;
        return OrderEvents.rejected(command.getCommandId(), command.getCategoryId(),
                OrderEvents.typeOf(command.getPayload()), reason, snapshot, List.of(), nowMs);
    }

    /** On the wall clock: when an order's hold is due, a tick to this task's partition, which ends it when it comes back. */
    private void tickIfDue(final long wallMs) {
        if (flow.hasDue(wallMs)) {
            context.forward(LogClock.tick(context, wallMs));
        }
    }

    /** Expires the orders due, at most the work bound. */
    private void endDue(final long nowMs, final Outbox out) {
        flow.expireDue(nowMs, config.punctuationWorkMax(), out);
    }

    private void emit(final Outbox out, final long nowMs) {
        out.forwardTo(context, nowMs, generation);
    }
}
