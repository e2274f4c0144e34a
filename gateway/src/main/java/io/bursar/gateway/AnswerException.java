package io.bursar.gateway;

/**
 * A handler's answer other than success (404, 403, 401, 429, 400), mapped to its status in one place
 * ({@code Gateway.errors}). It carries no stack trace: it is an answer, not a fault, and it is frequent where
 * it matters (clients polling an order not visible yet, a flood of requests with a wrong key), so every one
 * of them would otherwise pay for a walk of the deep HTTP stack.
 */
abstract class AnswerException extends RuntimeException {
    AnswerException(final String message) {
        super(message, null, false, false);
    }
}
