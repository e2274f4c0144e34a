// The partner topology decides on the time in the log: the same records, read again later, give the same events.
package io.bursar.topology.payments;

import static io.bursar.topology.testing.Payments.command;
import static io.bursar.topology.testing.Payments.eur;
import static org.assertj.core.api.Assertions.assertThat;

import io.bursar.schemas.payments.CaptureHold;
import io.bursar.schemas.payments.CaptureHoldKind;
import io.bursar.schemas.payments.Credit;
import io.bursar.schemas.payments.CreditKind;
import io.bursar.schemas.payments.HoldFunds;
import io.bursar.schemas.payments.HoldFundsKind;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.schemas.payments.PaymentEventType;
import io.bursar.serdes.Topics;
import io.bursar.topology.LogClock;
import io.bursar.topology.testing.TestDrivers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One driver takes commands as a producer stamps them while its wall clock moves, and writes ticks when holds fall
 * due; a second driver, whose wall clock is a day later and never moves, reads the same records (commands and
 * ticks, in the same order) and must emit the same events, decision times included.
 */
class LogClockTopologyTest {

    private static final Instant START = Instant.parse("2026-11-25T10:00:00Z");

    @TempDir
    Path firstState;
    @TempDir
    Path secondState;

    private final Topics topics = TestDrivers.topics(1);
    private final List<TestRecord<byte[], byte[]>> log = new ArrayList<>();
    private Instant now = START;

    @Test
    void theSameLogReadLaterDecidesTheSame() {
        final List<PaymentEvent> first;
        try (PartnerDriver partner = start(firstState, START)) {
            final TestOutputTopic<byte[], byte[]> ticks = partner.driver.createOutputTopic(
                    topics.paymentCommands.name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
            send(partner.rawCommands, "c1", new Credit(CreditKind.CREDIT, eur(1_000)));
            send(partner.rawCommands, "c2", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h1", eur(300), 500L));
            advance(partner.driver, ticks, 400);
            send(partner.rawCommands, "c3", new CaptureHold(CaptureHoldKind.CAPTURE_HOLD, "h1", eur(200)));
            send(partner.rawCommands, "c4", new HoldFunds(HoldFundsKind.HOLD_FUNDS, "h2", eur(300), 500L));
            advance(partner.driver, ticks, 1_000);
            send(partner.rawCommands, "c5", new CaptureHold(CaptureHoldKind.CAPTURE_HOLD, "h2", eur(300)));
            first = partner.events.readValuesToList();
        }
        assertThat(log).as("a tick in the log").anyMatch(record -> LogClock.isTick(record.value(), record.headers()));
        assertThat(first).extracting(PaymentEvent::getType).containsExactly(PaymentEventType.CREDIT,
                PaymentEventType.HOLD_FUNDS, PaymentEventType.CAPTURE_HOLD, PaymentEventType.HOLD_FUNDS,
                PaymentEventType.HOLD_EXPIRED, PaymentEventType.CAPTURE_HOLD);
        assertThat(first.get(2).getReason()).isNull();
        assertThat(first.get(4).getProcessedAt()).isEqualTo(START.plusMillis(1_400));
        assertThat(first.get(5).getReason()).isNotNull();

        try (PartnerDriver partner = start(secondState, START.plus(Duration.ofDays(1)))) {
            log.forEach(partner.rawCommands::pipeInput);
            assertThat(partner.events.readValuesToList()).isEqualTo(first);
        }
    }

    private PartnerDriver start(final Path stateDir, final Instant wallClock) {
        return PartnerDriver.builder(stateDir).applicationId("log-clock-" + stateDir.getFileName()).topics(topics)
                .startingAt(wallClock).settings(Map.of(PartnerTopologyConfig.PUNCTUATION_INTERVAL_MS, 100L)).start();
    }

    /** Sends a command stamped with the producer's time, and keeps it in the log. */
    private void send(final TestInputTopic<byte[], byte[]> commands, final String commandId, final Object payload) {
        final PaymentCommand command = command(commandId, "p1", payload, START);
        final TestRecord<byte[], byte[]> record = new TestRecord<>("p1".getBytes(StandardCharsets.UTF_8),
                topics.paymentCommands.valueSerde().serializer().serialize(topics.paymentCommands.name(), command),
                null, now);
        log.add(record);
        commands.pipeInput(record);
    }

    /** Moves the wall clock, and keeps the ticks the partner task wrote to its partition meanwhile in the log. */
    private void advance(final TopologyTestDriver driver, final TestOutputTopic<byte[], byte[]> ticks,
                         final long ms) {
        driver.advanceWallClockTime(Duration.ofMillis(ms));
        now = now.plusMillis(ms);
        log.addAll(ticks.readRecordsToList());
    }
}
