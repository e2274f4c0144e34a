package io.bursar.queries;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CompletableFuture;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Where a read is answered: locally, through the owner, through a standby, or not now — with real HTTP peers. */
class OwnerRouterTest {

    private static final Duration REBALANCE_WAIT = Duration.ofMillis(600);
    private static final OwnerRouter.Request CLIENT = new OwnerRouter.Request("/v1/things/k?waitMs=0",
            Map.of("Authorization", "Bearer secret"), false, false);

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final OwnerRouter router = new OwnerRouter(new PeerForwarder(Duration.ofSeconds(2), meters), REBALANCE_WAIT);
    private final List<HttpServer> peers = new ArrayList<>();
    private final List<Map<String, String>> seenByPeers = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopPeers() {
        peers.forEach(peer -> peer.stop(0));
    }

    @Test
    void ownedKeysAreAnsweredLocally() {
        assertThat(router.route(lookup(() -> new Read.Found<>("v")), "k", CLIENT))
                .isEqualTo(new OwnerRouter.Outcome.Local<>("v", null));
        assertThat(router.route(lookup(Read.Missing::new), "k", CLIENT)).isInstanceOf(OwnerRouter.Outcome.NotFound.class);
    }

    @Test
    void aKeyOwnedElsewhereIsForwardedOnceWithTheCallersCredentials() throws IOException {
        final HostInfo owner = peer(200, "{\"from\":\"owner\"}");

        final OwnerRouter.Outcome<String> outcome = router.route(
                lookup(() -> new Read.Elsewhere<>(owner, Set.of(), 3)), "k", CLIENT);

        assertThat(outcome).isInstanceOf(OwnerRouter.Outcome.Relayed.class);
        final PeerForwarder.Answer answer = ((OwnerRouter.Outcome.Relayed<String>) outcome).answer();
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo("{\"from\":\"owner\"}");
        assertThat(seenByPeers).singleElement().satisfies(headers -> {
            assertThat(headers).containsEntry("path", "/v1/things/k?waitMs=0");
            assertThat(headers).containsEntry("authorization", "Bearer secret");
            assertThat(headers).containsEntry(PeerForwarder.FORWARDED_HEADER.toLowerCase(), "1");
        });
        assertThat(meters.counter(PeerForwarder.METRIC, "target", "active", "outcome", "200").count()).isEqualTo(1);
    }

    @Test
    void aForwardedRequestIsNeverForwardedAgain() throws IOException {
        final HostInfo other = peer(200, "{}");
        final OwnerRouter.Request forwarded = new OwnerRouter.Request("/v1/things/k", Map.of(), true, false);

        assertThat(router.route(lookup(() -> new Read.Elsewhere<>(other, Set.of(), 0)), "k", forwarded))
                .isInstanceOf(OwnerRouter.Outcome.Unavailable.class);
        assertThat(seenByPeers).isEmpty();
    }

    @Test
    void anUnreachableOwnerIsReplacedByAStandbyWhoseAnswerIsRelayed() throws IOException {
        final HostInfo deadOwner = new HostInfo("127.0.0.1", freePort());
        final HostInfo standby = peer(200, "{\"from\":\"standby\"}");

        final OwnerRouter.Outcome<String> outcome = router.route(
                lookup(() -> new Read.Elsewhere<>(deadOwner, Set.of(standby), 1)), "k", CLIENT);

        assertThat(((OwnerRouter.Outcome.Relayed<String>) outcome).answer().body()).isEqualTo("{\"from\":\"standby\"}");
        assertThat(seenByPeers).singleElement()
                .satisfies(headers -> assertThat(headers).containsEntry(PeerForwarder.STANDBY_HEADER.toLowerCase(), "1"));
        assertThat(meters.counter(PeerForwarder.METRIC, "target", "active", "outcome", "unreachable").count()).isPositive();
    }

    @Test
    void aKeyMissingOnAStandbyIsUnavailableNotNotFound() {
        final KeyLookup<String, String> replica = new Lookup<>(() -> new Read.Unavailable<>("not active here"),
                () -> new Read.FromStandby<>(null, 0L));

        assertThat(router.route(replica, "k", new OwnerRouter.Request("/x", Map.of(), true, true)))
                .isInstanceOf(OwnerRouter.Outcome.Unavailable.class);
    }

