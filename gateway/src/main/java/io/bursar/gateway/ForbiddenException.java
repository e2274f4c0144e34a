package io.bursar.gateway;

/** The caller is known but its role may not do this (a partner key changing items); mapped to 403. */
final class ForbiddenException extends AnswerException {
    ForbiddenException(final String message) {
        super(message);
    }
}
