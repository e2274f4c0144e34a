package io.bursar.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.testtools.Response;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document against the routes Javalin actually has: every declared endpoint is documented,
 * nothing documented is missing, and each operation's security, parameters and answers match the route.
 * A route added to {@link Gateway} fails here until it is documented.
 */
class OpenApiCoverageTest {

    private static final Set<String> METHODS =
            Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");
    private static final Pattern PATH_PARAMETER = Pattern.compile("\\{([^}]+)}");

    private final GatewayFixture fixture = new GatewayFixture();
    private final JsonNode document = readDocument();

    @Test
    void everyDeclaredEndpointIsDocumentedAndEveryDocumentedOneDeclared() {
        final Set<String> declared = new TreeSet<>(fixture.gateway.endpoints());
        assertThat(declared).as("declared endpoints").hasSizeGreaterThanOrEqualTo(10);
        assertThat(undocumented(declared, document)).as("declared in Gateway, missing from openapi.json").isEmpty();
        assertThat(documented(document)).as("documented endpoints").containsExactlyInAnyOrderElementsOf(declared);
    }

    @Test
    void anUndocumentedRouteIsCaught() {
        fixture.gateway.javalin().unsafe.routes.get("/v1/undocumented/{thingId}", ctx -> ctx.result("{}"));
        assertThat(undocumented(fixture.gateway.endpoints(), document)).containsExactly("GET /v1/undocumented/{thingId}");
    }

    @Test
    void openOperationsAreExactlyTheOnesThatAnswerWithoutAKey() {
        fixture.run(client -> {
            for (final String endpoint : documented(document)) {
                final String method = endpoint.substring(0, endpoint.indexOf(' '));
                final String template = endpoint.substring(endpoint.indexOf(' ') + 1);
                final JsonNode operation = operation(endpoint);
                final boolean open = operation.has("security") && operation.get("security").isEmpty();
                final String path = PATH_PARAMETER.matcher(template).replaceAll("x1");
                final Response response = switch (method) {
                    case "GET" -> client.get(null, path);
                    case "PUT" -> client.put(null, path, "{}");
                    default -> client.post(null, path, "{}");
                };
                if (open) {
                    assertThat(response.code()).as(endpoint + " is documented open").isNotEqualTo(401);
                } else {
                    assertThat(response.code()).as(endpoint + " is documented as needing a key").isEqualTo(401);
                }
            }
        });
    }

    @Test
    void everyOperationDocumentsItsParametersAndAnswers() {
        for (final String endpoint : documented(document)) {
            final JsonNode operation = operation(endpoint);
            final String template = endpoint.substring(endpoint.indexOf(' ') + 1);
            final JsonNode responses = operation.get("responses");
            assertThat(operation.path("summary").asText()).as(endpoint + " summary").isNotBlank();
            assertThat(pathParameters(operation)).as(endpoint + " path parameters")
                    .containsExactlyInAnyOrderElementsOf(templateParameters(template));
            final boolean open = operation.has("security") && operation.get("security").isEmpty();
            if (!open) {
                assertThat(responses.has("401")).as(endpoint + " documents 401").isTrue();
                assertThat(responses.has("429")).as(endpoint + " documents 429").isTrue();
            }
            if (template.contains("{partnerId}")) {
                assertThat(responses.has("404")).as(endpoint + " documents 404").isTrue();
                assertThat(responses.has("400")).as(endpoint + " documents 400").isTrue();
            }
            if (endpoint.startsWith("POST ") || endpoint.startsWith("PUT ")) {
                assertThat(operation.has("requestBody")).as(endpoint + " documents its body").isTrue();
                // Commands are accepted (202) and processed later; an admin action is done when it answers (200).
                final String done = template.startsWith("/v1/admin/") ? "200" : "202";
                assertThat(responses.has(done)).as(endpoint + " documents " + done).isTrue();
                assertThat(responses.has("413")).as(endpoint + " documents 413").isTrue();
                assertThat(responses.has("503")).as(endpoint + " documents 503").isTrue();
            }
        }
        assertEveryReferenceResolves(document);
        final JsonNode bearer = document.get("components").get("securitySchemes").get("bearer");
        assertThat(bearer.get("type").asText()).isEqualTo("http");
        assertThat(bearer.get("scheme").asText()).isEqualTo("bearer");
    }

    /** Declared endpoints ({@code "METHOD /template"}) with no operation in {@code document}. */
    static List<String> undocumented(final Collection<String> declared, final JsonNode document) {
        final Set<String> documented = documented(document);
        return declared.stream().filter(endpoint -> !documented.contains(endpoint)).toList();
    }

    /** Every operation of {@code document} as {@code "METHOD /template"}. */
    static Set<String> documented(final JsonNode document) {
        final Set<String> endpoints = new TreeSet<>();
        document.get("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(method -> {
            if (METHODS.contains(method)) {
                endpoints.add(method.toUpperCase(Locale.ROOT) + " " + path.getKey());
            }
        }));
        return endpoints;
    }

    private JsonNode operation(final String endpoint) {
        final String method = endpoint.substring(0, endpoint.indexOf(' ')).toLowerCase(Locale.ROOT);
        return document.get("paths").get(endpoint.substring(endpoint.indexOf(' ') + 1)).get(method);
    }

    private Set<String> pathParameters(final JsonNode operation) {
        final Set<String> names = new TreeSet<>();
        operation.path("parameters").forEach(parameter -> {
            final JsonNode resolved = resolve(parameter);
            if (resolved.get("in").asText().equals("path")) {
                assertThat(resolved.get("required").asBoolean()).as(resolved.get("name") + " required").isTrue();
                names.add(resolved.get("name").asText());
            }
        });
        return names;
    }

    private static Set<String> templateParameters(final String template) {
        final Set<String> names = new TreeSet<>();
        final Matcher matcher = PATH_PARAMETER.matcher(template);
        while (matcher.find()) {
            names.add(matcher.group(1));
        }
        return names;
    }

    /** Follows a local {@code $ref} such as {@code #/components/parameters/partnerId}. */
    private JsonNode resolve(final JsonNode node) {
        if (!node.has("$ref")) {
            return node;
        }
        final JsonNode target = document.at(node.get("$ref").asText().substring(1));
        assertThat(target.isMissingNode()).as("reference " + node.get("$ref")).isFalse();
        return target;
    }

    private void assertEveryReferenceResolves(final JsonNode node) {
        if (node.has("$ref")) {
            resolve(node);
        }
        node.forEach(this::assertEveryReferenceResolves);
    }

    private static JsonNode readDocument() {
        try {
            return new ObjectMapper().readTree(OperationsHandlers.loadOpenApi());
        } catch (final Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
