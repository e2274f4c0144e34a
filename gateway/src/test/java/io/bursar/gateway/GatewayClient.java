package io.bursar.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.queries.PeerForwarder;
import io.javalin.testtools.HttpClient;
import io.javalin.testtools.Request;
import io.javalin.testtools.Response;
import java.net.http.HttpRequest;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/** JavalinTest's client with an API key per request (null: none) and JSON reading of answers. */
final class GatewayClient {

    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();

    GatewayClient(final HttpClient http) {
        this.http = http;
    }

    Response post(final String key, final String path, final String body) {
        return post(key, path, body, Map.of());
    }

    Response post(final String key, final String path, final String body, final Map<String, String> headers) {
        return withJson(key, path, headers, request -> request.post(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** A POST whose body is sent as {@code contentType}, or without a Content-Type when it is null. */
    Response postAs(final String key, final String path, final String body, final String contentType) {
        return http.request(path, request -> {
            request.post(HttpRequest.BodyPublishers.ofString(body));
            if (contentType != null) {
                request.header("Content-Type", contentType);
            }
            bearer(request, key);
        });
    }

    Response put(final String key, final String path, final String body) {
        return put(key, path, body, Map.of());
    }

    Response put(final String key, final String path, final String body, final Map<String, String> headers) {
        return withJson(key, path, headers, request -> request.put(HttpRequest.BodyPublishers.ofString(body)));
    }

    Response get(final String key, final String path) {
        return get(key, path, Map.of());
    }

    Response get(final String key, final String path, final Map<String, String> headers) {
        return http.request(path, request -> {
            request.get();
            headers.forEach(request::header);
            bearer(request, key);
        });
    }

    /** The server's base URL, for requests the test makes with a client of its own (a stream). */
    String origin() {
        return http.getOrigin();
    }

    JsonNode body(final Response response) throws Exception {
        return json.readTree(response.body().string());
    }

    /** The JSON body of {@code response}, which must have answered {@code status}. */
    JsonNode body(final Response response, final int status) throws Exception {
        assertThat(response.code()).isEqualTo(status);
        return body(response);
    }

    /** The field errors of {@code response}, which must have answered 400, by field name. */
    Map<String, String> refusedFields(final Response response) throws Exception {
        return refusedFields(response, "");
    }

    /** The field errors of {@code response}, which must have answered 400 (else failing as {@code what}). */
    Map<String, String> refusedFields(final Response response, final String what) throws Exception {
        assertThat(response.code()).as(what).isEqualTo(400);
        return fields(response);
    }

    /** The field errors of a 400 answer, by field name. */
    Map<String, String> fields(final Response response) throws Exception {
        final Map<String, String> fields = new HashMap<>();
        body(response).get("fields").forEach(f -> fields.put(f.get("field").asText(), f.get("message").asText()));
        return fields;
    }

    /**
     * Reads {@code prefix + hidden} and then {@code prefix + unknown} with {@code key}: both must be the same 404 but
     * for the id each names, so that the caller cannot tell a resource it may not see from one that does not exist.
     * Returns the body of the first answer.
     */
    String notFoundAlike(final String key, final String prefix, final String hidden, final String unknown)
            throws Exception {
        final Response refused = get(key, prefix + hidden);
        final Response missing = get(key, prefix + unknown);
        assertThat(refused.code()).isEqualTo(404).isEqualTo(missing.code());
        final String body = refused.body().string();
        assertThat(body).isEqualTo(missing.body().string().replace(unknown, hidden));
        return body;
    }

    /** Asserts that {@code response} is a 503 asking to retry after a second, naming it {@code what} if not. */
    static void assertRetryLater(final Response response, final String what) {
        assertThat(response.code()).as(what).isEqualTo(503);
        assertThat(response.headers().get("Retry-After")).as(what).containsExactly("1");
    }

    /** Asserts that {@code response} is an owner's 200 passed on as it was: {@code body} and a standby {@code lag}. */
    static void assertPassedOn(final Response response, final String body, final String lag) {
        assertThat(response.code()).isEqualTo(200);
        assertThat(response.body().string()).isEqualTo(body);
        assertThat(response.headers().get(PeerForwarder.STANDBY_LAG_HEADER)).containsExactly(lag);
    }

    /** A request whose body {@code method} sets, sent as JSON with {@code headers} and {@code key}. */
    private Response withJson(final String key, final String path, final Map<String, String> headers,
                              final Consumer<Request.Builder> method) {
        return http.request(path, request -> {
            method.accept(request);
            request.header("Content-Type", "application/json");
            headers.forEach(request::header);
            bearer(request, key);
        });
    }

    private static void bearer(final Request.Builder request, final String key) {
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
    }
}