    @Test
    void anOwnerFailingWith500IsNotRelayedButReplacedByAStandby() throws IOException {
        final HostInfo failingOwner = peer(500, "{\"error\":\"internal error\"}");
        final HostInfo standby = peer(200, "{\"from\":\"standby\"}");

        final OwnerRouter.Outcome<String> outcome = router.route(
                lookup(() -> new Read.Elsewhere<>(failingOwner, Set.of(standby), 1)), "k", CLIENT);

        assertThat(((OwnerRouter.Outcome.Relayed<String>) outcome).answer().body()).isEqualTo("{\"from\":\"standby\"}");
    }

    @Test
    void aStandbyAnswersFromItsReplicaWithItsLag() {
        final KeyLookup<String, String> replica = new Lookup<>(() -> new Read.Unavailable<>("not active here"),
                () -> new Read.FromStandby<>("stale", 7L));

        assertThat(router.route(replica, "k", new OwnerRouter.Request("/x", Map.of(), true, true)))
                .isEqualTo(new OwnerRouter.Outcome.Local<>("stale", 7L));
    }

    @Test
    void whileNoOwnerIsKnownReadsAreRetriedForABoundedTimeThenUnavailable() {
        final AtomicInteger reads = new AtomicInteger();
        final Instant start = Instant.now();

        final OwnerRouter.Outcome<String> outcome = router.route(lookup(() -> {
            reads.incrementAndGet();
            return new Read.Unavailable<>("rebalancing");
        }), "k", CLIENT);

        final Duration took = Duration.between(start, Instant.now());
        assertThat(outcome).isEqualTo(new OwnerRouter.Outcome.Unavailable<String>("rebalancing"));
        assertThat(reads.get()).isGreaterThan(2);
        assertThat(took).isLessThan(REBALANCE_WAIT.plusMillis(400));
    }

    @Test
    void aRebalanceThatEndsWithinTheBoundIsInvisibleToTheCaller() {
        final AtomicInteger reads = new AtomicInteger();

        final OwnerRouter.Outcome<String> outcome = router.route(lookup(() -> reads.incrementAndGet() < 3
                ? new Read.Unavailable<>("rebalancing") : new Read.Found<>("v")), "k", CLIENT);

        assertThat(outcome).isEqualTo(new OwnerRouter.Outcome.Local<>("v", null));
    }

    @Test
    void aLongPollWaitsUntilTheKeyAppears() {
        final Instant appearsAt = Instant.now().plusMillis(300);

        // Without a change feed the key is read again each recheck interval.
        final OwnerRouter.Outcome<String> outcome = router.route(lookup(() -> Instant.now().isAfter(appearsAt)
                ? new Read.Found<>("late") : new Read.Missing<>()), "k", CLIENT, Duration.ofSeconds(5));

        assertThat(outcome).isEqualTo(new OwnerRouter.Outcome.Local<>("late", null));
        assertThat(router.route(lookup(Read.Missing::new), "k", CLIENT, Duration.ofMillis(100)))
                .isInstanceOf(OwnerRouter.Outcome.NotFound.class);
    }

    @Test
    void aConditionalLongPollIsWokenByTheChangeItWaitsFor() throws Exception {
        final KeyChanges changes = new KeyChanges();
        final AtomicReference<String> value = new AtomicReference<>("QUEUED");
        final AtomicInteger reads = new AtomicInteger();
        final Instant start = Instant.now();

        final CompletableFuture<OwnerRouter.Outcome<String>> waiting = router.reads(lookup(() -> {
            reads.incrementAndGet();
            return new Read.Found<>(value.get());
        }), AbsenceCheck.NOTHING_UPSTREAM, "SUCCEEDED"::equals, changes).readAsync("k", CLIENT, Duration.ofSeconds(5));
        Thread.sleep(200);
        changes.changed("other");
        assertThat(waiting).as("another key's change does not wake it").isNotDone();
        value.set("SUCCEEDED");
        changes.changed("k");

        assertThat(waiting.get(1, TimeUnit.SECONDS)).isEqualTo(new OwnerRouter.Outcome.Local<>("SUCCEEDED", null));
        // Woken by the write, well before the recheck interval: one read before, one after.
        assertThat(Duration.between(start, Instant.now())).isLessThan(OwnerRouter.RECHECK_INTERVAL);
        assertThat(reads.get()).isEqualTo(2);
        assertThat(changes.waiting()).isZero();
    }

