package io.bursar.gateway;

import static io.bursar.gateway.GatewayFixture.ADMIN_KEY;
import static io.bursar.gateway.GatewayFixture.order;
import static io.bursar.gateway.GatewayFixture.payment;
import static io.bursar.gateway.GatewayFixture.view;
import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.queries.Read;
import io.bursar.schemas.orders.OrderStatus;
import io.bursar.schemas.orders.ParentOrderView;
import io.bursar.schemas.payments.CurrencyAccount;
import io.bursar.schemas.payments.PartnerBalance;
import io.bursar.schemas.payments.PaymentStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Routes whose answer depends on a peer that has not answered yet — a balance read, the sub-orders of a parent, the
 * lookup before a refund or cancel by id — hold no request thread while they wait: on the smallest pool allowed, many
 * wait at once and a health check is still answered. Were a waiting route to hold its thread, the eight would be
 * taken and the health check would queue until the peers answered.
 */
class WaitingRoutesTest {

    private static final int WAITING = 40;

    private final GatewayFixture fixture = new GatewayFixture(Map.of(GatewayConfig.HTTP_THREADS_MAX, "8"));

    @Test
    void routesWaitingForAPeerHoldNoRequestThread() throws Exception {
        fixture.reads.put("acme", new Read.Found<>(new PartnerBalance("acme",
                Map.of("EUR", new CurrencyAccount(500L, 0L)), Instant.EPOCH)));
        fixture.payments.put("pay-1", new Read.Found<>(payment("pay-1", "acme", PaymentStatus.SUCCEEDED)));
        fixture.orders.put("o-1", new Read.Found<>(view(order("o-1", 0, 1, "books", "acme", OrderStatus.PAID))));
        fixture.parents.put("o", new Read.Found<>(new ParentOrderView("o", List.of("o-1"))));
        final CompletableFuture<Void> peers = new CompletableFuture<>();
        fixture.peersSlow = peers;
        final List<Route> routes = List.of(new Route("GET", "/v1/partners/acme/balance", 200),
                new Route("GET", "/v1/orders?parentOrderId=o", 200),
                new Route("POST", "/v1/payments/pay-1/refund", 202),
                new Route("POST", "/v1/orders/o-1/cancel", 202));
        fixture.run(client -> {
            final HttpClient http = HttpClient.newHttpClient();
            final List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
            for (int i = 0; i < WAITING; i++) {
                waiting.add(http.sendAsync(routes.get(i % routes.size()).request(client.origin()),
                        HttpResponse.BodyHandlers.ofString()));
            }
            Thread.sleep(1_000);
            assertThat(waiting).as("every route still waiting for its peer").noneMatch(CompletableFuture::isDone);

            final HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(client.origin()
                    + "/health/live")).timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(fixture.published).as("no refund published before its payment's partner is known").isEmpty();

            peers.complete(null);
            CompletableFuture.allOf(waiting.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            for (int i = 0; i < WAITING; i++) {
                final HttpResponse<String> answer = waiting.get(i).get();
                assertThat(answer.statusCode()).as(answer.uri() + ": " + answer.body())
                        .isEqualTo(routes.get(i % routes.size()).status());
            }
            assertThat(fixture.published).hasSize(WAITING / routes.size());
            assertThat(fixture.publishedOrders).hasSize(WAITING / routes.size());
        });
    }

    private record Route(String method, String path, int status) {

        HttpRequest request(final String origin) {
            final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(origin + path))
                    .timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + ADMIN_KEY);
            return ("POST".equals(method) ? request.header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{}")) : request.GET()).build();
        }
    }
}
