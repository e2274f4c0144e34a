package io.bursar.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * An admin's HTTP calls to one instance's gateway, as the integration tests make them: each request carries the
 * admin key and a timeout, a body goes as JSON, and an answer is read as text (or as JSON when asked).
 */
final class GatewayCalls {

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();
    private final String url;
    private final String adminKey;
    private final Duration timeout;

    /** Calls to {@code node}'s gateway with {@code adminKey}, each answered within {@code timeout}. */
    GatewayCalls(final BursarNode node, final String adminKey, final Duration timeout) {
        this.url = node.gateway().url();
        this.adminKey = adminKey;
        this.timeout = timeout;
    }

    /** The gateway's base URL. */
    String url() {
        return url;
    }

    /** A request to {@code path} with the admin key and the timeout, its method still to set. */
    HttpRequest.Builder request(final String path) {
        return HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + adminKey)
                .timeout(timeout);
    }

    HttpResponse<String> get(final String path) throws Exception {
        return send(request(path).GET());
    }

    HttpResponse<String> post(final String path, final String body) throws Exception {
        return send("POST", path, body);
    }

    /** {@code method} on {@code path} with {@code body} as JSON, or with no body when it is null. */
    HttpResponse<String> send(final String method, final String path, final String body) throws Exception {
        final HttpRequest.Builder request = request(path);
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        return send(request);
    }

    /** Sends {@code request} as it is built (no key is added to one not made by {@link #request}). */
    HttpResponse<String> send(final HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Sends {@code request} as it is built, without waiting for the answer. */
    CompletableFuture<HttpResponse<String>> sendAsync(final HttpRequest.Builder request) {
        return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The body of {@code answer} as JSON. */
    JsonNode json(final HttpResponse<String> answer) throws Exception {
        return json.readTree(answer.body());
    }
}
