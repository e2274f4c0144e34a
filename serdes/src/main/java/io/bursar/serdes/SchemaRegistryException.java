// A schema-registry call that failed: the registry's answer (status, error code) or the transport error.
package io.bursar.serdes;

/** Thrown by {@link SchemaRegistryClient} when the registry refuses a request or cannot be reached. */
public final class SchemaRegistryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Confluent's error code for a subject that has no versions. */
    public static final int SUBJECT_NOT_FOUND = 40401;
    /** Confluent's error code for a schema (by id, or under a subject) that is not registered. */
    public static final int SCHEMA_NOT_FOUND = 40403;
    /** Confluent's error code for a schema the subject's compatibility rule refuses. */
    public static final int INCOMPATIBLE_SCHEMA = 409;
    /** The error code when the registry gave none (transport failure, body without error_code). */
    public static final int NO_ERROR_CODE = -1;
    /** The HTTP status when no HTTP answer was received. */
    public static final int NO_HTTP_STATUS = 0;

    private final int httpStatus;
    private final int errorCode;

    /** A refusal: the registry answered {@code httpStatus} with {@code errorCode}. */
    public SchemaRegistryException(final String message, final int httpStatus, final int errorCode) {
        super(message);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    /** A transport failure: no answer was received. */
    public SchemaRegistryException(final String message, final Throwable cause) {
        super(message, cause);
        this.httpStatus = NO_HTTP_STATUS;
        this.errorCode = NO_ERROR_CODE;
    }

    /** The HTTP status of the answer, or {@link #NO_HTTP_STATUS} when there was none. */
    public int httpStatus() {
        return httpStatus;
    }

    /** The registry's {@code error_code}, or {@link #NO_ERROR_CODE}. */
    public int errorCode() {
        return errorCode;
    }

    /** True when the subject, id or schema is unknown to the registry (as opposed to unreachable). */
    /** True when the registry did not answer or failed (no status, 5xx, 429): worth retrying, not the data's fault. */
    public boolean isTransient() {
        return httpStatus == NO_HTTP_STATUS || httpStatus >= 500 || httpStatus == 429;
    }

    public boolean isNotFound() {
        return httpStatus == 404;
    }
}
