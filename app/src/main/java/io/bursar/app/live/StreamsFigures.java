package io.bursar.app.live;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.ThreadMetadata;

/**
 * What a Kafka Streams application says of itself, for the live page: its state, its tasks, and from its clients'
 * own {@code records-lag} metrics how far its consumers are behind (the main consumers: input; the restore
 * consumers: standby and restoring stores); and what the group's metadata says of the other instances.
 */
final class StreamsFigures {

    private static final String RECORDS_LAG = "records-lag";
    private static final String FETCH_GROUP = "consumer-fetch-manager-metrics";
    private static final String RESTORE_CONSUMER = "restore-consumer";
    private static final String GLOBAL_CONSUMER = "global-consumer";

    private StreamsFigures() {
    }

    /** This instance's figures of {@code streams}. */
    static Figures.Application local(final KafkaStreams streams) {
        int active = 0;
        int standby = 0;
        for (final ThreadMetadata thread : streams.metadataForLocalThreads()) {
            active += thread.activeTasks().size();
            standby += thread.standbyTasks().size();
        }
        final double[] lags = lags(streams.metrics());
        return new Figures.Application(streams.state().name(), active, standby, orZero(lags[0]), orZero(lags[1]));
    }

    /** The group's other members as its metadata knows them: {@code host:port} → their partitions of {@code streams}. */
    static List<Map.Entry<String, Figures.Application>> others(final KafkaStreams streams, final String self) {
        final List<Map.Entry<String, Figures.Application>> others = new ArrayList<>();
        for (final StreamsMetadata member : streams.metadataForAllStreamsClients()) {
            final String host = member.hostInfo().host() + ":" + member.hostInfo().port();
            if (!host.equals(self)) {
                others.add(Map.entry(host, new Figures.Application(null, member.topicPartitions().size(),
                        member.standbyTopicPartitions().size(), null, null)));
            }
        }
        return others;
    }

    /** The summed {@code records-lag} of the main consumers [0] and the restore consumers [1]; NaN with no partition. */
    private static double[] lags(final Map<MetricName, ? extends Metric> metrics) {
        final double[] sums = {Double.NaN, Double.NaN};
        for (final Map.Entry<MetricName, ? extends Metric> metric : metrics.entrySet()) {
            final MetricName name = metric.getKey();
            if (!RECORDS_LAG.equals(name.name()) || !FETCH_GROUP.equals(name.group())
                    || !name.tags().containsKey("partition")) {
                continue;
            }
            final String client = String.valueOf(name.tags().get("client-id"));
            if (client.endsWith(GLOBAL_CONSUMER)) {
                continue;
            }
            final Object value = metric.getValue().metricValue();
            if (value instanceof Number number && !Double.isNaN(number.doubleValue())) {
                final int which = client.endsWith(RESTORE_CONSUMER) ? 1 : 0;
                sums[which] = (Double.isNaN(sums[which]) ? 0 : sums[which]) + number.doubleValue();
            }
        }
        return sums;
    }

    private static Long orZero(final double lag) {
        return Double.isNaN(lag) ? 0L : (long) lag;
    }
}
