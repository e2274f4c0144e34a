package io.bursar.gateway;

import static io.bursar.gateway.GatewayClient.assertRetryLater;
import static io.bursar.gateway.GatewayFixture.ACME_KEY;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.testtools.Response;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Liveness, readiness, Prometheus metrics and the served OpenAPI document. */
class OperationsTest {

    private final GatewayFixture fixture = new GatewayFixture();

    @Test
    void liveWhileServing() {
        fixture.run(client -> {
            assertThat(client.body(client.get(null, "/health/live"), 200).get("status").asText()).isEqualTo("live");
        });
    }

    @Test
    void readyFollowsTheSupplier() {
        fixture.ready = false;
        fixture.run(client -> {
            final Response notReady = client.get(null, "/health/ready");
            assertRetryLater(notReady, "not ready");
            assertThat(client.body(notReady).get("error").asText()).contains("not ready");

            fixture.ready = true;
            final Response ready = client.get(null, "/health/ready");
            assertThat(ready.code()).isEqualTo(200);
            assertThat(client.body(ready).get("status").asText()).isEqualTo("ready");

            fixture.ready = false;
            assertThat(client.get(null, "/health/ready").code()).isEqualTo(503);
        });
    }

    @Test
    void metricsHaveALatencyHistogramPerRouteTemplateMethodAndStatus() {
        fixture.run(client -> {
            client.get(ACME_KEY, "/v1/partners/acme/balance");
            client.get(ACME_KEY, "/v1/partners/globex/balance");
            client.get(null, "/v1/partners/acme/balance");
            client.get(null, "/no/such/route/4711");

            final Response response = client.get(null, "/metrics");
            assertThat(response.code()).isEqualTo(200);
            assertThat(response.headers().get("Content-Type")).singleElement().asString().startsWith("text/plain");
            final String text = response.body().string();
            assertThat(text).contains("# TYPE http_server_requests_seconds histogram");
            assertThat(buckets(text, "/v1/partners/{partnerId}/balance", "GET", "404")).isGreaterThan(10);
            assertThat(text).containsPattern(series("_count", "/v1/partners/{partnerId}/balance", "GET", "404") + " 2");
            assertThat(text).containsPattern(series("_count", "/v1/partners/{partnerId}/balance", "GET", "401") + " 1");
            assertThat(text).containsPattern(
                    series("_count", HttpMetrics.UNMATCHED, HttpMetrics.OTHER_METHOD, "404") + " 1");
            assertThat(text).doesNotContain("/v1/partners/acme/balance", "/no/such/route");
        });
    }

    @Test
    void theOpenApiDocumentIsServed() {
        fixture.run(client -> {
            final Response response = client.get(null, "/openapi.json");
            assertThat(response.code()).isEqualTo(200);
            final JsonNode document = client.body(response);
            assertThat(document.get("openapi").asText()).startsWith("3.0");
            assertThat(document.get("components").get("securitySchemes").get("bearer").get("scheme").asText())
                    .isEqualTo("bearer");
        });
    }

    /** The number of histogram bucket lines of one series. */
    private static long buckets(final String text, final String uri, final String method, final String status) {
        final Pattern bucket = Pattern.compile(series("_bucket", uri, method, status));
        return text.lines().filter(line -> bucket.matcher(line).find()).count();
    }

    /**
     * A regular expression for one series line; label order is not fixed, so each label is looked ahead
     * for within the line (label values hold braces: a route template).
     */
    private static String series(final String suffix, final String uri, final String method, final String status) {
        final List<String> labels = List.of(
                "uri=\"" + uri + "\"", "method=\"" + method + "\"", "status=\"" + status + "\"");
        final StringBuilder regex = new StringBuilder("(?m)^http_server_requests_seconds" + suffix + "\\{");
        for (final String label : labels) {
            regex.append("(?=[^\\n]*").append(Pattern.quote(label)).append(")");
        }
        return regex.append("[^\\n]*\\}").toString();
    }
}
