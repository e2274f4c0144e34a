package io.bursar.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.http.sse.SseClient;
import io.javalin.http.sse.SseHandler;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live figures' routes: {@code GET /v1/live} answers the latest sample as JSON, {@code GET /v1/live/stream}
 * keeps the connection open and sends it as a Server-Sent Event ({@value #EVENT}) at once and then once a second.
 * One timer thread serializes each sample once for every open stream; at most {@value #STREAMS_MAX} streams at a
 * time, the next one is answered 503.
 */
final class LiveHandlers implements AutoCloseable {

    /** The SSE event name of a sample. */
    static final String EVENT = "figures";
    static final int STREAMS_MAX = 32;
    static final Duration PERIOD = Duration.ofSeconds(1);
    private static final Logger LOG = LoggerFactory.getLogger(LiveHandlers.class);

    private final ObjectMapper mapper;
    private final LiveFigures figures;
    private final Set<SseClient> streams = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        final Thread thread = new Thread(runnable, "live-figures-stream");
        thread.setDaemon(true);
        return thread;
    });

    LiveHandlers(final ObjectMapper mapper, final LiveFigures figures) {
        this.mapper = mapper;
        this.figures = figures;
        timer.scheduleAtFixedRate(this::sendToAll, PERIOD.toMillis(), PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    void latest(final Context ctx) {
        ctx.contentType("application/json").result(sample());
    }

    void stream(final Context ctx) {
        final String accept = ctx.header("Accept");
        if (accept == null || !accept.contains("text/event-stream")) {
            ctx.status(HttpStatus.NOT_ACCEPTABLE).json(Map.of("error",
                    "the stream is sent as text/event-stream: ask with Accept: text/event-stream"));
            return;
        }
        if (streams.size() >= STREAMS_MAX) {
            throw new UnavailableException("at most " + STREAMS_MAX + " live streams at a time");
        }
        final String first = sample(); // 503 before the first sample, while the answer is still JSON
        new SseHandler(client -> {
            client.keepAlive();
            client.onClose(() -> streams.remove(client));
            streams.add(client);
            client.sendEvent(EVENT, first);
        }).handle(ctx);
    }

    /** The latest sample as JSON; 503 before the first. */
    private String sample() {
        final Object latest = figures.latest();
        if (latest == null) {
            throw new UnavailableException("no figures yet: the first sample is taken a second after start");
        }
        try {
            return mapper.writeValueAsString(latest);
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException("live figures cannot be written as JSON", e);
        }
    }

    private void sendToAll() {
        if (streams.isEmpty()) {
            return;
        }
        final String data;
        try {
            data = sample();
        } catch (final RuntimeException e) {
            // No sample this second must not stop the timer: the next second tries again.
            LOG.debug("Live figures not sent this second", e);
            return;
        }
        for (final SseClient client : streams) {
            try {
                if (client.terminated()) {
                    streams.remove(client);
                } else {
                    client.sendEvent(EVENT, data);
                }
            } catch (final RuntimeException gone) {
                streams.remove(client);
            }
        }
    }

    /** How many streams are open now. */
    int openStreams() {
        return streams.size();
    }

    @Override
    public void close() {
        timer.shutdownNow();
        streams.forEach(SseClient::close);
        streams.clear();
    }
}
