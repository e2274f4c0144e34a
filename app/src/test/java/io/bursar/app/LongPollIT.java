// Long-polls hold no request thread: many wait at once on a small pool while the gateway goes on answering.
package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.gateway.GatewayConfig;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * On a real broker, a gateway with the smallest request pool allowed ({@code http.threads.max=8}) holds 60
 * long-polls for payments nobody has requested yet, and meanwhile answers a health check and takes the 60 payment
 * requests; each long-poll is answered as soon as its payment is final, woken by the view's write. Were a waiting
 * read to hold a request thread, the eight would be taken and the rest would queue for the whole wait.
 */
class LongPollIT {

    private static final int POLLS = 60;

    @RegisterExtension
    final Started started = new Started();

    @Test
    void manyLongPollsWaitOnAFewThreads() throws Exception {
        final BursarNode node = started.node(started.broker(), "long-polls",
                Map.of(GatewayConfig.HTTP_THREADS_MAX, "8"));
        final GatewayCalls gateway = new GatewayCalls(node, started.adminKey(), Duration.ofSeconds(10));
        assertThat(gateway.post("/v1/partners/acme/credits", "{\"amountMinor\":100000,\"currency\":\"EUR\"}")
                .statusCode()).isEqualTo(202);

        final List<CompletableFuture<HttpResponse<String>>> polls = new ArrayList<>();
        for (int i = 0; i < POLLS; i++) {
            polls.add(gateway.sendAsync(gateway.request("/v1/payments/lp-" + i + "?waitMs=30000")
                    .timeout(Duration.ofSeconds(60)).GET()));
        }
        Thread.sleep(1_500);
        assertThat(polls).as("every long-poll still waiting").noneMatch(CompletableFuture::isDone);

        final long healthStart = System.nanoTime();
        final HttpResponse<String> health = gateway.send(HttpRequest.newBuilder(
                URI.create(gateway.url() + "/health/live")).timeout(Duration.ofSeconds(5)).GET());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - healthStart)).isLessThan(Duration.ofSeconds(2));
        for (int i = 0; i < POLLS; i++) {
            assertThat(gateway.post("/v1/payments", "{\"paymentId\":\"lp-" + i + "\",\"partnerId\":\"acme\","
                    + "\"amountMinor\":10,\"currency\":\"EUR\",\"method\":\"BALANCE\"}").statusCode()).isEqualTo(202);
        }

        CompletableFuture.allOf(polls.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
        for (final CompletableFuture<HttpResponse<String>> poll : polls) {
            assertThat(poll.get().statusCode()).as(poll.get().body()).isEqualTo(200);
            assertThat(gateway.json(poll.get()).path("status").asText()).isEqualTo("SUCCEEDED");
        }
    }
}
