// Logs how far the views are from their input while they rebuild (after a reset, or from an empty state).
package io.bursar.app;

import io.bursar.queries.KeyReader;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the views application's consumer lag (its {@code records-lag} metrics, summed over partitions) every
 * two seconds; when it is {@link #REBUILD_LAG_MIN} records or more, the views are rebuilding, and a line is
 * logged at every 10 % of the way, until nothing is left. Stops with {@link #close()}.
 */
final class RebuildProgress implements AutoCloseable {

    /** A lag this large is a rebuild, not load: the lag at which a view's reads answer 503. */
    static final long REBUILD_LAG_MIN = KeyReader.REBUILDING_LAG_MIN;
    private static final Logger LOG = LoggerFactory.getLogger(RebuildProgress.class);

    private final KafkaStreams views;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        final Thread thread = new Thread(runnable, "views-rebuild-progress");
        thread.setDaemon(true);
        return thread;
    });
    private double most;
    private int lastTenth = -1;

    private RebuildProgress(final KafkaStreams views) {
        this.views = views;
    }

    static RebuildProgress watch(final KafkaStreams views) {
        final RebuildProgress progress = new RebuildProgress(views);
        progress.timer.scheduleWithFixedDelay(progress::check, 2, 2, TimeUnit.SECONDS);
        return progress;
    }

    private void check() {
        try {
            double lag = 0;
            for (final Map.Entry<MetricName, ? extends Metric> metric : views.metrics().entrySet()) {
                final MetricName name = metric.getKey();
                if ("records-lag".equals(name.name()) && "consumer-fetch-manager-metrics".equals(name.group())
                        && name.tags().containsKey("partition")
                        && !String.valueOf(name.tags().get("client-id")).endsWith("restore-consumer")
                        && metric.getValue().metricValue() instanceof Number value && !Double.isNaN(value.doubleValue())) {
                    lag += value.doubleValue();
                }
            }
            if (lag >= REBUILD_LAG_MIN && lag > most) {
                most = lag;
                lastTenth = 0;
                LOG.info("Views rebuilding: 0 % ({} records to go)", String.format("%,d", (long) lag));
                return;
            }
            if (lastTenth >= 0 && most > 0) {
                final int tenth = (int) Math.floor(10 * (1 - lag / most));
                if (tenth > lastTenth) {
                    lastTenth = tenth;
                    LOG.info("Views rebuilding: {} % ({} records to go)", Math.min(100, tenth * 10),
                            String.format("%,d", (long) lag));
                }
                if (lag == 0) {
                    lastTenth = -1;
                    most = 0;
                }
            }
        } catch (final RuntimeException e) {
            LOG.debug("Could not read the views' lag", e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
