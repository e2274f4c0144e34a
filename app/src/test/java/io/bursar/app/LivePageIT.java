package io.bursar.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bursar.topology.dispatch.ProviderDispatchConfig;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The live operations page in a real browser: the demo on a real broker and registry with a load running, and
 * {@code src/test/browser/live-page.mjs} driving Debian's Chromium through playwright-core. The script checks that
 * a request without a key gets no figures (the page, its data and its stream), that the figures appear and move,
 * and that the provider, once made to fail, shows its dead letters rising; it saves a screenshot in
 * {@code target/live-page.png}. Needs {@code node}, {@code chromium} and {@code npm install --prefix
 * app/src/test/browser} ({@code .ci/run} does both): without them it fails, saying what is missing.
 */
class LivePageIT {

    private static final Path BROWSER_TESTS = Path.of("src/test/browser");
    private static final Path SCRIPT = BROWSER_TESTS.resolve("live-page.mjs");
    private static final Path PLAYWRIGHT = BROWSER_TESTS.resolve("node_modules/playwright-core/package.json");
    private static final Path SCREENSHOT = Path.of("target/live-page.png");
    private static final Path SCRIPT_LOG = Path.of("target/live-page.log");
    private static final Duration BROWSER_TIMEOUT = Duration.ofSeconds(150);

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void theLivePageShowsTheDemoUnderLoadAndAFailingProvidersDeadLetters() throws Exception {
        final String chromium = System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium");
        final String node = onPath("node");
        if (node == null || !Files.isExecutable(Path.of(chromium)) || !Files.exists(PLAYWRIGHT)) {
            fail("LivePageIT needs node on the PATH (" + node + "), Chromium at " + chromium + " (apt-get install "
                    + "chromium, or set CHROMIUM) and playwright-core in " + PLAYWRIGHT.getParent() + " (npm install "
                    + "--prefix app/src/test/browser): .ci/run installs all three");
        }
        Files.deleteIfExists(SCREENSHOT);
        final long registryPid;
        // Two attempts with short backoff: a call the provider refuses is dead-lettered within a second.
        try (Demo demo = Demo.start(0, Map.of(ProviderDispatchConfig.ATTEMPTS_MAX, "2",
                ProviderDispatchConfig.BACKOFF_BASE_MS, "100", ProviderDispatchConfig.BACKOFF_CAP_MS, "200"))) {
            registryPid = demo.registryPid();
            demo.startLoad(10);
            // The provider is called: the load's payments reach it before it is made to fail.
            awaitFigures(demo, figures -> provider(figures, Demo.PROVIDER_ID).path("calls").path("success").asLong() > 0);
            demo.setProviderServerErrorRate(1.0);

            final ProcessBuilder script = new ProcessBuilder(node, SCRIPT.getFileName().toString())
                    .directory(BROWSER_TESTS.toFile()).redirectErrorStream(true).redirectOutput(SCRIPT_LOG.toFile());
            script.environment().putAll(Map.of("BURSAR_URL", demo.url(), "BURSAR_KEY", demo.viewerKey(),
                    "BURSAR_PROVIDER", Demo.PROVIDER_ID, "BURSAR_SCREENSHOT", SCREENSHOT.toAbsolutePath().toString(),
                    "CHROMIUM", chromium));
            final Process browser = script.start();
            final int exit;
            try {
                final boolean finished = browser.waitFor(BROWSER_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                assertThat(finished).as("the browser script finished within " + BROWSER_TIMEOUT).isTrue();
                exit = browser.exitValue();
            } finally {
                browser.descendants().forEach(ProcessHandle::destroyForcibly);
                browser.destroyForcibly();
            }
            final String output = Files.readString(SCRIPT_LOG);
            System.out.println(output);
            assertThat(exit).as("live-page.mjs exit code; its output:%n%s", output).isZero();
            assertThat(SCREENSHOT).exists();
            assertThat(Files.size(SCREENSHOT)).isGreaterThan(20_000);

            // What the page showed is what the figures say: the provider's dead letters on its topic.
            final JsonNode figures = figures(demo, demo.adminKey());
            assertThat(provider(figures, Demo.PROVIDER_ID).get("deadLetters").asLong()).isPositive();
            assertThat(figures.get("deadLetters").get("byTopic").get("provider-requests-dlq").asLong()).isPositive();
        }
        assertThat(ProcessHandle.of(registryPid).map(ProcessHandle::isAlive).orElse(false))
                .as("the registry child process is stopped with the demo").isFalse();
    }

    private JsonNode provider(final JsonNode figures, final String providerId) {
        for (final JsonNode provider : figures.path("providers")) {
            if (provider.get("providerId").asText().equals(providerId)) {
                return provider;
            }
        }
        return json.createObjectNode();
    }

    private void awaitFigures(final Demo demo, final Predicate<JsonNode> until) throws Exception {
        final Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline)) {
            final JsonNode figures = figures(demo, demo.viewerKey());
            if (figures != null && until.test(figures)) {
                return;
            }
            Thread.sleep(500);
        }
        fail("the live figures did not show the load within 60 s");
    }

    /** {@code GET /v1/live} with {@code key}; null before the first sample. */
    private JsonNode figures(final Demo demo, final String key) throws Exception {
        final HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(demo.url() + "/v1/live"))
                .header("Authorization", "Bearer " + key).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        return response.statusCode() == 200 ? json.readTree(response.body()) : null;
    }

    private static String onPath(final String program) {
        for (final String folder : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            final Path candidate = Path.of(folder, program);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }
}
