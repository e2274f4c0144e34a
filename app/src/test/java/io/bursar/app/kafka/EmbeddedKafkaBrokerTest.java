// Checks how EmbeddedKafkaBroker refuses bad settings and misuse, without starting a broker.
package io.bursar.app.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerTest {

    @Test
    void refusesToOverrideTheKeysThatDefineTheSingleNodeLayout() {
        final EmbeddedKafkaBroker.Builder builder = EmbeddedKafkaBroker.builder();
        for (final String key : new String[] {"listeners", "node.id", "process.roles", "log.dirs", "controller.quorum.voters"}) {
            assertThatThrownBy(() -> builder.config(key, "x")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(key);
        }
        assertThat(builder.config("log.retention.ms", "60000")).isSameAs(builder);
    }

    @Test
    void refusesPortsOutsideTheTcpRangeAndOneSharedPort() {
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().port(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().controllerPort(65_536)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().port(9092).controllerPort(9092).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("9092");
    }

    @Test
    void refusesTimeoutsThatAreNotPositiveOrUnbounded() {
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().startTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().closeTimeout(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().operationTimeout(Duration.ofDays(2))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().startTimeout(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void answersNothingBeforeStartAndCannotStartAfterClose() {
        final EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build();
        assertThatThrownBy(broker::bootstrapServers).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(broker::port).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> broker.createTopics(Map.of("t", 1))).isInstanceOf(IllegalStateException.class);
        broker.close();
        broker.close();
        assertThatThrownBy(broker::start).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void refusesTopicsWithoutPartitions() {
        final EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build();
        assertThatThrownBy(() -> broker.createTopics(Map.of("t", 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("t");
    }

    @Test
    void failsFastAndLeavesNoDataWhenAFixedPortIsTaken(@TempDir final Path baseDir) throws IOException {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            final EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder()
                    .port(taken.getLocalPort()).baseDir(baseDir).startTimeout(Duration.ofSeconds(10)).build();
            assertThatThrownBy(broker::start).isInstanceOf(UncheckedIOException.class)
                    .hasMessageContaining(Integer.toString(taken.getLocalPort()));
            assertThatThrownBy(broker::bootstrapServers).isInstanceOf(IllegalStateException.class);
            try (var entries = Files.list(baseDir)) {
                assertThat(entries).isEmpty();
            }
        }
    }
}
