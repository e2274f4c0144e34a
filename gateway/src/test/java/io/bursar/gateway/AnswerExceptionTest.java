package io.bursar.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class AnswerExceptionTest {

    @Test
    void answersCarryNoStackTrace() {
        final List<AnswerException> answers = List.of(NotFoundException.order("o-1"), new ForbiddenException("no"),
                new UnauthorizedException(), new TooManyRequestsException(1),
                new InvalidRequestException(List.of(new FieldError("amountMinor", "must be positive"))));
        for (final AnswerException answer : answers) {
            assertThat(answer.getStackTrace()).as(answer.getClass().getSimpleName()).isEmpty();
            assertThat(answer.getMessage()).isNotBlank();
        }
    }
}
