package io.bursar.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.testtools.HttpClient;
import io.javalin.testtools.Request;
import io.javalin.testtools.Response;
import java.net.http.HttpRequest;
import java.util.HashMap;
import java.util.Map;

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
        return http.request(path, request -> {
            request.post(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
            headers.forEach(request::header);
            bearer(request, key);
        });
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
        return http.request(path, request -> {
            request.put(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
            headers.forEach(request::header);
            bearer(request, key);
        });
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

    /** The field errors of a 400 answer, by field name. */
    Map<String, String> fields(final Response response) throws Exception {
        final Map<String, String> fields = new HashMap<>();
        body(response).get("fields").forEach(f -> fields.put(f.get("field").asText(), f.get("message").asText()));
        return fields;
    }

    private static void bearer(final Request.Builder request, final String key) {
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
    }
}
