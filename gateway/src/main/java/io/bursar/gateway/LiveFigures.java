package io.bursar.gateway;

/**
 * The figures of the live operations page ({@code GET /ui}), sampled by the application once a second and given
 * to the gateway, as {@link DeadLetterDesk} is: {@code GET /v1/live} answers the latest sample, and
 * {@code GET /v1/live/stream} sends it to each browser once a second as a Server-Sent Event.
 */
public interface LiveFigures {

    /** The latest sample, a value Jackson writes as a JSON object; null before the first (the routes answer 503). */
    Object latest();

    /** A gateway without live figures: the routes answer 503. */
    LiveFigures NONE = () -> null;
}