    @Test
    void waitingReadsHoldNoThread() throws Exception {
        final KeyChanges changes = new KeyChanges();
        final AtomicReference<String> value = new AtomicReference<>("QUEUED");
        final RoutedRead<String> reads = router.reads(lookup(() -> new Read.Found<>(value.get())),
                AbsenceCheck.NOTHING_UPSTREAM, "SUCCEEDED"::equals, changes);
        final int threadsBefore = Thread.activeCount();

        final List<CompletableFuture<OwnerRouter.Outcome<String>>> waiting = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            waiting.add(reads.readAsync("k", CLIENT, Duration.ofSeconds(30)));
        }
        Thread.sleep(100);
        assertThat(changes.waiting()).isEqualTo(2_000);
        assertThat(waiting).noneMatch(CompletableFuture::isDone);
        assertThat(Thread.activeCount() - threadsBefore).as("threads started for 2,000 waits").isLessThan(20);
        value.set("SUCCEEDED");
        changes.changed("k");

        CompletableFuture.allOf(waiting.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        assertThat(waiting).allSatisfy(done -> assertThat(done.get())
                .isEqualTo(new OwnerRouter.Outcome.Local<>("SUCCEEDED", null)));
    }

    @Test
    void aValueStillUnsettledWhenTheWaitEndsIsAnsweredAsItIs() {
        final AtomicInteger reads = new AtomicInteger();
        final Instant start = Instant.now();

        final OwnerRouter.Outcome<String> outcome = router.reads(lookup(() -> {
            reads.incrementAndGet();
            return new Read.Found<>("QUEUED");
        }), AbsenceCheck.NOTHING_UPSTREAM, "SUCCEEDED"::equals).read("k", CLIENT, Duration.ofMillis(300));

        final Duration took = Duration.between(start, Instant.now());
        assertThat(outcome).isEqualTo(new OwnerRouter.Outcome.Local<>("QUEUED", null));
        assertThat(took).isBetween(Duration.ofMillis(300), Duration.ofMillis(300 + 1_000));
        // Read once, and once more when the wait ended: nothing changed between, so nothing was read between.
        assertThat(reads.get()).isEqualTo(2);
        assertThat(router.reads(lookup(Read.Missing::new), AbsenceCheck.NOTHING_UPSTREAM, "SUCCEEDED"::equals)
                .read("k", CLIENT, Duration.ofMillis(100)))
                .isInstanceOf(OwnerRouter.Outcome.NotFound.class);
    }

