// A start that cannot go on because the cluster or the registry is not there: said in one line, not a stack trace.
package io.bursar.app;

/** Kafka or the schema registry did not answer at start; the message names the setting to check. */
final class StartupException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    StartupException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
