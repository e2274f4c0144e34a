package io.bursar.app.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** Line charts of a benchmark's series over time, written as PNG files. */
final class BenchChart {

    private static final int WIDTH_PX = 1_000;
    private static final int HEIGHT_PX = 500;

    private BenchChart() {
    }

    /**
     * Writes one chart: each series is a list of values one step of {@code stepSeconds} apart, drawn against
     * seconds from its start.
     *
     * @return the file written
     */
    static Path write(final Path file, final String title, final String yLabel, final double stepSeconds,
                      final Map<String, List<Double>> seriesByName) throws IOException {
        final XYSeriesCollection data = new XYSeriesCollection();
        for (final Map.Entry<String, List<Double>> named : seriesByName.entrySet()) {
            final XYSeries series = new XYSeries(named.getKey());
            final List<Double> values = named.getValue();
            for (int step = 0; step < values.size(); step++) {
                series.add((step + 1) * stepSeconds, values.get(step));
            }
            data.addSeries(series);
        }
        final JFreeChart chart = ChartFactory.createXYLineChart(title, "seconds from the phase's start", yLabel, data,
                PlotOrientation.VERTICAL, true, false, false);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH_PX, HEIGHT_PX);
        return file;
    }
}
