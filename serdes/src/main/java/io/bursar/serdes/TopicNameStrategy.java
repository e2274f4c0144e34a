// Confluent's default subject naming, so that our subjects match what other Confluent-format clients expect.
package io.bursar.serdes;

import org.apache.kafka.common.errors.SerializationException;

/** Names the subject of a topic's keys ({@code <topic>-key}) or values ({@code <topic>-value}). */
public final class TopicNameStrategy {

    /** Suffix of the subject of a topic's keys. */
    public static final String KEY_SUFFIX = "-key";
    /** Suffix of the subject of a topic's values. */
    public static final String VALUE_SUFFIX = "-value";

    private TopicNameStrategy() {
    }

    /** Returns the subject of {@code topic}'s keys or values; a serializer without a topic cannot pick one. */
    public static String subject(final String topic, final boolean isKey) {
        if (topic == null || topic.isBlank()) {
            throw new SerializationException("A topic name is required to choose the schema subject, got: " + topic);
        }
        return topic + (isKey ? KEY_SUFFIX : VALUE_SUFFIX);
    }
}
