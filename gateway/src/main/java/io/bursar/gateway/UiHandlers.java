package io.bursar.gateway;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Serves the live operations page: {@code GET /ui} is its HTML, {@code GET /ui/{file}} its script and style sheet,
 * all read from the jar once, at start. They hold no figure: the page asks {@code /v1/live/stream} for those with
 * the key it is given, so the files themselves need none.
 */
final class UiHandlers {

    static final String FOLDER = "ui/";
    static final String PAGE = "index.html";
    /** The page's files and their media types: nothing else is served from the folder. */
    private static final Map<String, String> FILES = Map.of(
            PAGE, "text/html; charset=utf-8",
            "live.js", "text/javascript; charset=utf-8",
            "live.css", "text/css; charset=utf-8");

    private final Map<String, byte[]> contents = new HashMap<>();

    UiHandlers() {
        for (final String file : FILES.keySet()) {
            contents.put(file, load(file));
        }
    }

    void page(final Context ctx) {
        serve(ctx, PAGE);
    }

    void file(final Context ctx) {
        final String file = ctx.pathParam("file");
        if (!FILES.containsKey(file)) {
            throw new NotFoundException("no such file of the live page");
        }
        serve(ctx, file);
    }

    private void serve(final Context ctx, final String file) {
        ctx.header("Cache-Control", "no-cache");
        ctx.contentType(FILES.get(file)).result(contents.get(file));
    }

    private static byte[] load(final String file) {
        try (InputStream in = UiHandlers.class.getResourceAsStream(FOLDER + file)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + FOLDER + file);
            }
            return in.readAllBytes();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
