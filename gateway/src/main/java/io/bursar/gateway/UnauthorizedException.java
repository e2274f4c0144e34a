package io.bursar.gateway;

/** No API key, or one that is not configured; mapped to 401 with {@code WWW-Authenticate: Bearer}. */
final class UnauthorizedException extends AnswerException {
    UnauthorizedException() {
        super("missing or unknown API key");
    }
}
