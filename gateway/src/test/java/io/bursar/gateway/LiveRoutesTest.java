package io.bursar.gateway;

import static io.bursar.gateway.GatewayFixture.ACME_KEY;
import static io.bursar.gateway.GatewayFixture.ADMIN_KEY;
import static io.bursar.gateway.GatewayFixture.VIEWER_KEY;
import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.testtools.Response;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The live page: its files need no key, its figures an admin or viewer key, and the stream sends one a second. */
class LiveRoutesTest {

    private static final String STREAM = "/v1/live/stream";
    private static final Map<String, String> EVENT_STREAM = Map.of("Accept", "text/event-stream");

    private final GatewayFixture fixture = new GatewayFixture();

    @Test
    void thePageAndItsFilesAreServedWithoutAKeyAndNothingElseFromTheirFolder() {
        fixture.run(client -> {
            final Response page = client.get(null, "/ui");
            assertThat(page.code()).isEqualTo(200);
            assertThat(page.headers().get("Content-Type")).singleElement().asString().startsWith("text/html");
            final String html = page.body().string();
            assertThat(html).contains("/ui/live.js", "/ui/live.css", "live operations");
            assertThat(client.get(null, "/ui/live.js").code()).isEqualTo(200);
            assertThat(client.get(null, "/ui/live.css").headers().get("Content-Type")).singleElement().asString()
                    .startsWith("text/css");
            final Response missing = client.get(null, "/ui/openapi.json");
            assertThat(missing.code()).isEqualTo(404);
            assertThat(client.body(missing).get("error").asText()).isEqualTo("no such file of the live page");
        });
    }

    @Test
    void theFiguresNeedAnAdminOrViewerKeyAndAPartnerKeyIsRefused() {
        fixture.liveSample = Map.of("instance", "127.0.0.1:8080");
        fixture.run(client -> {
            for (final String path : List.of("/v1/live", STREAM)) {
                final Response none = client.get(null, path, EVENT_STREAM);
                assertThat(none.code()).as(path + " without a key").isEqualTo(401);
                assertThat(none.body().string()).doesNotContain("8080");
                final Response partner = client.get(ACME_KEY, path, EVENT_STREAM);
                assertThat(partner.code()).as(path + " with a partner key").isEqualTo(403);
                assertThat(client.body(partner).get("error").asText()).contains("admin or a viewer key");
            }
            for (final String key : List.of(ADMIN_KEY, VIEWER_KEY)) {
                final Response figures = client.get(key, "/v1/live");
                assertThat(figures.code()).isEqualTo(200);
                assertThat(client.body(figures).get("instance").asText()).isEqualTo("127.0.0.1:8080");
            }
        });
    }

    @Test
    void aViewerKeyReadsTheFiguresOnly() {
        fixture.run(client -> {
            assertThat(client.get(VIEWER_KEY, "/v1/partners/acme/balance").code()).isEqualTo(403);
            assertThat(client.get(VIEWER_KEY, "/v1/admin/dead-letters").code()).isEqualTo(403);
            assertThat(client.get(VIEWER_KEY, "/v1/payments/pay-1").code()).isEqualTo(403);
            final Response write = client.post(VIEWER_KEY, "/v1/partners/acme/credits",
                    "{\"amountMinor\":100,\"currency\":\"EUR\"}");
            assertThat(write.code()).isEqualTo(403);
            assertThat(client.body(write).get("error").asText()).isEqualTo("a viewer key reads the live figures only");
            assertThat(fixture.published).isEmpty();
        });
    }

    @Test
    void beforeTheFirstSampleTheFiguresAre503AndAStreamMustAskForEventStream() {
        fixture.run(client -> {
            assertThat(client.get(ADMIN_KEY, "/v1/live").code()).isEqualTo(503);
            assertThat(client.get(ADMIN_KEY, STREAM, EVENT_STREAM).code()).isEqualTo(503);
            fixture.liveSample = Map.of("n", 1);
            final Response plain = client.get(ADMIN_KEY, STREAM);
            assertThat(plain.code()).isEqualTo(406);
            assertThat(client.body(plain).get("error").asText()).contains("Accept: text/event-stream");
        });
    }

    @Test
    void theStreamSendsTheLatestSampleAtOnceAndThenEverySecond() {
        final AtomicInteger sample = new AtomicInteger();
        fixture.liveSample = new Object() {
            @SuppressWarnings("unused") // written by Jackson
            public int getN() {
                return sample.incrementAndGet();
            }
        };
        fixture.run(client -> {
            final HttpResponse<InputStream> response = openStream(client);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
            final List<String> data = new ArrayList<>();
            final long started = System.nanoTime();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(),
                    StandardCharsets.UTF_8))) {
                String line;
                String event = null;
                while (data.size() < 3 && (line = lines.readLine()) != null) {
                    if (line.startsWith("event:")) {
                        event = line.substring(6).strip();
                    } else if (line.startsWith("data:")) {
                        assertThat(event).isEqualTo(LiveHandlers.EVENT);
                        data.add(line.substring(5).strip());
                    }
                }
            }
            final long tookMs = (System.nanoTime() - started) / 1_000_000;
            assertThat(data).hasSize(3);
            // Each event is a new sample, serialized once per second for all streams.
            assertThat(data).doesNotHaveDuplicates();
            assertThat(tookMs).as("three events, the first at once, then one a second").isBetween(1_000L, 4_000L);
        });
    }

    @Test
    void aStreamTheClientClosesIsForgotten() {
        fixture.liveSample = Map.of("n", 1);
        fixture.run(client -> {
            final HttpResponse<InputStream> response = openStream(client);
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(),
                    StandardCharsets.UTF_8))) {
                assertThat(lines.readLine()).startsWith("event:");
            }
            assertThat(fixture.gateway.liveStreams()).isEqualTo(1);
            final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (fixture.gateway.liveStreams() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(fixture.gateway.liveStreams()).as("streams open after the client left").isZero();
        });
    }

    /** The live stream, opened with the viewer key by a client of the test's own, its body unread. */
    private static HttpResponse<InputStream> openStream(final GatewayClient client) throws Exception {
        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        return http.send(HttpRequest.newBuilder(URI.create(client.origin() + STREAM))
                .header("Authorization", "Bearer " + VIEWER_KEY).header("Accept", "text/event-stream")
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    }
}
