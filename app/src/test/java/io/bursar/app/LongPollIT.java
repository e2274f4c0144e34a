// Long-polls hold no request thread: many wait at once on a small pool while the gateway goes on answering.
package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.app.kafka.EmbeddedKafkaBroker;
import io.bursar.gateway.ApiKeys;
import io.bursar.gateway.GatewayConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * On a real broker, a gateway with the smallest request pool allowed ({@code http.threads.max=8}) holds 60
 * long-polls for payments nobody has requested yet, and meanwhile answers a health check and takes the 60 payment
 * requests; each long-poll is answered as soon as its payment is final, woken by the view's write. Were a waiting
 * read to hold a request thread, the eight would be taken and the rest would queue for the whole wait.
 */
class LongPollIT {

    private static final String ADMIN_KEY = ApiKeys.newKey();
    private static final int POLLS = 60;

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();
    private final Started started = new Started();

    @AfterEach
    void stopAll() {
        started.close();
    }

    @Test
    void manyLongPollsWaitOnAFewThreads() throws Exception {
        final EmbeddedKafkaBroker broker = started.track(EmbeddedKafkaBroker.builder().build().start());
        final BursarNode node = started.node(broker, "long-polls", ADMIN_KEY, Map.of(GatewayConfig.HTTP_THREADS_MAX, "8"));
        final String url = node.gateway().url();
        assertThat(send(post(url, "/v1/partners/acme/credits", "{\"amountMinor\":100000,\"currency\":\"EUR\"}"))
                .statusCode()).isEqualTo(202);

        final List<CompletableFuture<HttpResponse<String>>> polls = new ArrayList<>();
        for (int i = 0; i < POLLS; i++) {
            polls.add(http.sendAsync(authorized(HttpRequest.newBuilder(URI.create(url + "/v1/payments/lp-" + i
                    + "?waitMs=30000")).timeout(Duration.ofSeconds(60)).GET()).build(), HttpResponse.BodyHandlers.ofString()));
        }
        Thread.sleep(1_500);
        assertThat(polls).as("every long-poll still waiting").noneMatch(CompletableFuture::isDone);

        final long healthStart = System.nanoTime();
        final HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(url + "/health/live"))
                .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - healthStart)).isLessThan(Duration.ofSeconds(2));
        for (int i = 0; i < POLLS; i++) {
            assertThat(send(post(url, "/v1/payments", "{\"paymentId\":\"lp-" + i + "\",\"partnerId\":\"acme\","
                    + "\"amountMinor\":10,\"currency\":\"EUR\",\"method\":\"BALANCE\"}")).statusCode()).isEqualTo(202);
        }

        CompletableFuture.allOf(polls.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
        for (final CompletableFuture<HttpResponse<String>> poll : polls) {
            assertThat(poll.get().statusCode()).as(poll.get().body()).isEqualTo(200);
            assertThat(json.readTree(poll.get().body()).path("status").asText()).isEqualTo("SUCCEEDED");
        }
    }

    private HttpRequest.Builder post(final String url, final String path, final String body) {
        return HttpRequest.newBuilder(URI.create(url + path)).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body));
    }

    private HttpRequest.Builder authorized(final HttpRequest.Builder request) {
        return request.header("Authorization", "Bearer " + ADMIN_KEY);
    }

    private HttpResponse<String> send(final HttpRequest.Builder request) throws Exception {
        return http.send(authorized(request).build(), HttpResponse.BodyHandlers.ofString());
    }
}
