package io.bursar.gateway;

import java.util.List;

/** A request that fails validation at the edge; mapped to 400 with its field errors, never reaching Kafka. */
public final class InvalidRequestException extends AnswerException {

    private final transient List<FieldError> errors;

    public InvalidRequestException(final List<FieldError> errors) {
        super(errors.toString());
        this.errors = List.copyOf(errors);
    }

    public List<FieldError> errors() {
        return errors;
    }
}
