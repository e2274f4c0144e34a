package io.bursar.queries;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Answers a read by key wherever the key lives: locally when this instance owns it, else through the
 * owner (one hop, bounded), else through a standby when the owner cannot be reached. While the owner
 * is unknown (rebalancing) it retries for a bounded time and then gives up with {@link Outcome.Unavailable}.
 * A long-poll reads again until the key is there and its value settled, or until its wait has passed.
 */
public final class OwnerRouter {

    /** What to do with the read. */
    public sealed interface Outcome<V> {
        /** Answered here; {@code standbyLag} is null for an active read. */
        record Local<V>(V value, Long standbyLag) implements Outcome<V> {
        }

        /** The owner does not have the key. */
        record NotFound<V>() implements Outcome<V> {
        }

        /** A peer answered; pass its answer on as it is. */
        record Relayed<V>(PeerForwarder.Answer answer) implements Outcome<V> {
        }

        /** Nobody can answer now; try again later. */
        record Unavailable<V>(String reason) implements Outcome<V> {
        }
    }

    /**
     * The HTTP request being answered.
     *
     * @param pathAndQuery what a peer is asked for
     * @param passHeaders headers a peer needs too (credentials)
     * @param forwarded this request was forwarded to us: answer from local state only
     * @param standbyRequested a peer asks for our standby's answer
     */
    public record Request(String pathAndQuery, Map<String, String> passHeaders, boolean forwarded,
                          boolean standbyRequested) {
    }

    private static final Duration RETRY_INTERVAL = Duration.ofMillis(100);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(25);

    private final PeerForwarder forwarder;
    private final Duration rebalanceWaitMax;

    public OwnerRouter(final PeerForwarder forwarder, final Duration rebalanceWaitMax) {
        this.forwarder = forwarder;
        this.rebalanceWaitMax = rebalanceWaitMax;
    }

    /**
     * The reads of {@code reader}'s store, routed by this router; a long-poll waits for the key to appear.
     * A missing key is answered not found only once {@code absence} proves it (see {@link AbsenceBarrier}).
     */
    public <V> RoutedRead<V> reads(final KeyLookup<String, V> reader, final AbsenceCheck absence) {
        return reads(reader, absence, value -> true);
    }

    /**
     * As {@link #reads(KeyLookup, AbsenceCheck)}; a long-poll waits until the key is there and its value is
     * {@code settled} (a payment in a final state, say), not merely until it appears.
     */
    public <V> RoutedRead<V> reads(final KeyLookup<String, V> reader, final AbsenceCheck absence,
                                   final Predicate<V> settled) {
        Objects.requireNonNull(reader, "reader");
        Objects.requireNonNull(absence, "absence");
        Objects.requireNonNull(settled, "settled");
        return (key, request, wait) -> proveAbsence(reader, key, request, absence,
                route(reader, key, request, wait, settled));
    }

    /**
     * A final "not found" from this instance's store stands only once {@code absence} is proven: then the key is
     * read once more (it may have arrived meanwhile). Otherwise the answer is "not yet": the key's command may
     * still be on its way (a partition moving after a crash holds it back for as long as the move takes).
     */
    private <V> Outcome<V> proveAbsence(final KeyLookup<String, V> reader, final String key, final Request request,
                                        final AbsenceCheck absence, final Outcome<V> outcome) {
        if (!(outcome instanceof Outcome.NotFound<V>)) {
            return outcome;
        }
        // A forwarded read must answer within its sender's timeout, or the sender gives up on us.
        final Duration bound = request.forwarded() ? forwarder.timeout().dividedBy(2) : rebalanceWaitMax;
        if (!absence.proven(bound)) {
            return new Outcome.Unavailable<>("not found yet: commands accepted before this read are still being "
                    + "processed");
        }
        return routeOnce(reader, key, request, Duration.ZERO);
    }

    /** Routes one read. */
    <V> Outcome<V> route(final KeyLookup<String, V> reader, final String key, final Request request) {
        return route(reader, key, request, Duration.ZERO);
    }

    /**
     * Routes one read and, while the key is missing, reads again until it appears or {@code wait} has
     * passed (a long-poll). A forwarded long-poll waits at the owner.
     */
    <V> Outcome<V> route(final KeyLookup<String, V> reader, final String key, final Request request,
                                final Duration wait) {
        return route(reader, key, request, wait, value -> true);
    }

