package io.bursar.gateway;

import static io.bursar.gateway.GatewayFixture.ACME_KEY;
import static io.bursar.gateway.GatewayFixture.ADMIN_KEY;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.testtools.Response;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The admin's dead-letter routes: listing with filters and a page bound, redrive by position or filter. */
class DeadLetterRoutesTest {

    private final GatewayFixture fixture = new GatewayFixture();

    private static DeadLetterDesk.Letter letter(final String topic, final long offset) {
        return new DeadLetterDesk.Letter(topic + "/0@" + offset, topic, "2026-12-07T10:00:00Z", "acme",
                "payment-commands/2@" + offset, "not Avro", null, null, "SerializationException", List.of(), null, true);
    }

    private static Response redrive(final GatewayClient client, final String key, final String body) {
        return client.post(key, "/v1/admin/dead-letters/redrive", body);
    }

    @Test
    void anAdminListsLettersByTopicAPageAtATime() {
        for (int i = 0; i < 3; i++) {
            fixture.letters.add(letter("command-dead-letters", i));
        }
        fixture.letters.add(letter("provider-requests-dlq", 0));
        fixture.run(client -> {
            final Response page = client.get(ADMIN_KEY, "/v1/admin/dead-letters?topic=command-dead-letters&limit=2");

            assertThat(page.code()).isEqualTo(200);
            final JsonNode body = client.body(page);
            assertThat(body.get("count").asInt()).isEqualTo(3);
            assertThat(body.get("truncated").asBoolean()).isTrue();
            assertThat(body.get("letters")).hasSize(2);
            assertThat(body.get("letters").get(0).get("position").asText()).isEqualTo("command-dead-letters/0@0");
            assertThat(body.get("letters").get(0).get("origin").asText()).isEqualTo("payment-commands/2@0");
            assertThat(client.body(client.get(ADMIN_KEY, "/v1/admin/dead-letters")).get("count").asInt()).isEqualTo(4);
        });
    }

    @Test
    void onlyAdminsSeeOrRedriveLetters() {
        fixture.letters.add(letter("command-dead-letters", 0));
        fixture.run(client -> {
            assertThat(client.get(ACME_KEY, "/v1/admin/dead-letters").code()).isEqualTo(403);
            assertThat(client.get(null, "/v1/admin/dead-letters").code()).isEqualTo(401);
            assertThat(redrive(client, ACME_KEY, "{\"positions\":[\"command-dead-letters/0@0\"]}").code())
                    .isEqualTo(403);
            assertThat(fixture.redrives).isEmpty();
        });
    }

    @Test
    void aRedriveNamesItsLettersOrFiltersThem() {
        fixture.run(client -> {
            final Response named = redrive(client, ADMIN_KEY,
                    "{\"positions\":[\"command-dead-letters/0@0\"],\"dryRun\":true}");
            final Response filtered = redrive(client, ADMIN_KEY,
                    "{\"reason\":\"magic byte\",\"since\":\"2026-12-07T00:00:00Z\"}");

            assertThat(named.code()).isEqualTo(200);
            assertThat(client.body(named).get("sent").get(0).asText()).isEqualTo("command-dead-letters/0@0");
            assertThat(client.body(named).get("dryRun").asBoolean()).isTrue();
            assertThat(filtered.code()).isEqualTo(200);
            assertThat(fixture.redrives).containsExactly(
                    new DeadLetterDesk.Selection(null, null, null, List.of("command-dead-letters/0@0")),
                    new DeadLetterDesk.Selection(null, "magic byte", Instant.parse("2026-12-07T00:00:00Z"), List.of()));
        });
    }

    @Test
    void anEmptySelectionOrABadFilterIsRefusedByField() {
        fixture.run(client -> {
            final Response everything = redrive(client, ADMIN_KEY, "{}");
            final Response badSince = redrive(client, ADMIN_KEY, "{\"since\":\"yesterday\",\"positions\":[\"\",7]}");

            assertThat(everything.code()).isEqualTo(400);
            assertThat(client.body(everything).toString()).contains("positions");
            assertThat(badSince.code()).isEqualTo(400);
            assertThat(client.body(badSince).toString()).contains("since", "positions[0]", "positions[1]");
            assertThat(client.get(ADMIN_KEY, "/v1/admin/dead-letters?since=yesterday").code()).isEqualTo(400);
            assertThat(client.get(ADMIN_KEY, "/v1/admin/dead-letters?limit=0").code()).isEqualTo(400);
            assertThat(fixture.redrives).isEmpty();
        });
    }
}
