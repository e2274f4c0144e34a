package io.bursar.gateway;

import java.time.Instant;
import java.util.List;

/**
 * The dead letters an admin lists and sends again through the gateway ({@code GET /v1/admin/dead-letters},
 * {@code POST /v1/admin/dead-letters/redrive}); the same as {@code bursar dlq list} and {@code redrive}.
 */
public interface DeadLetterDesk {

    /**
     * One dead letter.
     *
     * @param position   {@code topic/partition@offset} of the letter
     * @param at         when it was dead-lettered (ISO-8601)
     * @param origin     where it came from ({@code topic/partition@offset}), or null when unknown
     * @param attempts   provider calls made, for a provider call; else null
     * @param lines      a fulfilment call's refused lines, {@code itemId: reason}
     * @param redriven   where and when it was sent again, or null
     * @param redrivable whether it may be sent again (an unreadable command whose origin is known)
     */
    record Letter(String position, String topic, String at, String key, String origin, String reason,
                  String message, Integer attempts, String summary, List<String> lines, String redriven,
                  boolean redrivable) {
    }

    /** Which letters: those at {@code positions} (all when empty) that the filters (each null for any) keep. */
    record Selection(String topic, String reasonContains, Instant since, List<String> positions) {
        public Selection {
            positions = List.copyOf(positions);
        }
    }

    /** A letter left alone by a redrive, and why. */
    record Skipped(String position, String why) {
    }

    /** What a redrive sent (the letters' positions), and what it skipped. */
    record Redriven(List<String> sent, List<Skipped> skipped, boolean dryRun) {
    }

    /** The letters {@code selection} names, oldest first per topic. */
    List<Letter> list(Selection selection);

    /** Sends each selected letter that may be sent and was not before; with {@code dryRun}, says what it would do. */
    Redriven redrive(Selection selection, boolean dryRun);

    /** A gateway with no dead letters to show: the routes answer 503. */
    DeadLetterDesk NONE = new DeadLetterDesk() {
        @Override
        public List<Letter> list(final Selection selection) {
            throw new UnavailableException("dead letters are not served by this gateway");
        }

        @Override
        public Redriven redrive(final Selection selection, final boolean dryRun) {
            throw new UnavailableException("dead letters are not served by this gateway");
        }
    };
}