    /**
     * As {@link #route(KeyLookup, String, Request, Duration)}, reading again also while the local value is
     * not {@code settled}; after {@code wait} it answers what there is: the unsettled value, or not found.
     * A relayed answer is final: the owner received the same path and query, so it did the waiting.
     */
    private <V> Outcome<V> route(final KeyLookup<String, V> reader, final String key, final Request request,
                                 final Duration wait, final Predicate<V> settled) {
        final Instant waitDeadline = Instant.now().plus(wait);
        while (true) {
            final Outcome<V> outcome = routeOnce(reader, key, request, wait);
            final boolean waitable = outcome instanceof Outcome.NotFound
                    || outcome instanceof Outcome.Local<V> local && !settled.test(local.value());
            final Instant now = Instant.now();
            if (!waitable || !now.isBefore(waitDeadline)) {
                return outcome;
            }
            final Duration left = Duration.between(now, waitDeadline);
            pause(left.compareTo(POLL_INTERVAL) < 0 ? left : POLL_INTERVAL);
        }
    }

    private <V> Outcome<V> routeOnce(final KeyLookup<String, V> reader, final String key, final Request request,
                                     final Duration wait) {
        if (request.standbyRequested()) {
            final Read<V> standby = reader.readStandby(key);
            if (standby instanceof Read.FromStandby<V> replica) {
                // A replica may lag its owner: what it has is an answer (with its lag), what it lacks proves nothing.
                return replica.value() == null ? new Outcome.Unavailable<>("not on this standby, which may lag its owner")
                        : new Outcome.Local<>(replica.value(), replica.offsetLag());
            }
            return new Outcome.Unavailable<>("no standby here");
        }
        final Instant deadline = Instant.now().plus(rebalanceWaitMax);
        String reason = "not tried";
        while (true) {
            final Read<V> read = reader.read(key);
            if (read instanceof Read.Found<V> found) {
                return new Outcome.Local<>(found.value(), null);
            } else if (read instanceof Read.Missing<V>) {
                return new Outcome.NotFound<>();
            } else if (read instanceof Read.Elsewhere<V> elsewhere) {
                if (request.forwarded()) {
                    // Ownership moved while the request travelled: let the first instance retry, no second hop.
                    return new Outcome.Unavailable<>("not the owner any more");
                }
                final Optional<Outcome<V>> relayed = forward(elsewhere, request, wait);
                if (relayed.isPresent()) {
                    return relayed.get();
                }
                reader.invalidateOwners();
                reason = "owner " + elsewhere.active() + " did not answer";
            } else if (read instanceof Read.Unavailable<V> unavailable) {
                if (request.forwarded()) {
                    return new Outcome.Unavailable<>(unavailable.reason());
                }
                reason = unavailable.reason();
            }
            if (!Instant.now().plus(RETRY_INTERVAL).isBefore(deadline)) {
                return new Outcome.Unavailable<>(reason);
            }
            pause(RETRY_INTERVAL);
        }
    }

    /** Asks the active owner, then the standbys; empty when none gave a usable answer. */
    private <V> Optional<Outcome<V>> forward(final Read.Elsewhere<V> elsewhere, final Request request, final Duration wait) {
        final Optional<PeerForwarder.Answer> active = forwarder.get(elsewhere.active(), request.pathAndQuery(),
                request.passHeaders(), false, wait);
        if (active.isPresent() && active.get().status() < 500) {
            return Optional.of(new Outcome.Relayed<>(active.get()));
        }
        if (active.isPresent() && active.get().status() == 503) {
            // The owner is rebalancing: retry here, within our own bound.
            return Optional.empty();
        }
        // Unreachable, or failing (any other 5xx, which is no answer to relay): its standbys may answer.
        for (final HostInfo standby : elsewhere.standbys()) {
            final Optional<PeerForwarder.Answer> replica = forwarder.get(standby, request.pathAndQuery(),
                    request.passHeaders(), true, wait);
            if (replica.isPresent() && replica.get().status() < 500) {
                return Optional.of(new Outcome.Relayed<>(replica.get()));
            }
        }
        return Optional.empty();
    }

    private static void pause(final Duration interval) {
        try {
            Thread.sleep(interval.toMillis());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to read again", e);
        }
    }
}
