// Paces, sends and retries provider calls, and owns the queue of calls waiting for or awaiting a provider.
package io.bursar.topology.dispatch;

import io.bursar.connectors.ProviderConnector;
import io.bursar.connectors.ProviderConnectors;
import io.bursar.connectors.ProviderRequest;
import io.bursar.connectors.ProviderResult;
import io.bursar.schemas.ProviderIds;
import io.bursar.schemas.dispatch.FulfilmentLine;
import io.bursar.schemas.dispatch.FulfilmentLineOutcome;
import io.bursar.schemas.dispatch.ProviderCall;
import io.bursar.schemas.dispatch.ProviderCallOutcome;
import io.bursar.schemas.dispatch.ProviderCallResult;
import io.bursar.schemas.dispatch.QueuedCall;
import io.bursar.schemas.dispatch.QueuedCallState;
import io.bursar.topology.DeadLetterHandler;
import io.bursar.topology.Misrouting;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Function;
import java.util.function.LongUnaryOperator;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends every call of {@code provider-requests} to its provider within the provider's rate, retries
 * retryable failures with capped exponential backoff and full jitter, and emits exactly one final
 * {@link ProviderCallResult} per call; failed calls also go to the dead-letter topic.
 *
 * <p>{@code process()} only enqueues. A wall-clock punctuator applies finished calls, refills each
 * provider's token bucket and starts due calls asynchronously; connectors' callback threads only hand
 * answers over through a bounded queue and never touch a store. A call is marked IN_FLIGHT before it
 * starts, so a successor task that finds it so resends it with the same idempotency key: exactly-once
 * covers Kafka, and the idempotency key covers the provider.
 *
 * <p>A fulfilment call (RESERVE, INVEST or RELEASE of an order batch's lines) is one bulk call: one token of the
 * provider's rate for all its lines, each line with its own idempotency key ({@code <call key>:<itemId>}). Lines
 * answered for good (done, or refused) keep their answer; a retry sends only the lines still unanswered, and
 * lines still unanswered after the last attempt are DEAD_LETTERED. Its one result carries every line's outcome
 * and goes to the order's category (keyed by categoryId); its refused and given-up lines go to the dead-letter
 * topic, as a call of those lines, for manual review.
 */
public final class ProviderDispatchProcessor implements Processor<String, ProviderCall, String, SpecificRecord> {

    /** providerId/idempotencyKey → {@link QueuedCall}. */
    public static final String QUEUE_STORE = "dispatch-queue";
    /** Order of the QUEUED calls of {@link #QUEUE_STORE}: providerId/notBefore/call key → call key. */
    public static final String SCHEDULE_STORE = "dispatch-schedule";
    /** The IN_FLIGHT calls of {@link #QUEUE_STORE}: call key → providerId, so a restart finds them without a full scan. */
    public static final String IN_FLIGHT_STORE = "dispatch-in-flight";
    /** Global, read-only: idempotency key → the call's recorded final {@link ProviderCallResult}. */
    public static final String OUTCOMES_STORE = "recorded-outcomes";

    /** Header of a dead-lettered call: why it failed. */
    public static final String HEADER_ERROR_REASON = DeadLetterHandler.HEADER_ERROR_REASON;
    /** Header of a dead-lettered call: how many calls were made, in decimal. */
    public static final String HEADER_ERROR_ATTEMPTS = "bursar.error.attempts";

    /** Most lines of one bulk call. */
    public static final int BULK_LINES_MAX = 10_000;

    /** A provider asking for a longer pause than this is treated as asking for this long. */
    static final long RETRY_AFTER_MS_MAX = Duration.ofHours(1).toMillis();

    private static final Logger LOG = LoggerFactory.getLogger(ProviderDispatchProcessor.class);
    private static final int PROVIDERS_MAX = ProviderConnectors.PROVIDERS_MAX;

    private final ProviderDispatchConfig config;
    private final Function<String, ProviderConnector> connectors;
    private final Function<String, ProviderLimits> limits;
    private final LongUnaryOperator jitterMs;
    /** Holds every answer of this instance's calls in flight, so an offer never fails. */
    private final int finishedCapacity;
    private final BlockingQueue<FinishedCall> finished;
    private final Map<String, ProviderLane> lanes = new LinkedHashMap<>();

    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, QueuedCall> queue;
    private KeyValueStore<String, String> inFlightIndex;
    /** The global table's store: timestamped, as every DSL table's is. */
    private ReadOnlyKeyValueStore<String, ValueAndTimestamp<ProviderCallResult>> recordedOutcomes;
    private DispatchSchedule schedule;
    private long startedAtMs;
    private int inFlightTotal;
    /** The lane a punctuation starts with, rotated so no provider always goes first when work runs short. */
    private int firstLane;
    /** A one-off punctuation before the next regular one, when a waiting call may start in between; or null. */
    private final Misrouting misrouting;
    private Cancellable wakeUp;
    private long wakeUpAtMs = Long.MAX_VALUE;

    /**
     * @param connectors the connector of a provider id, or null when the provider is not configured
     * @param limits     the rate and burst of a configured provider
     * @param jitterMs   given a ceiling in ms, a delay in [0, ceiling]
     * @param misrouting refuses calls that arrived on a partition other than their provider's
     */
    public ProviderDispatchProcessor(final ProviderDispatchConfig config,
                                     final Function<String, ProviderConnector> connectors,
                                     final Function<String, ProviderLimits> limits,
                                     final LongUnaryOperator jitterMs, final Misrouting misrouting) {
        this.config = Objects.requireNonNull(config, "config");
        this.misrouting = Objects.requireNonNull(misrouting, "misrouting");
        this.connectors = Objects.requireNonNull(connectors, "connectors");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.jitterMs = Objects.requireNonNull(jitterMs, "jitterMs");
        this.finishedCapacity = config.inFlightMax() * PROVIDERS_MAX;
        this.finished = new ArrayBlockingQueue<>(finishedCapacity);
    }

    @Override
    public void init(final ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.queue = context.getStateStore(QUEUE_STORE);
        this.inFlightIndex = context.getStateStore(IN_FLIGHT_STORE);
        this.recordedOutcomes = Objects.requireNonNull(context.getStateStore(OUTCOMES_STORE), OUTCOMES_STORE);
        this.schedule = new DispatchSchedule(context.getStateStore(SCHEDULE_STORE));
        this.startedAtMs = context.currentSystemTimeMs();
        this.inFlightTotal = 0;
        requeueInFlight(startedAtMs);
        for (final String providerId : schedule.providers(PROVIDERS_MAX)) {
            lane(providerId);
        }
        context.schedule(config.punctuationInterval(), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
        LOG.info("Dispatcher task {} started; providers with waiting calls: {}", context.taskId(), lanes.keySet());
    }

    @Override
    public void close() {
        LOG.info("Dispatcher task {} stopped with {} calls in flight", context.taskId(), inFlightTotal);
    }

    @Override
    public void process(final Record<String, ProviderCall> record) {
        final ProviderCall call = record.value();
        final long nowMs = context.currentSystemTimeMs();
        if (call == null) {
            // A tombstone names no call: nothing to send, nothing to answer.
            LOG.warn("Ignoring a null provider call for key {}", record.key());
            return;
        }
        // On another partition, the call would be paced by a second bucket and break the provider's limit.
        final String misrouted = misrouting.check(context, record.key());
        final Optional<String> invalid = misrouted != null
                ? Optional.of(Misrouting.WRONG_PARTITION + ": " + misrouted) : invalidity(record.key(), call);
        if (invalid.isPresent()) {
            finish(call, ProviderCallOutcome.FAILED, 0, List.of(), Optional.empty(), ProviderResult.NO_HTTP_STATUS,
                    invalid.get(), nowMs);
            return;
        }
        final ProviderCallResult recorded = ValueAndTimestamp.getValueOrNull(recordedOutcomes.get(call.getIdempotencyKey()));
        // An admin's retry of a dead-lettered call is asked anew; the outcome of its earlier life does not answer it.
        if (recorded != null && recorded.getRetry() >= call.getRetry()) {
            // Answered before (history being reprocessed after a reset): the provider is not asked again.
            LOG.info("Call {} already has outcome {}; reusing it", call.getIdempotencyKey(), recorded.getOutcome());
            context.forward(new Record<String, SpecificRecord>(resultKey(recorded),
                    ProviderCallResult.newBuilder(recorded).build(), nowMs));
            return;
        }
        final String callKey = call.getProviderId() + '/' + call.getIdempotencyKey();
        if (queue.get(callKey) != null) {
            // The same call is already pending; its one result answers this copy too.
            LOG.info("Call {} is already queued; ignoring the repeat", callKey);
            return;
        }
        lane(call.getProviderId());
        queue.put(callKey, new QueuedCall(call, 0, List.of(), Instant.ofEpochMilli(nowMs), QueuedCallState.QUEUED));
        schedule.add(call.getProviderId(), nowMs, callKey);
    }

    private Optional<String> invalidity(final String key, final ProviderCall call) {
        final String providerId = call.getProviderId();
        if (!ProviderIds.isValid(providerId)) {
            return Optional.of("invalid providerId");
        }
        if (!providerId.equals(key)) {
            // Keyed otherwise, the call would be paced by another task and break the provider's limit.
            return Optional.of("record key does not match providerId");
        }
        final String idempotencyKey = call.getIdempotencyKey();
        if (idempotencyKey.isBlank() || idempotencyKey.length() > ProviderRequest.IDEMPOTENCY_KEY_LENGTH_MAX) {
            return Optional.of("idempotencyKey must be 1.." + ProviderRequest.IDEMPOTENCY_KEY_LENGTH_MAX
                    + " non-blank characters");
        }
        if (call.getPaymentId().isBlank() || call.getPartnerId().isBlank()) {
            return Optional.of("paymentId and partnerId must not be blank");
        }
        final Optional<String> bulk = bulkInvalidity(call);
        if (bulk.isPresent()) {
            return bulk;
        }
        final ProviderLane lane = lanes.get(providerId);
        if (lane != null) {
            return lane.configured() ? Optional.empty() : Optional.of("unknown provider " + providerId);
        }
        // Checked before a lane is made, so ids of unknown providers never fill the bounded lane map.
        if (connectors.apply(providerId) == null) {
            return Optional.of("unknown provider " + providerId);
        }
        if (lanes.size() >= PROVIDERS_MAX) {
            return Optional.of("more than " + PROVIDERS_MAX + " providers");
        }
        return Optional.empty();
    }

    /** What is wrong with the lines of a call: a fulfilment call needs lines and a category, a payment neither. */
    private static Optional<String> bulkInvalidity(final ProviderCall call) {
        final boolean fulfilment = isFulfilment(call);
        if (!fulfilment) {
            return call.getLines().isEmpty() && call.getCategoryId() == null ? Optional.empty()
                    : Optional.of(call.getOperation() + " calls carry no lines and no categoryId");
        }
        if (call.getCategoryId() == null || call.getCategoryId().isBlank()) {
            return Optional.of(call.getOperation() + " calls need a categoryId");
        }
        if (call.getLines().isEmpty() || call.getLines().size() > BULK_LINES_MAX) {
            return Optional.of(call.getOperation() + " calls need 1.." + BULK_LINES_MAX + " lines");
        }
        for (final FulfilmentLine line : call.getLines()) {
            if (line.getItemId().isBlank() || line.getQuantity() <= 0
                    || lineKey(call, line).length() > ProviderRequest.IDEMPOTENCY_KEY_LENGTH_MAX) {
                return Optional.of("every line needs an itemId (its key at most "
                        + ProviderRequest.IDEMPOTENCY_KEY_LENGTH_MAX + " characters) and a positive quantity");
            }
        }
        return Optional.empty();
    }

    /** RESERVE, INVEST and RELEASE calls are sent in bulk, one line per item. */
    static boolean isFulfilment(final ProviderCall call) {
        return operationOf(call).isFulfilment();
    }

    /** The provider's idempotency key of one line: the call's key and the line's item. */
    static String lineKey(final ProviderCall call, final FulfilmentLine line) {
        return call.getIdempotencyKey() + ':' + line.getItemId();
    }

    /** Where a result goes: a fulfilment call's to its order's category, a payment's to its partner. */
    private static String resultKey(final ProviderCallResult result) {
        return result.getCategoryId() != null ? result.getCategoryId() : result.getPartnerId();
    }

    private ProviderLane lane(final String providerId) {
        return lanes.computeIfAbsent(providerId, id -> {
            final ProviderConnector connector = connectors.apply(id);
            // Every bucket starts empty at the task's start, so a new owner never adds to its predecessor's burst.
            final TokenBucket bucket = connector == null ? null
                    : new TokenBucket(Objects.requireNonNull(limits.apply(id), "limits of " + id), startedAtMs);
            return new ProviderLane(id, connector, bucket);
        });
    }

    private void requeueInFlight(final long nowMs) {
        final List<KeyValue<String, String>> found = new ArrayList<>();
        try (KeyValueIterator<String, String> it = inFlightIndex.all()) {
            while (it.hasNext()) {
                found.add(it.next());
            }
        }
        for (final KeyValue<String, String> entry : found) {
            inFlightIndex.delete(entry.key);
            final QueuedCall call = queue.get(entry.key);
            if (call == null || call.getState() != QueuedCallState.IN_FLIGHT) {
                continue;
            }
            // Its answer died with the previous owner: send again at once with the same key. The lost call
            // counts as an attempt, so a call whose owner keeps crashing still reaches its last attempt.
            LOG.info("Resending call {} (attempt {}) that was in flight when its previous owner stopped",
                    entry.key, call.getAttempt() + 1);
            queue.put(entry.key, new QueuedCall(call.getCall(), call.getAttempt() + 1, call.getCallsStartedAt(),
                    Instant.ofEpochMilli(nowMs), QueuedCallState.QUEUED));
            schedule.add(call.getCall().getProviderId(), nowMs, entry.key);
        }
    }

    private void punctuate(final long nowMs) {
        applyFinished(nowMs);
        startDue(nowMs);
    }

    private void applyFinished(final long nowMs) {
        for (int applied = 0; applied < config.queueWorkMax(); applied++) {
            final FinishedCall done = finished.poll();
            if (done == null) {
                return;
            }
            apply(done, nowMs);
        }
    }

    private void startDue(final long nowMs) {
        final List<ProviderLane> order = new ArrayList<>(lanes.values());
        if (order.isEmpty()) {
            return;
        }
        firstLane = (firstLane + 1) % order.size();
        int budget = config.queueWorkMax();
        for (int i = 0; i < order.size() && budget > 0; i++) {
            final ProviderLane lane = order.get((firstLane + i) % order.size());
            budget -= lane.configured() ? startDue(lane, nowMs, budget) : deadLetterDue(lane, nowMs, budget);
        }
    }

    private int startDue(final ProviderLane lane, final long nowMs, final int budget) {
        lane.bucket.refill(nowMs);
        final int count = Math.min(Math.min(lane.bucket.available(nowMs), config.inFlightMax() - lane.inFlight),
                Math.min(budget, finishedCapacity - inFlightTotal));
        if (count <= 0) {
            wakeWhenTheRateAllows(lane, nowMs);
            return 0;
        }
        final List<String> due = schedule.pollDue(lane.providerId, nowMs, count);
        for (final String callKey : due) {
            final QueuedCall queued = queue.get(callKey);
            if (queued == null) {
                LOG.warn("Schedule entry of {} without a queued call; dropped", callKey);
                continue;
            }
            // Recorded before sending: a crash from here on makes the successor resend, never forget.
            final List<Instant> started = new ArrayList<>(queued.getCallsStartedAt());
            started.add(Instant.ofEpochMilli(nowMs));
            queue.put(callKey, new QueuedCall(queued.getCall(), queued.getAttempt(), started, queued.getNotBefore(),
                    QueuedCallState.IN_FLIGHT));
            inFlightIndex.put(callKey, lane.providerId);
            lane.bucket.take(nowMs);
            lane.inFlight++;
            inFlightTotal++;
            if (queued.getAttempt() == 0 && !isFulfilment(queued.getCall())) {
                reportSubmitted(queued.getCall(), started, nowMs);
            }
            send(lane, callKey, queued.getCall(), queued.getAttempt());
        }
        if (due.size() == count) {
            // Fewer due calls than allowed means none is left waiting: no second scan on the idle path.
            wakeWhenTheRateAllows(lane, nowMs);
        }
        return due.size();
    }

    /**
     * Calls held back by the rate alone may start when the window frees, which is seldom on the punctuation
     * grid: a 50 ms grid would stretch every window by up to 50 ms and waste up to 5 % of the rate. So when
     * that moment comes before the next punctuation, a one-off punctuation is scheduled for it.
     */
    private void wakeWhenTheRateAllows(final ProviderLane lane, final long nowMs) {
        if (lane.inFlight >= config.inFlightMax() || inFlightTotal >= finishedCapacity
                || !schedule.hasDue(lane.providerId, nowMs)) {
            return;
        }
        final long atMs = lane.bucket.nextStartAtMs(nowMs);
        if (atMs <= nowMs || atMs >= nowMs + config.punctuationInterval().toMillis() || atMs >= wakeUpAtMs) {
            return;
        }
        if (wakeUp != null) {
            wakeUp.cancel();
        }
        wakeUpAtMs = atMs;
        wakeUp = context.schedule(Duration.ofMillis(atMs - nowMs), PunctuationType.WALL_CLOCK_TIME, firedAtMs -> {
            wakeUp.cancel();
            wakeUp = null;
            wakeUpAtMs = Long.MAX_VALUE;
            punctuate(firedAtMs);
        });
    }

    private int deadLetterDue(final ProviderLane lane, final long nowMs, final int budget) {
        final List<String> due = schedule.pollDue(lane.providerId, nowMs, budget);
        for (final String callKey : due) {
            final QueuedCall queued = queue.delete(callKey);
            if (queued != null) {
                finish(queued.getCall(), ProviderCallOutcome.FAILED, queued.getAttempt(), queued.getCallsStartedAt(),
                        Optional.empty(),
                        ProviderResult.NO_HTTP_STATUS, "unknown provider " + lane.providerId, nowMs);
            }
        }
        return due.size();
    }

    private void send(final ProviderLane lane, final String callKey, final ProviderCall call, final int attempt) {
        if (isFulfilment(call)) {
            sendBulk(lane, callKey, call, attempt);
            return;
        }
        final ProviderRequest request = new ProviderRequest(call.getIdempotencyKey(), call.getPaymentId(),
                call.getPartnerId(), call.getAmount().getAmountMinor(), call.getAmount().getCurrency(), attempt,
                operationOf(call));
        final BlockingQueue<FinishedCall> handOff = finished;
        try {
            lane.connector.submit(request).whenComplete((result, error) -> {
                // Runs on the connector's thread: hand over, never touch a store here.
                final ProviderResult answer = result != null ? result : ProviderResult.retryable(
                        call.getIdempotencyKey(), ProviderResult.NO_HTTP_STATUS, "connector failed: " + error,
                        Optional.empty());
                handOver(handOff, new FinishedCall(callKey, lane.providerId, attempt, answer));
            });
        } catch (final RuntimeException e) {
            // The SPI promises a future, not a throw; a broken connector costs one attempt, not the thread.
            LOG.warn("Connector of {} threw on submit of {}", lane.providerId, callKey, e);
            handOver(handOff, new FinishedCall(callKey, lane.providerId, attempt, ProviderResult.retryable(
                    call.getIdempotencyKey(), ProviderResult.NO_HTTP_STATUS, "connector threw: " + e, Optional.empty())));
        }
    }

    /** One bulk call of the lines not answered yet; their answers come back together. */
    private void sendBulk(final ProviderLane lane, final String callKey, final ProviderCall call, final int attempt) {
        final List<ProviderRequest> requests = new ArrayList<>();
        for (final FulfilmentLine line : call.getLines()) {
            if (line.getOutcome() == FulfilmentLineOutcome.UNKNOWN) {
                requests.add(new ProviderRequest(lineKey(call, line), call.getPaymentId(), call.getPartnerId(),
                        line.getAmount().getAmountMinor(), line.getAmount().getCurrency(), attempt, operationOf(call),
                        line.getItemId(), line.getQuantity()));
            }
        }
        final BlockingQueue<FinishedCall> handOff = finished;
        try {
            lane.connector.submitBulk(requests).whenComplete((results, error) -> {
                final List<ProviderResult> answers = results != null && results.size() == requests.size() ? results
                        : requests.stream().map(request -> ProviderResult.retryable(request.idempotencyKey(),
                                ProviderResult.NO_HTTP_STATUS, "connector failed: " + (error != null ? error
                                        : "answered " + (results == null ? 0 : results.size()) + " of "
                                        + requests.size() + " lines"), Optional.empty())).toList();
                handOver(handOff, new FinishedCall(callKey, lane.providerId, attempt, answers.get(0), answers));
            });
        } catch (final RuntimeException e) {
            LOG.warn("Connector of {} threw on the bulk submit of {}", lane.providerId, callKey, e);
            final List<ProviderResult> answers = requests.stream().map(request -> ProviderResult.retryable(
                    request.idempotencyKey(), ProviderResult.NO_HTTP_STATUS, "connector threw: " + e,
                    Optional.empty())).toList();
            handOver(handOff, new FinishedCall(callKey, lane.providerId, attempt, answers.get(0), answers));
        }
    }

    /** The SPI's twin of the schema's operation: connectors know nothing of Avro, so each side has its own enum. */
    private static io.bursar.connectors.ProviderOperation operationOf(final ProviderCall call) {
        return io.bursar.connectors.ProviderOperation.valueOf(call.getOperation().name());
    }

    private static void handOver(final BlockingQueue<FinishedCall> handOff, final FinishedCall done) {
        if (!handOff.offer(done)) {
            // Unreachable while calls in flight never exceed the capacity; the call is resent after a restart.
            LOG.error("Hand-off queue full; answer of {} dropped", done.callKey());
        }
    }

    private void apply(final FinishedCall done, final long nowMs) {
        final ProviderLane lane = lanes.get(done.providerId());
        if (lane != null && lane.inFlight > 0) {
            lane.inFlight--;
        }
        inFlightTotal = Math.max(0, inFlightTotal - 1);
        final QueuedCall queued = queue.get(done.callKey());
        if (queued == null || queued.getState() != QueuedCallState.IN_FLIGHT || queued.getAttempt() != done.attempt()) {
            LOG.warn("Stale answer for {} attempt {}; ignored", done.callKey(), done.attempt());
            return;
        }
        inFlightIndex.delete(done.callKey());
        if (isFulfilment(queued.getCall())) {
            applyBulk(done, queued, nowMs);
            return;
        }
        final ProviderResult result = done.result();
        final ProviderCall call = queued.getCall();
        final int attempts = done.attempt() + 1;
        switch (result.outcome()) {
            case SUCCESS -> {
                queue.delete(done.callKey());
                finish(call, ProviderCallOutcome.SUCCEEDED, attempts, queued.getCallsStartedAt(),
                        result.providerReference(), result.httpStatus(), null, nowMs);
            }
            case PERMANENT -> {
                queue.delete(done.callKey());
                finish(call, ProviderCallOutcome.FAILED, attempts, queued.getCallsStartedAt(), Optional.empty(),
                        result.httpStatus(), result.reason(), nowMs);
            }
            case RETRYABLE -> {
                if (attempts >= config.attemptsMax()) {
                    queue.delete(done.callKey());
                    finish(call, ProviderCallOutcome.DEAD_LETTERED, attempts, queued.getCallsStartedAt(),
                            Optional.empty(), result.httpStatus(), result.reason(), nowMs);
                    return;
                }
                final long notBeforeMs = nowMs + retryDelayMs(done.attempt(), result.retryAfter());
                queue.put(done.callKey(), new QueuedCall(call, attempts, queued.getCallsStartedAt(),
                        Instant.ofEpochMilli(notBeforeMs), QueuedCallState.QUEUED));
                schedule.add(call.getProviderId(), notBeforeMs, done.callKey());
            }
            default -> throw new IllegalStateException("unhandled outcome " + result.outcome());
        }
    }

    /**
     * Applies a bulk call's answers line by line: a line done or refused keeps that answer for good; the call ends
     * when no line is left unanswered, or after its last attempt (those left are DEAD_LETTERED), else waits for its
     * retry with the lines still open.
     */
    private void applyBulk(final FinishedCall done, final QueuedCall queued, final long nowMs) {
        final ProviderCall call = queued.getCall();
        final Map<String, ProviderResult> answers = new HashMap<>();
        for (final ProviderResult answer : done.lines()) {
            answers.put(answer.idempotencyKey(), answer);
        }
        final List<FulfilmentLine> lines = new ArrayList<>(call.getLines().size());
        ProviderResult lastRetryable = null;
        long retryAfterMs = 0;
        int open = 0;
        for (final FulfilmentLine line : call.getLines()) {
            final ProviderResult answer = line.getOutcome() == FulfilmentLineOutcome.UNKNOWN
                    ? answers.get(lineKey(call, line)) : null;
            if (answer == null || answer.isRetryable()) {
                lines.add(line);
                if (line.getOutcome() == FulfilmentLineOutcome.UNKNOWN) {
                    open++;
                    if (answer != null) {
                        lastRetryable = answer;
                        retryAfterMs = Math.max(retryAfterMs, answer.retryAfter().map(Duration::toMillis).orElse(0L));
                    }
                }
                continue;
            }
            lines.add(FulfilmentLine.newBuilder(line)
                    .setOutcome(answer.isSuccess() ? FulfilmentLineOutcome.SUCCEEDED : FulfilmentLineOutcome.FAILED)
                    .setReason(answer.isSuccess() ? null : answer.reason()).build());
        }
        final ProviderCall updated = ProviderCall.newBuilder(call).setLines(lines).build();
        final int attempts = done.attempt() + 1;
        if (open == 0 || attempts >= config.attemptsMax()) {
            queue.delete(done.callKey());
            final String reason = lastRetryable == null ? null : lastRetryable.reason();
            finish(updated, ProviderCallOutcome.DEAD_LETTERED, attempts, queued.getCallsStartedAt(), Optional.empty(),
                    done.result().httpStatus(), reason, nowMs);
            return;
        }
        final long notBeforeMs = nowMs + retryDelayMs(done.attempt(),
                retryAfterMs > 0 ? Optional.of(Duration.ofMillis(retryAfterMs)) : Optional.empty());
        queue.put(done.callKey(), new QueuedCall(updated, attempts, queued.getCallsStartedAt(),
                Instant.ofEpochMilli(notBeforeMs), QueuedCallState.QUEUED));
        schedule.add(call.getProviderId(), notBeforeMs, done.callKey());
    }

    /** The wait after a retryable failure of {@code attempt}: full jitter below the capped backoff, or the provider's longer wait. */
    long retryDelayMs(final int attempt, final Optional<Duration> retryAfter) {
        final long ceilingMs = backoffCeilingMs(attempt);
        final long jitteredMs = jitterMs.applyAsLong(ceilingMs);
        if (jitteredMs < 0 || jitteredMs > ceilingMs) {
            throw new IllegalStateException("jitter " + jitteredMs + " outside [0, " + ceilingMs + "]");
        }
        final long askedMs = retryAfter.map(Duration::toMillis).orElse(0L);
        return Math.max(jitteredMs, Math.min(askedMs, RETRY_AFTER_MS_MAX));
    }

    /** min(cap, base · 2^attempt), without overflow. */
    long backoffCeilingMs(final int attempt) {
        final long baseMs = config.backoffBase().toMillis();
        final long capMs = config.backoffCap().toMillis();
        if (attempt >= Long.SIZE - 2 || baseMs > (capMs >> attempt)) {
            return capMs;
        }
        return Math.min(capMs, baseMs << attempt);
    }

    /** Tells the payment its call is on its way: once, with the first attempt (not final; its one outcome follows). */
    private void reportSubmitted(final ProviderCall call, final List<Instant> callsStartedAt, final long nowMs) {
        context.forward(new Record<String, SpecificRecord>(call.getPartnerId(), new ProviderCallResult(
                call.getIdempotencyKey(), call.getPaymentId(), call.getPartnerId(), call.getProviderId(),
                ProviderCallOutcome.SUBMITTED, 1, null, ProviderResult.NO_HTTP_STATUS, null,
                Instant.ofEpochMilli(nowMs), call.getOperation(), callsStartedAt, null, List.of(), call.getRetry()),
                nowMs));
    }

    /**
     * Emits the call's one final result and, unless it succeeded, the call to the dead-letter topic. For a
     * fulfilment call, {@code outcome} is given to every line still unanswered (FAILED or DEAD_LETTERED); the call
     * succeeded when any line did, and only its failed lines are dead-lettered.
     */
    private void finish(final ProviderCall call, final ProviderCallOutcome outcome, final int attempts,
                        final List<Instant> callsStartedAt, final Optional<String> providerReference, final int httpStatus,
                        final String reason, final long nowMs) {
        final boolean fulfilment = isFulfilment(call) && !call.getLines().isEmpty();
        final List<FulfilmentLine> lines = fulfilment ? answered(call.getLines(), outcome, reason) : List.of();
        final List<FulfilmentLine> failed = lines.stream()
                .filter(line -> line.getOutcome() != FulfilmentLineOutcome.SUCCEEDED).toList();
        final ProviderCallOutcome callOutcome = !fulfilment ? outcome
                : failed.size() < lines.size() ? ProviderCallOutcome.SUCCEEDED
                : failed.stream().allMatch(line -> line.getOutcome() == FulfilmentLineOutcome.DEAD_LETTERED)
                ? ProviderCallOutcome.DEAD_LETTERED : ProviderCallOutcome.FAILED;
        final String callReason = !fulfilment || failed.isEmpty() ? reason
                : failed.size() + " of " + lines.size() + " lines not done; first: " + failed.get(0).getReason();
        final ProviderCallResult result = new ProviderCallResult(call.getIdempotencyKey(), call.getPaymentId(),
                call.getPartnerId(), call.getProviderId(), callOutcome, attempts, providerReference.orElse(null),
                httpStatus, truncated(callReason), Instant.ofEpochMilli(nowMs), call.getOperation(), callsStartedAt,
                call.getCategoryId(), lines, call.getRetry());
        if (fulfilment ? !failed.isEmpty() : outcome != ProviderCallOutcome.SUCCEEDED) {
            final RecordHeaders headers = new RecordHeaders();
            headers.add(HEADER_ERROR_REASON, String.valueOf(truncated(callReason)).getBytes(StandardCharsets.UTF_8));
            headers.add(HEADER_ERROR_ATTEMPTS, Integer.toString(attempts).getBytes(StandardCharsets.UTF_8));
            final ProviderCall dead = fulfilment ? ProviderCall.newBuilder(call).setLines(failed).build() : call;
            context.forward(new Record<String, SpecificRecord>(call.getProviderId(), dead, nowMs, headers));
        }
        context.forward(new Record<String, SpecificRecord>(resultKey(result), result, nowMs));
    }

    /** {@code lines} with every line still unanswered given {@code outcome} (FAILED unless DEAD_LETTERED) and {@code reason}. */
    private static List<FulfilmentLine> answered(final List<FulfilmentLine> lines, final ProviderCallOutcome outcome,
                                                 final String reason) {
        final FulfilmentLineOutcome left = outcome == ProviderCallOutcome.DEAD_LETTERED
                ? FulfilmentLineOutcome.DEAD_LETTERED : FulfilmentLineOutcome.FAILED;
        final List<FulfilmentLine> answered = new ArrayList<>(lines.size());
        for (final FulfilmentLine line : lines) {
            answered.add(line.getOutcome() != FulfilmentLineOutcome.UNKNOWN ? line
                    : FulfilmentLine.newBuilder(line).setOutcome(left).setReason(truncated(reason)).build());
        }
        return answered;
    }

    private static String truncated(final String reason) {
        return reason == null || reason.length() <= ProviderResult.REASON_LENGTH_MAX ? reason
                : reason.substring(0, ProviderResult.REASON_LENGTH_MAX);
    }
}
