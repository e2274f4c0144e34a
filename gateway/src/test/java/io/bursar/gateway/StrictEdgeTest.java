// The gateway's edge: a field given twice, a body that is not JSON, a body too large: refused in the gateway's format.
package io.bursar.gateway;

import static io.bursar.gateway.GatewayFixture.ADMIN_KEY;
import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.testtools.Response;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StrictEdgeTest {

    private final GatewayFixture fixture = new GatewayFixture();

    @Test
    void aFieldGivenTwiceIsRefusedByNameInsteadOfReadAsItsLastValue() {
        fixture.run(client -> {
            final Response twice = client.post(ADMIN_KEY, "/v1/partners/acme/credits",
                    "{\"amountMinor\":1,\"amountMinor\":999999999,\"currency\":\"EUR\"}");

            assertThat(twice.code()).isEqualTo(400);
            assertThat(client.fields(twice)).containsExactly(Map.entry("amountMinor", "given more than once"));
            assertThat(fixture.published).isEmpty();
        });
    }

    @Test
    void aBodyThatIsNotJsonIsRefused415WhileJsonWithACharsetPasses() {
        fixture.run(client -> {
            final String credit = "{\"amountMinor\":100,\"currency\":\"EUR\"}";
            for (final String type : new String[] {"text/plain", "application/x-www-form-urlencoded", null}) {
                final Response refused = client.postAs(ADMIN_KEY, "/v1/partners/acme/credits", credit, type);
                assertThat(refused.code()).as(String.valueOf(type)).isEqualTo(415);
                assertThat(client.body(refused).get("error").asText()).startsWith("the body must be application/json");
            }
            assertThat(fixture.published).isEmpty();
            assertThat(client.postAs(ADMIN_KEY, "/v1/partners/acme/credits", credit, "application/json; charset=utf-8")
                    .code()).isEqualTo(202);
        });
    }

    @Test
    void aBodyTooLargeIsAnsweredInTheGatewaysFormat() {
        fixture.run(client -> {
            final Response big = client.post(ADMIN_KEY, "/v1/partners/acme/credits",
                    "{\"amountMinor\":100,\"currency\":\"EUR\",\"x\":\"" + "x".repeat(40_000) + "\"}");

            assertThat(big.code()).isEqualTo(413);
            assertThat(client.body(big).get("error").asText()).isNotBlank();
        });
    }
}
