package io.bursar.queries;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Answers a read by key wherever the key lives: locally when this instance owns it, else through the
 * owner (one hop, bounded), else through a standby when the owner cannot be reached. While the owner
 * is unknown (rebalancing) it retries for a bounded time and then gives up with {@link Outcome.Unavailable}.
 * A long-poll waits until the key is there and its value settled, or until its wait has passed. Every wait
 * (a long-poll, a retry, a peer's answer) holds no thread: the read continues on a small pool when it is woken.
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
    /**
     * How long a long-poll waits for a wake-up before it reads again anyway: a key can change without one (restored
     * from its changelog, or a store without a change feed).
     */
    static final Duration RECHECK_INTERVAL = Duration.ofSeconds(1);
    /** At most this many absence proofs wait at once (each holds a thread while it asks the broker). */
    private static final int PROOFS_MAX = 8;

    private final PeerForwarder forwarder;
    private final Duration rebalanceWaitMax;
    /** Where reads continue after a wake-up, a retry delay or a peer's answer: never a stream or HTTP thread. */
    private final Executor continuations;
    private final Executor proofs;

    public OwnerRouter(final PeerForwarder forwarder, final Duration rebalanceWaitMax) {
        this.forwarder = forwarder;
        this.rebalanceWaitMax = rebalanceWaitMax;
        this.continuations = pool(Math.max(2, Runtime.getRuntime().availableProcessors()), "bursar-reads");
        this.proofs = pool(PROOFS_MAX, "bursar-absence-proofs");
    }

    /**
     * The reads of {@code reader}'s store, routed by this router; a long-poll waits for the key to appear.
     * A missing key is answered not found only once {@code absence} proves it (see {@link AbsenceBarrier}).
     */
    public <V> RoutedRead<V> reads(final KeyLookup<String, V> reader, final AbsenceCheck absence) {
        return reads(reader, absence, value -> true, null);
    }

    /**
     * As {@link #reads(KeyLookup, AbsenceCheck)}; a long-poll waits until the key is there and its value is
     * {@code settled} (a payment in a final state, say), not merely until it appears.
     */
    public <V> RoutedRead<V> reads(final KeyLookup<String, V> reader, final AbsenceCheck absence,
                                   final Predicate<V> settled) {
        return reads(reader, absence, settled, null);
    }

    /**
     * As {@link #reads(KeyLookup, AbsenceCheck, Predicate)}, a long-poll woken by {@code changes} (the store's
     * change feed) instead of reading again on a timer; null for a store without one (read again each
     * {@link #RECHECK_INTERVAL}).
     */
    public <V> RoutedRead<V> reads(final KeyLookup<String, V> reader, final AbsenceCheck absence,
                                   final Predicate<V> settled, final KeyChanges changes) {
        Objects.requireNonNull(reader, "reader");
        Objects.requireNonNull(absence, "absence");
        Objects.requireNonNull(settled, "settled");
        final KeyChanges feed = changes != null ? changes : new KeyChanges();
        return (key, request, wait) -> route(reader, key, request, wait, settled, feed)
                .thenCompose(outcome -> proveAbsence(reader, key, request, absence, outcome));
    }

    /**
     * A final "not found" from this instance's store stands only once {@code absence} is proven: then the key is
     * read once more (it may have arrived meanwhile). Otherwise the answer is "not yet": the key's command may
     * still be on its way (a partition moving after a crash holds it back for as long as the move takes).
     */
    private <V> CompletableFuture<Outcome<V>> proveAbsence(final KeyLookup<String, V> reader, final String key,
                                                           final Request request, final AbsenceCheck absence,
                                                           final Outcome<V> outcome) {
        if (!(outcome instanceof Outcome.NotFound<V>)) {
            return CompletableFuture.completedFuture(outcome);
        }
        // A forwarded read must answer within its sender's timeout, or the sender gives up on us.
        final Duration bound = request.forwarded() ? forwarder.timeout().dividedBy(2) : rebalanceWaitMax;
        final long deadline = System.nanoTime() + bound.toNanos();
        return CompletableFuture.supplyAsync(() -> absence.proven(Duration.ofNanos(
                Math.max(0, deadline - System.nanoTime()))), proofs).thenCompose(proven -> proven
                ? routeOnce(reader, key, request, Duration.ZERO)
                : CompletableFuture.completedFuture(new Outcome.Unavailable<>("not found yet: commands accepted "
                        + "before this read are still being processed")));
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
        return join(route(reader, key, request, wait, value -> true, new KeyChanges()));
    }

    /**
     * As {@link #route(KeyLookup, String, Request, Duration)}, waiting also while the local value is not
     * {@code settled}; after {@code wait} it answers what there is: the unsettled value, or not found. It waits
     * holding no thread: for {@code changes} to wake it, or {@link #RECHECK_INTERVAL} at most. A relayed answer is
     * final: the owner received the same path and query, so it did the waiting.
     */
    private <V> CompletableFuture<Outcome<V>> route(final KeyLookup<String, V> reader, final String key,
                                                    final Request request, final Duration wait,
                                                    final Predicate<V> settled, final KeyChanges changes) {
        return waitFor(reader, key, request, wait, System.nanoTime() + wait.toNanos(), settled, changes);
    }

    private <V> CompletableFuture<Outcome<V>> waitFor(final KeyLookup<String, V> reader, final String key,
                                                      final Request request, final Duration wait,
                                                      final long deadline, final Predicate<V> settled,
                                                      final KeyChanges changes) {
        if (wait.isZero()) {
            return routeOnce(reader, key, request, wait);
        }
        // Watched before it is read: a change between the read and the wait still wakes it.
        final KeyChanges.Watch watch = changes.watch(key);
        return routeOnce(reader, key, request, wait).thenCompose(outcome -> {
            final boolean waitable = outcome instanceof Outcome.NotFound
                    || outcome instanceof Outcome.Local<V> local && !settled.test(local.value());
            final long left = deadline - System.nanoTime();
            if (!waitable || left <= 0) {
                watch.close();
                return CompletableFuture.completedFuture(outcome);
            }
            return watch.changed()
                    .completeOnTimeout(null, Math.min(left, RECHECK_INTERVAL.toNanos()), TimeUnit.NANOSECONDS)
                    .thenComposeAsync(woken -> {
                        watch.close();
                        return waitFor(reader, key, request, wait, deadline, settled, changes);
                    }, continuations);
        });
    }

    /** One read where the key lives; while nobody can answer (rebalancing), tries again within the bound. */
    private <V> CompletableFuture<Outcome<V>> routeOnce(final KeyLookup<String, V> reader, final String key,
                                                        final Request request, final Duration wait) {
        if (request.standbyRequested()) {
            final Read<V> standby = reader.readStandby(key);
            if (standby instanceof Read.FromStandby<V> replica) {
                // A replica may lag its owner: what it has is an answer (with its lag), what it lacks proves nothing.
                return CompletableFuture.completedFuture(replica.value() == null
                        ? new Outcome.Unavailable<>("not on this standby, which may lag its owner")
                        : new Outcome.Local<>(replica.value(), replica.offsetLag()));
            }
            return CompletableFuture.completedFuture(new Outcome.Unavailable<>("no standby here"));
        }
        return attempt(reader, key, request, wait, System.nanoTime() + rebalanceWaitMax.toNanos());
    }

    private <V> CompletableFuture<Outcome<V>> attempt(final KeyLookup<String, V> reader, final String key,
                                                      final Request request, final Duration wait,
                                                      final long deadline) {
        final Read<V> read = reader.read(key);
        if (read instanceof Read.Found<V> found) {
            return CompletableFuture.completedFuture(new Outcome.Local<>(found.value(), null));
        } else if (read instanceof Read.Missing<V>) {
            return CompletableFuture.completedFuture(new Outcome.NotFound<>());
        } else if (read instanceof Read.Elsewhere<V> elsewhere) {
            if (request.forwarded()) {
                // Ownership moved while the request travelled: let the first instance retry, no second hop.
                return CompletableFuture.completedFuture(new Outcome.Unavailable<>("not the owner any more"));
            }
            return forward(elsewhere, request, wait).thenComposeAsync(relayed -> {
                if (relayed.isPresent()) {
                    return CompletableFuture.completedFuture(relayed.get());
                }
                reader.invalidateOwners();
                return retry(reader, key, request, wait, deadline, "owner " + elsewhere.active() + " did not answer");
            }, continuations);
        } else if (read instanceof Read.Unavailable<V> unavailable) {
            if (request.forwarded()) {
                return CompletableFuture.completedFuture(new Outcome.Unavailable<>(unavailable.reason()));
            }
            return retry(reader, key, request, wait, deadline, unavailable.reason());
        }
        return retry(reader, key, request, wait, deadline, "not tried");
    }

    /** Tries again after {@link #RETRY_INTERVAL}, or gives up with {@code reason} when that passes the bound. */
    private <V> CompletableFuture<Outcome<V>> retry(final KeyLookup<String, V> reader, final String key,
                                                    final Request request, final Duration wait, final long deadline,
                                                    final String reason) {
        if (System.nanoTime() + RETRY_INTERVAL.toNanos() >= deadline) {
            return CompletableFuture.completedFuture(new Outcome.Unavailable<>(reason));
        }
        final Executor later = CompletableFuture.delayedExecutor(RETRY_INTERVAL.toMillis(), TimeUnit.MILLISECONDS,
                continuations);
        return CompletableFuture.supplyAsync(() -> null, later)
                .thenCompose(ignored -> attempt(reader, key, request, wait, deadline));
    }

    /** Asks the active owner, then the standbys; empty when none gave a usable answer. */
    private <V> CompletableFuture<Optional<Outcome<V>>> forward(final Read.Elsewhere<V> elsewhere,
                                                                final Request request, final Duration wait) {
        return forwarder.getAsync(elsewhere.active(), request.pathAndQuery(), request.passHeaders(), false, wait)
                .thenCompose(active -> {
                    if (active.isPresent() && active.get().status() < 500) {
                        return CompletableFuture.completedFuture(Optional.of(new Outcome.Relayed<>(active.get())));
                    }
                    if (active.isPresent() && active.get().status() == 503) {
                        // The owner is rebalancing: retry here, within our own bound.
                        return CompletableFuture.completedFuture(Optional.empty());
                    }
                    // Unreachable, or failing (any other 5xx, which is no answer to relay): its standbys may answer.
                    return fromStandbys(List.copyOf(elsewhere.standbys()), 0, request, wait);
                });
    }

    private <V> CompletableFuture<Optional<Outcome<V>>> fromStandbys(final List<HostInfo> standbys, final int next,
                                                                     final Request request, final Duration wait) {
        if (next >= standbys.size()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return forwarder.getAsync(standbys.get(next), request.pathAndQuery(), request.passHeaders(), true, wait)
                .thenCompose(replica -> replica.isPresent() && replica.get().status() < 500
                        ? CompletableFuture.completedFuture(Optional.of(new Outcome.Relayed<>(replica.get())))
                        : fromStandbys(standbys, next + 1, request, wait));
    }

    /** The outcome of {@code future}, for a caller that waits on its own thread. */
    static <V> Outcome<V> join(final CompletableFuture<Outcome<V>> future) {
        try {
            return future.get();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a read", e);
        } catch (final ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException("read failed", e.getCause());
        }
    }

    /** At most {@code threads} daemon threads, each ending after a minute idle: a router holds none at rest. */
    private static Executor pool(final int threads, final String name) {
        final AtomicInteger count = new AtomicInteger();
        final ThreadFactory factory = runnable -> {
            final Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        final ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 1, TimeUnit.MINUTES,
                new LinkedBlockingQueue<>(), factory);
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
