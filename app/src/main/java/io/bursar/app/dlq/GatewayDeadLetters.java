package io.bursar.app.dlq;

import io.bursar.gateway.DeadLetterDesk;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** The gateway's dead-letter routes, answered by {@link DeadLetters}: what {@code bursar dlq} does, over HTTP. */
public final class GatewayDeadLetters implements DeadLetterDesk {

    private final DeadLetters letters;

    public GatewayDeadLetters(final DeadLetters letters) {
        this.letters = Objects.requireNonNull(letters, "letters");
    }

    @Override
    public List<Letter> list(final Selection selection) {
        return select(selection).stream().map(GatewayDeadLetters::view).toList();
    }

    @Override
    public Redriven redrive(final Selection selection, final boolean dryRun) {
        final List<DeadLetters.Letter> chosen = select(selection);
        final List<String> sent = new ArrayList<>();
        final List<Skipped> skipped = new ArrayList<>();
        if (dryRun) {
            for (final DeadLetters.Letter letter : chosen) {
                final String why = DeadLetters.whySkipped(letter);
                if (why == null) {
                    sent.add(letter.position());
                } else {
                    skipped.add(new Skipped(letter.position(), why));
                }
            }
            return new Redriven(sent, skipped, true);
        }
        final DeadLetters.Redrive done = letters.redrive(chosen);
        done.sent().forEach(letter -> sent.add(letter.position()));
        done.skipped().forEach(letter -> skipped.add(new Skipped(letter.position(),
                Objects.requireNonNullElse(DeadLetters.whySkipped(letter), "redriven just now"))));
        return new Redriven(sent, skipped, false);
    }

    private List<DeadLetters.Letter> select(final Selection selection) {
        return letters.select(new DeadLetters.Filter(selection.topic(), selection.reasonContains(), selection.since()),
                selection.positions());
    }

    private static Letter view(final DeadLetters.Letter letter) {
        return new Letter(letter.position(), letter.topic(), letter.at().toString(), letter.key(), letter.origin(), letter.reason(),
                letter.message(), letter.attempts(), letter.summary(), letter.lines(), letter.redriven(),
                letter.redrivable());
    }
}
