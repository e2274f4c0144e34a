// The time the command processors decide on: taken from the log, so that reprocessing decides the same.
package io.bursar.topology;

import io.bursar.serdes.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.processor.api.ProcessingContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The clock of the command processors. A decision is made at the time of the log, not of the machine: the time of
 * the record being decided (its producer's or the broker's stamp), kept within {@value #SKEW_MS} ms behind its
 * task's stream time (the highest record time taken in) and never ahead of the wall clock. Every deadline (a
 * hold's, an order's, how long a command id is remembered) is set and checked on this clock, and every event
 * carries it, so processing the same records again in the same order decides the same, at the same times.
 *
 * <p>Time still passes on a partition nobody writes to: a wall-clock punctuator that finds a deadline due writes a
 * <em>tick</em> to its own partition of its command topic (no key of any partner or category, no value, header
 * {@value #TICK_HEADER}, record time = the wall clock), and the processor ends what is due when the tick comes
 * back. The tick is in the log, so a reprocessing ends the same holds and orders between the same commands.
 */
public final class LogClock {

    /** Header of a tick record; its value is the partition the tick is for. */
    public static final String TICK_HEADER = "bursar-tick";

    private LogClock() {
    }

    /**
     * How far behind its task's stream time a record may be decided: a producer whose clock is slow does not move
     * deadlines or the memory of command ids back further than this.
     */
    public static final long SKEW_MS = 60_000;

    /**
     * The decision time of {@code record}, being processed: its own time, at most {@link #SKEW_MS} behind the task's
     * stream time, never ahead of the wall clock.
     */
    public static long now(final ProcessingContext context, final Record<?, ?> record) {
        final long streamMs = context.currentStreamTimeMs();
        final long floorMs = streamMs < 0 ? record.timestamp() : streamMs - SKEW_MS;
        return Math.min(Math.max(record.timestamp(), floorMs), context.currentSystemTimeMs());
    }

    /**
     * The time to stamp on a changed entity (a balance, a payment, an order, an item): {@code nowMs}, but never before
     * {@code previous}, so that an entity's time does not go back when a later change of it was decided at an earlier
     * record time (its inputs come from several topics and producers, whose times interleave).
     */
    public static Instant notBefore(final Instant previous, final long nowMs) {
        return previous != null && previous.toEpochMilli() > nowMs ? previous : Instant.ofEpochMilli(nowMs);
    }

    /** True for a tick: no value and the tick header. */
    public static boolean isTick(final Record<?, ?> record) {
        return isTick(record.value(), record.headers());
    }

    /** True for a tick read by a plain consumer: no value and the tick header. */
    public static boolean isTick(final Object value, final Headers headers) {
        return value == null && headers.lastHeader(TICK_HEADER) != null;
    }

    /** A tick for the partition of this context's task, at {@code wallMs}. */
    public static <V> Record<String, V> tick(final ProcessingContext context, final long wallMs) {
        final String partition = Integer.toString(context.taskId().partition());
        final RecordHeaders headers = new RecordHeaders();
        headers.add(TICK_HEADER, partition.getBytes(StandardCharsets.UTF_8));
        return new Record<>(partition, null, wallMs, headers);
    }

    /** True for what a processor forwards when it ticks: a record without a value. */
    public static boolean isTick(final String key, final Object value) {
        return value == null;
    }

    /** The branch of a processor's output that sends its ticks back to the partition each names, in {@code topic}. */
    public static <V> Branched<String, V> backTo(final Topics.Topic<String, ?> topic) {
        final Serde<V> noValue = Serdes.serdeFrom((name, value) -> null, (name, bytes) -> null);
        final StreamPartitioner<String, V> toItsPartition =
                (name, key, value, partitions) -> Optional.of(Set.of(Integer.parseInt(key)));
        return Branched.withConsumer(ticks -> ticks.to(topic.name(), Produced.with(topic.keySerde(), noValue)
                .withStreamPartitioner(toItsPartition).withName(topic.name() + "-tick-sink")), "ticks");
    }
}