    @Test
    void withoutAConditionAnyValueEndsTheLongPoll() {
        final Instant start = Instant.now();

        assertThat(router.reads(lookup(() -> new Read.Found<>("QUEUED")), AbsenceCheck.NOTHING_UPSTREAM)
                .read("k", CLIENT, Duration.ofSeconds(5)))
                .isEqualTo(new OwnerRouter.Outcome.Local<>("QUEUED", null));
        assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void aConditionalLongPollOwnedElsewhereWaitsAtTheOwnerAndItsAnswerIsRelayedOnce() throws IOException {
        // The owner takes longer than the forward timeout: its long-poll's wait extends the timeout.
        final OwnerRouter shortTimeouts = new OwnerRouter(new PeerForwarder(Duration.ofMillis(200), meters),
                REBALANCE_WAIT);
        final HostInfo owner = peer(200, "{\"status\":\"QUEUED\"}", Duration.ofMillis(500));
        final OwnerRouter.Request longPoll = new OwnerRouter.Request("/v1/things/k?waitMs=1000", Map.of(), false,
                false);

        final OwnerRouter.Outcome<String> outcome = shortTimeouts.reads(
                lookup(() -> new Read.Elsewhere<>(owner, Set.of(), 2)), AbsenceCheck.NOTHING_UPSTREAM, value -> false)
                .read("k", longPoll, Duration.ofMillis(1_000));

        assertThat(((OwnerRouter.Outcome.Relayed<String>) outcome).answer().body())
                .isEqualTo("{\"status\":\"QUEUED\"}");
        // Not asked again although the answer looks unsettled and the wait had time left: the owner waited.
        assertThat(seenByPeers).singleElement()
                .satisfies(headers -> assertThat(headers).containsEntry("path", "/v1/things/k?waitMs=1000"));
    }

    @Test
    void aMissingKeyIsNotFoundOnlyOnceItsAbsenceIsProven() {
        final List<Duration> bounds = new CopyOnWriteArrayList<>();
        final AbsenceCheck stillOnItsWay = bound -> {
            bounds.add(bound);
            return false;
        };

        final OwnerRouter.Outcome<String> notYet = router.reads(lookup(Read.Missing::new), stillOnItsWay)
                .read("k", CLIENT, Duration.ZERO);
        final OwnerRouter.Outcome<String> forwardedNotYet = router.reads(lookup(Read.Missing::new), stillOnItsWay)
                .read("k", new OwnerRouter.Request("/x", Map.of(), true, false), Duration.ZERO);

        assertThat(notYet).isInstanceOf(OwnerRouter.Outcome.Unavailable.class);
        assertThat(((OwnerRouter.Outcome.Unavailable<String>) notYet).reason()).startsWith("not found yet");
        assertThat(forwardedNotYet).isInstanceOf(OwnerRouter.Outcome.Unavailable.class);
        // Here it may wait as long as a rebalance; forwarded, within half its sender's timeout.
        // What is left of each bound when the proof starts: the read's own, half the forward timeout when forwarded.
        assertThat(bounds).hasSize(2);
        assertThat(bounds.get(0)).isBetween(REBALANCE_WAIT.minusMillis(200), REBALANCE_WAIT);
        assertThat(bounds.get(1)).isBetween(Duration.ofMillis(800), Duration.ofSeconds(1));
        assertThat(router.reads(lookup(Read.Missing::new), bound -> true).read("k", CLIENT, Duration.ZERO))
                .isInstanceOf(OwnerRouter.Outcome.NotFound.class);
    }

    @Test
    void aKeyArrivingWhileItsAbsenceIsProvenIsAnswered() {
        final AtomicInteger reads = new AtomicInteger();
        final KeyLookup<String, String> arrivesLate = lookup(() -> reads.incrementAndGet() == 1
                ? new Read.Missing<>() : new Read.Found<>("arrived"));

        assertThat(router.reads(arrivesLate, bound -> true).read("k", CLIENT, Duration.ZERO))
                .isEqualTo(new OwnerRouter.Outcome.Local<>("arrived", null));
    }

    @Test
    void valuesAndRelayedAnswersNeedNoProof() throws IOException {
        final AbsenceCheck neverAsked = bound -> {
            throw new AssertionError("asked to prove an absence for a value");
        };
        final HostInfo owner = peer(404, "{\"error\":\"not found\"}");

        assertThat(router.reads(lookup(() -> new Read.Found<>("v")), neverAsked).read("k", CLIENT, Duration.ZERO))
                .isEqualTo(new OwnerRouter.Outcome.Local<>("v", null));
        // The owner proved its own 404 before answering.
        assertThat(router.reads(lookup(() -> new Read.Elsewhere<>(owner, Set.of(), 0)), neverAsked)
                .read("k", CLIENT, Duration.ZERO)).isInstanceOf(OwnerRouter.Outcome.Relayed.class);
    }

    private static KeyLookup<String, String> lookup(final Supplier<Read<String>> active) {
        return new Lookup<>(active, () -> new Read.Unavailable<>("no standby here"));
    }

    /** A lookup answering from suppliers. */
    private record Lookup<V>(Supplier<Read<V>> active, Supplier<Read<V>> standby) implements KeyLookup<String, V> {
        @Override
        public Read<V> read(final String key) {
            return active.get();
        }

        @Override
        public Read<V> readStandby(final String key) {
            return standby.get();
        }

        @Override
        public void invalidateOwners() {
        }
    }

    /** A peer instance answering every request with {@code status} and {@code body}, recording what it saw. */
    private HostInfo peer(final int status, final String body) throws IOException {
        return peer(status, body, Duration.ZERO);
    }

    /** As {@link #peer(int, String)}, answering only after {@code delay} (an owner that long-polls). */
    private HostInfo peer(final int status, final String body, final Duration delay) throws IOException {
        final HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            final Map<String, String> seen = new java.util.HashMap<>();
            seen.put("path", exchange.getRequestURI().toString());
            exchange.getRequestHeaders().forEach((name, values) -> seen.put(name.toLowerCase(), values.get(0)));
            seenByPeers.add(seen);
            try {
                Thread.sleep(delay.toMillis());
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
        peers.add(server);
        return new HostInfo("127.0.0.1", server.getAddress().getPort());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
