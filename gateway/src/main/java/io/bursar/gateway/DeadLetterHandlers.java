package io.bursar.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Set;

/**
 * Handlers of the admin's dead-letter routes: {@code GET /v1/admin/dead-letters?topic=&reason=&since=&limit=} lists
 * letters (newest filters first: topic, a piece of the reason, an ISO instant), {@code POST
 * /v1/admin/dead-letters/redrive} sends the selected ones again, once each. Admin keys only: a letter may hold any
 * partner's command.
 */
final class DeadLetterHandlers {

    private static final Set<String> REDRIVE_FIELDS = Set.of("positions", "topic", "reason", "since", "dryRun");
    /** Most positions one redrive names. */
    static final int POSITIONS_MAX = 1_000;
    private static final int FILTER_LENGTH_MAX = 256;
    private static final String INSTANT_RULE = "must be an ISO-8601 instant, e.g. 2026-12-07T10:00:00Z";

    private final ObjectMapper mapper;
    private final DeadLetterDesk desk;

    DeadLetterHandlers(final ObjectMapper mapper, final DeadLetterDesk desk) {
        this.mapper = mapper;
        this.desk = desk;
    }

    /** The JSON answer to a listing: the first {@code limit} letters selected, and how many there are. */
    record Listing(List<DeadLetterDesk.Letter> letters, int count, boolean truncated) {
    }

    void list(final Context ctx) {
        requireAdmin(ctx);
        final int limit = ReadHandlers.pageLimit(ctx.queryParam("limit"));
        final List<DeadLetterDesk.Letter> letters = desk.list(new DeadLetterDesk.Selection(
                filter("topic", ctx.queryParam("topic")), filter("reason", ctx.queryParam("reason")),
                instant("since", ctx.queryParam("since")), List.of()));
        ctx.json(new Listing(letters.subList(0, Math.min(limit, letters.size())), letters.size(),
                letters.size() > limit));
    }

    void redrive(final Context ctx) {
        requireAdmin(ctx);
        final RequestBody body = RequestBody.parse(mapper, ctx.body(), REDRIVE_FIELDS);
        final List<String> positions = body.has("positions")
                ? body.texts("positions", FILTER_LENGTH_MAX, POSITIONS_MAX) : List.of();
        final String topic = body.has("topic") ? body.text("topic", FILTER_LENGTH_MAX) : null;
        final String reason = body.has("reason") ? body.text("reason", FILTER_LENGTH_MAX) : null;
        final String since = body.has("since") ? body.text("since", FILTER_LENGTH_MAX) : null;
        final Instant sinceInstant = since == null ? null : parseInstant(since);
        final boolean dryRun = body.flag("dryRun", false);
        if (!body.has("positions") && topic == null && reason == null && since == null) {
            // Everything at once is one command-line flag away, not one empty body away.
            body.report("positions", "name the letters, or select them by topic, reason or since");
        }
        if (since != null && sinceInstant == null) {
            body.report("since", INSTANT_RULE);
        }
        body.validate();
        ctx.json(desk.redrive(new DeadLetterDesk.Selection(topic, reason, sinceInstant, positions), dryRun));
    }

    private static void requireAdmin(final Context ctx) {
        if (!Caller.of(ctx).isAdmin()) {
            throw new ForbiddenException("dead letters are read and redriven with an admin key");
        }
    }

    private static String filter(final String field, final String value) {
        if (value != null && (value.isBlank() || value.length() > FILTER_LENGTH_MAX)) {
            throw new InvalidRequestException(List.of(new FieldError(field,
                    "must be 1 to " + FILTER_LENGTH_MAX + " characters")));
        }
        return value;
    }

    private static Instant instant(final String field, final String value) {
        final Instant parsed = value == null ? null : parseInstant(value);
        if (value != null && parsed == null) {
            throw new InvalidRequestException(List.of(new FieldError(field, INSTANT_RULE)));
        }
        return parsed;
    }

    /** {@code value} as an ISO-8601 instant, or null when it is not one. */
    private static Instant parseInstant(final String value) {
        try {
            return Instant.parse(value);
        } catch (final DateTimeParseException e) {
            return null;
        }
    }
}
