package io.bursar.app.bench;

import io.bursar.app.BursarConfig;
import io.bursar.app.BursarNode;
import io.bursar.app.Demo;
import io.bursar.app.ProgressBar;
import io.bursar.app.verify.Audit;
import io.bursar.app.verify.AuditReport;
import io.bursar.app.verify.Auditor;
import io.bursar.schemas.payments.PaymentCommand;
import io.bursar.schemas.payments.PaymentEvent;
import io.bursar.serdes.Topics;
import io.bursar.topology.StreamsSettings;
import java.io.Closeable;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * {@code bursar bench payments}: what one balance command costs beside what the same broker can move.
 * In one run, on one broker: (1) the ceiling, a transactional consume → produce copy of records the size of
 * the commands, made with kafka-clients alone; (2) the partner pipeline on the same number of commands of a
 * realistic mix; (3) the same operations in ApplyBatch commands; (4) command → result latency at a fixed
 * offered rate, free of coordinated omission. Phases (1) to (3) are timed the same way: input written first, then from the first record taken to the last
 * result committed. Also reported: records written per command on every topic, CPU seconds per 1,000
 * commands by thread group, and a chart of each phase per second.
 */
public final class PaymentsBenchmark {

    private static final long RAW_COMMIT_MS = 100;
    private static final Duration PHASE_TIMEOUT = Duration.ofMinutes(10);
    /** The batched phase applies this many times the single-command phase's count of operations. */
    private static final int BATCHED_OPERATIONS_FACTOR = 10;
    private static final String BENCH_APPLICATION_ID = "bursar-bench";
    /** Throughput is charted in steps this long, as a rate per second. */
    private static final long STEP_NANOS = 200_000_000L;
    private static final double STEPS_PER_SECOND = 1e9 / STEP_NANOS;

    /**
     * @param commands        commands in the ceiling and pipeline phases
     * @param partners        partners the mix spreads over
     * @param zipfExponent    0 for uniform partners; above 0, a few hot ones
     * @param batchSize       operations per ApplyBatch in the batched phase (0 skips it)
     * @param warmUpRounds    rounds of phases 1 to 4 run first, unmeasured, while the JIT compiles
     * @param rate            offered commands per second in the latency phase (0 skips it)
     * @param latencySeconds  how long the latency phase offers them
     * @param bootstrap       an external cluster, or null for the embedded broker and registry
     * @param registry        the external cluster's schema registry (with bootstrap)
     * @param outDir          where the charts go
     * @param overrides       configuration keys set on the node
     * @param verify          audit the cluster with {@code bursar verify}'s auditor after the phases, and time it
     */
    public record Settings(int commands, int partners, double zipfExponent, int batchSize, int warmUpRounds,
                           int rate, int latencySeconds, String bootstrap, String registry, Path outDir,
                           Map<String, String> overrides, boolean verify) {
        public Settings {
            overrides = Map.copyOf(overrides);
            if (commands < 1_000 || partners < 1 || batchSize < 0 || warmUpRounds < 0 || rate < 0 || latencySeconds < 1) {
                throw new IllegalArgumentException("commands >= 1000, partners >= 1, rate >= 0, latency seconds >= 1");
            }
            if (bootstrap != null && registry == null) {
                throw new IllegalArgumentException("--registry is needed with --bootstrap");
            }
        }
    }

    /** What one run measured; rates are per second. */
    public record Result(double ceilingPerSecond, double streamsFloorPerSecond, double pipelinePerSecond, double batchedOperationsPerSecond,
                         double batchedCommandsPerSecond, double latencyP50Ms, double latencyP99Ms,
                         double latencyP999Ms, long latencyResults, double recordsPerCommand,
                         Map<String, Double> recordsPerCommandByTopic, Map<String, Double> cpuSecondsPer1000,
                         Map<String, Double> batchedCpuSecondsPerMillionOperations, List<Path> charts) {

        public double ratio() {
            return pipelinePerSecond / ceilingPerSecond;
        }
    }

    private PaymentsBenchmark() {
    }

    public static Result run(final Settings settings, final PrintStream out) throws Exception {
        System.setProperty("java.awt.headless", "true");
        try (Environment environment = Environment.start(settings)) {
            final Map<String, Object> client = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, environment.bootstrap());
            final Topics topics = environment.node().topics();
            final String runId = "bench-" + UUID.randomUUID().toString().substring(0, 8);
            final PaymentMix mix = new PaymentMix(runId, settings.partners(), settings.zipfExponent(), 42L);

            out.printf("Opening %,d partners...%n", settings.partners());
            final List<PaymentCommand> openings = new ArrayList<>();
            for (int i = 0; i < settings.partners(); i++) {
                openings.add(mix.opening(i));
            }
            final Map<TopicPartition, Long> afterOpenings = send(client, topics, openings);
            awaitResults(client, topics, openings.size(), afterOpenings, out, "opening");

            Round round = null;
            for (int number = 0; number <= settings.warmUpRounds(); number++) {
                final boolean measured = number == settings.warmUpRounds();
                out.printf("%n== %s ==%n", measured ? "measured round" : "warm-up round " + (number + 1)
                        + " of " + settings.warmUpRounds() + " (not measured: the JIT compiles meanwhile)");
                round = round(number, settings, environment, client, mix, out);
            }

            Histogram latency = null;
            List<double[]> latencySeries = List.of();
            if (settings.rate() > 0) {
                out.printf("%n[5/5] Latency: %,d commands/s offered for %d s%n", settings.rate(), settings.latencySeconds());
                final LatencyRun run = latency(client, topics, mix, settings.rate(), settings.latencySeconds(), out);
                latency = run.histogram();
                latencySeries = run.perSecond();
            }

            if (settings.verify()) {
                verify(environment, out);
            }

            final List<Path> charts = charts(settings.outDir(), round.ceiling(), round.floor(), round.pipeline(),
                    round.batched(), settings.batchSize(), latencySeries);
            final int batches = round.batches();
            return new Result(settings.commands() / round.ceiling().seconds(),
                    settings.commands() / round.floor().seconds(), settings.commands() / round.pipeline().seconds(),
                    round.batched() == null ? 0 : batches * (double) settings.batchSize() / round.batched().seconds(),
                    round.batched() == null ? 0 : batches / round.batched().seconds(),
                    latency == null ? 0 : latency.getValueAtPercentile(50) / 1_000.0,
                    latency == null ? 0 : latency.getValueAtPercentile(99) / 1_000.0,
                    latency == null ? 0 : latency.getValueAtPercentile(99.9) / 1_000.0,
                    latency == null ? 0 : latency.getTotalCount(), round.recordsPerCommand(),
                    round.recordsPerCommandByTopic(), round.cpuPer1000(), round.batchedCpuPerMillion(), charts);
        }
    }

    /** Audits everything the run wrote, as {@code bursar verify} would, and says how long it took. */
    private static void verify(final Environment environment, final PrintStream out) throws Exception {
        out.printf("%nAudit: every record the run wrote, read_committed, checked against the invariants%n");
        final long startNanos = System.nanoTime();
        final AuditReport report = new Auditor(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, environment.bootstrap()),
                environment.node().topics(), environment.applicationId(), out)
                .run(new Audit.Settings(System.currentTimeMillis(), 60_000, false, Map.of()));
        final double seconds = (System.nanoTime() - startNanos) / 1e9;
        final long records = report.counts().get("records read");
        out.print(report.text());
        out.printf("audit: %,d records (commands, events, dead letters, provider results, changelogs) in %.1f s = "
                + "%,.0f per second%n", records, seconds, records / seconds);
    }

    /** The phases of one round, with what the pipeline phase wrote and used. */
    private record Round(Phase ceiling, Phase floor, Phase pipeline, Phase batched, int batches,
                         double recordsPerCommand, Map<String, Double> recordsPerCommandByTopic,
                         Map<String, Double> cpuPer1000, Map<String, Double> batchedCpuPerMillion) {
    }

    private static Round round(final int number, final Settings settings, final Environment environment,
                               final Map<String, Object> client, final PaymentMix mix, final PrintStream out)
            throws Exception {
        final Topics topics = environment.node().topics();
        final List<PaymentCommand> commands = new ArrayList<>(settings.commands());
        long bytes = 0;
        final var serializer = topics.paymentCommands.valueSerde().serializer();
        final long firstSequence = (long) number * settings.commands();
        for (int i = 0; i < settings.commands(); i++) {
            final PaymentCommand command = mix.next(firstSequence + i);
            commands.add(command);
            bytes += serializer.serialize(topics.paymentCommands.name(), command).length;
        }
        final int recordBytes = (int) (bytes / commands.size());
        final String rawIn = "bench-raw-in-" + number;

        out.printf("%n[1/5] Ceiling: transactional copy of %,d records of %d bytes (kafka-clients alone)%n",
                settings.commands(), recordBytes);
        final Phase ceiling = rawCopy(client, rawIn, "bench-raw-out-" + number, settings.commands(), recordBytes, out);
        out.printf("%nceiling: %,d records in %.2f s = %,.0f records/s%n", settings.commands(), ceiling.seconds(),
                settings.commands() / ceiling.seconds());

        out.printf("%n[2/5] Streams floor: the same records through a trivial exactly-once Kafka Streams "
                + "processor (one RocksDB read-modify-write per record)%n");
        final Phase floor = streamsFloor(client, topics, rawIn, "bench-floor-out-" + number, settings.commands(), out);
        out.printf("%nstreams floor: %,d records in %.2f s = %,.0f records/s%n", settings.commands(), floor.seconds(),
                settings.commands() / floor.seconds());

        out.printf("%n[3/5] Pipeline: %,d commands over %,d partners (zipf %.2f), written while processing is paused%n",
                settings.commands(), settings.partners(), settings.zipfExponent());
        environment.node().streams().pause();
        final Map<TopicPartition, Long> eventsFrom = send(client, topics, commands);
        final Map<String, Long> offsetsBefore = endOffsets(client);
        final ThreadCpu cpuBefore = ThreadCpu.snapshot();
        environment.node().streams().resume();
        final Phase pipeline = awaitResults(client, topics, commands.size(), eventsFrom, out, "pipeline");
        final Map<String, Double> cpu = ThreadCpu.snapshot().secondsSince(cpuBefore);
        Thread.sleep(2_000); // the views application follows the events; its writes count too
        final Map<String, Long> offsetsAfter = endOffsets(client);
        final Map<String, Double> perTopic = new TreeMap<>();
        double perCommand = 0;
        for (final Map.Entry<String, Long> topic : offsetsAfter.entrySet()) {
            final long written = topic.getValue() - offsetsBefore.getOrDefault(topic.getKey(), 0L);
            if (written > 0 && !topic.getKey().equals(topics.paymentCommands.name())
                    && !topic.getKey().startsWith("bench-")) {
                perTopic.put(topic.getKey(), written / (double) commands.size());
                perCommand += written / (double) commands.size();
            }
        }
        final Map<String, Double> cpuPer1000 = new LinkedHashMap<>();
        cpu.forEach((group, seconds) -> cpuPer1000.put(group, seconds * 1_000 / commands.size()));
        out.printf("%npipeline: %,d commands in %.2f s = %,.0f commands/s, %.3f x the ceiling%n", commands.size(),
                pipeline.seconds(), commands.size() / pipeline.seconds(),
                (commands.size() / pipeline.seconds()) / (settings.commands() / ceiling.seconds()));

        Phase batched = null;
        int batches = 0;
        final Map<String, Double> batchedCpuPerMillion = new LinkedHashMap<>();
        if (settings.batchSize() > 0) {
            // Ten times the single commands' operations: long enough to time at a batch's speed.
            batches = Math.max(1, BATCHED_OPERATIONS_FACTOR * settings.commands() / settings.batchSize());
            out.printf("%n[4/5] Batched: %,d ApplyBatch commands of %d operations (%,d operations), written while "
                    + "processing is paused%n", batches, settings.batchSize(), batches * settings.batchSize());
            final List<PaymentCommand> batchCommands = new ArrayList<>(batches);
            for (int i = 0; i < batches; i++) {
                batchCommands.add(mix.nextBatch((long) number * batches + i, settings.batchSize()));
            }
            environment.node().streams().pause();
            final Map<TopicPartition, Long> batchesFrom = send(client, topics, batchCommands);
            final ThreadCpu batchCpuBefore = ThreadCpu.snapshot();
            environment.node().streams().resume();
            batched = awaitResults(client, topics, batches, batchesFrom, out, "batched");
            final long operations = (long) batches * settings.batchSize();
            ThreadCpu.snapshot().secondsSince(batchCpuBefore).forEach((group, seconds) ->
                    batchedCpuPerMillion.put(group, seconds * 1_000_000 / operations));
            out.printf("%nbatched: %,d operations in %.2f s = %,.0f operations/s (%,.0f commands/s)%n",
                    operations, batched.seconds(), operations / batched.seconds(), batches / batched.seconds());
        }
        return new Round(ceiling, floor, pipeline, batched, batches, perCommand, perTopic, cpuPer1000,
                batchedCpuPerMillion);
    }

    /**
     * Times one phase as every phase is timed: from its start to its last result, with the rate of results in each
     * step of {@link #STEP_NANOS} and a progress line per step.
     */
    private static final class PhaseClock {
        private final PrintStream out;
        private final String label;
        private final long total;
        private final List<Double> perStep = new ArrayList<>();
        private boolean started;
        private long startNanos;
        private long lastNanos;
        private long stepStartNanos;
        private long done;
        private long doneAtStepStart;

        PhaseClock(final PrintStream out, final String label, final long total) {
            this.out = out;
            this.label = label;
            this.total = total;
        }

        void start(final long nowNanos) {
            started = true;
            startNanos = nowNanos;
            lastNanos = nowNanos;
            stepStartNanos = nowNanos;
        }

        boolean started() {
            return started;
        }

        /** {@code results} so far, the newest of them seen now. */
        void reached(final long results, final long nowNanos) {
            reached(results, nowNanos, nowNanos);
        }

        /** {@code results} so far, the newest of them at {@code lastNanos}, looked at {@code nowNanos}. */
        void reached(final long results, final long lastNanos, final long nowNanos) {
            if (results > done) {
                done = results;
                this.lastNanos = lastNanos;
            }
            while (started && nowNanos - stepStartNanos >= STEP_NANOS) {
                endStep();
                stepStartNanos += STEP_NANOS;
            }
        }

        Phase finish() {
            endStep();
            return new Phase((lastNanos - startNanos) / 1e9, perStep);
        }

        private void endStep() {
            perStep.add((done - doneAtStepStart) * STEPS_PER_SECOND);
            doneAtStepStart = done;
            progress(out, label, done, total, rate(perStep.get(perStep.size() - 1)));
        }
    }

    /** One timed phase: its length and its rate of results (per second) in each step of {@link #STEP_NANOS}. */
    record Phase(double seconds, List<Double> perSecond) {
    }

    private record LatencyRun(Histogram histogram, List<double[]> perSecond) {
    }

    /** Writes the commands and returns the end offsets of payment-events from before any of their results. */
    private static Map<TopicPartition, Long> send(final Map<String, Object> client, final Topics topics,
                                                  final List<PaymentCommand> commands) throws Exception {
        final Map<TopicPartition, Long> eventsFrom = endOffsetsOf(client, topics.paymentEvents.name());
        try (KafkaProducer<String, PaymentCommand> producer = new KafkaProducer<>(producerConfig(client, "bench-producer"),
                new StringSerializer(), topics.paymentCommands.valueSerde().serializer())) {
            final Failures failures = new Failures();
            for (final PaymentCommand command : commands) {
                producer.send(new ProducerRecord<>(topics.paymentCommands.name(), command.getPartnerId(), command),
                        failures);
            }
            producer.flush();
            failures.check(topics.paymentCommands.name());
        }
        return eventsFrom;
    }

    /**
     * Reads payment-events (read_committed) from {@code eventsFrom} until {@code expected} first results arrived;
     * the phase runs from this call (right after a paused pipeline resumes) to the last result.
     */
    private static Phase awaitResults(final Map<String, Object> client, final Topics topics, final int expected,
                                      final Map<TopicPartition, Long> eventsFrom, final PrintStream out,
                                      final String label) throws Exception {
        final PhaseClock clock = new PhaseClock(out, label, expected);
        clock.start(System.nanoTime());
        long seen = 0;
        try (KafkaConsumer<String, PaymentEvent> consumer = resultsConsumer(client, topics)) {
            assignFrom(consumer, eventsFrom);
            final long deadline = System.nanoTime() + PHASE_TIMEOUT.toNanos();
            while (seen < expected) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(label + ": only " + seen + " of " + expected + " results in "
                            + PHASE_TIMEOUT);
                }
                for (final ConsumerRecord<String, PaymentEvent> record : consumer.poll(Duration.ofMillis(100))) {
                    if (record.value() != null && !record.value().getDuplicate()) {
                        seen++;
                    }
                }
                clock.reached(seen, System.nanoTime());
            }
        }
        return clock.finish();
    }

    /** The ceiling: records of the commands' size copied in transactions, measured like the pipeline. */
    private static Phase rawCopy(final Map<String, Object> client, final String rawIn, final String rawOut,
                                 final int count, final int recordBytes, final PrintStream out) throws Exception {
        try (Admin admin = Admin.create(client)) {
            final Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            final List<NewTopic> missing = new ArrayList<>();
            for (final String name : List.of(rawIn, rawOut)) {
                if (!existing.contains(name)) {
                    missing.add(new NewTopic(name, 4, (short) -1));
                }
            }
            admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
        }
        // A partition's leader may refuse writes for a moment after the topic is created.
        Thread.sleep(2_000);
        final byte[] value = new byte[recordBytes];
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig(client, "bench-producer"),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            final Failures failures = new Failures();
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(rawIn, ("bench-partner-" + (i % 1_000)).getBytes(), value), failures);
            }
            producer.flush();
            failures.check(rawIn);
        }
        final Map<String, Object> consumerConfig = new HashMap<>(client);
        consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-raw-" + UUID.randomUUID());
        consumerConfig.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-raw-consumer");
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString().toLowerCase());
        consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        final Map<String, Object> producerConfig = producerConfig(client, "bench-raw-producer");
        producerConfig.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "bench-raw-" + UUID.randomUUID());
        final PhaseClock clock = new PhaseClock(out, "ceiling", count);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(),
                     new ByteArraySerializer())) {
            producer.initTransactions();
            consumer.subscribe(List.of(rawIn));
            producer.beginTransaction();
            final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            long copied = 0;
            long committed = 0;
            long lastCommitNanos = System.nanoTime();
            final long deadline = System.nanoTime() + PHASE_TIMEOUT.toNanos();
            while (committed < count) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("ceiling: only " + committed + " of " + count + " copied");
                }
                final ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(10));
                if (!clock.started() && !records.isEmpty()) {
                    clock.start(System.nanoTime());
                }
                for (final ConsumerRecord<byte[], byte[]> record : records) {
                    producer.send(new ProducerRecord<>(rawOut, record.key(), record.value()));
                    offsets.put(new TopicPartition(record.topic(), record.partition()),
                            new OffsetAndMetadata(record.offset() + 1));
                    copied++;
                }
                final long now = System.nanoTime();
                if (copied > committed && (now - lastCommitNanos >= RAW_COMMIT_MS * 1_000_000 || copied == count)) {
                    producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
                    producer.commitTransaction();
                    producer.beginTransaction();
                    committed = copied;
                    lastCommitNanos = System.nanoTime();
                }
                clock.reached(committed, lastCommitNanos, now);
            }
            producer.abortTransaction();
            return clock.finish();
        }
    }

    /**
     * The framework's floor: the ceiling's input records through a Kafka Streams application with Bursar's
     * settings (exactly-once v2) and one processor that reads, updates and writes a RocksDB counter per key and
     * forwards the record; timed from its start to the last output committed.
     */
    private static Phase streamsFloor(final Map<String, Object> client, final Topics topics, final String input,
                                      final String output, final int count, final PrintStream out) throws Exception {
        try (Admin admin = Admin.create(client)) {
            if (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(output)) {
                admin.createTopics(List.of(new NewTopic(output, 4, (short) -1))).all().get(30, TimeUnit.SECONDS);
            }
        }
        final Map<TopicPartition, Long> outputFrom = endOffsetsOf(client, output);
        final StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("bench-floor-counts"),
                Serdes.Bytes(), Serdes.Long()));
        builder.stream(input, Consumed.with(Serdes.Bytes(), Serdes.ByteArray()))
                .process(() -> new Processor<Bytes, byte[], Bytes, byte[]>() {
                    private ProcessorContext<Bytes, byte[]> context;
                    private KeyValueStore<Bytes, Long> counts;

                    @Override
                    public void init(final ProcessorContext<Bytes, byte[]> context) {
                        this.context = context;
                        this.counts = context.getStateStore("bench-floor-counts");
                    }

                    @Override
                    public void process(final Record<Bytes, byte[]> record) {
                        final Long seen = counts.get(record.key());
                        counts.put(record.key(), seen == null ? 1 : seen + 1);
                        context.forward(record);
                    }
                }, "bench-floor-counts")
                .to(output, Produced.with(Serdes.Bytes(), Serdes.ByteArray()));
        final Map<String, Object> props = new HashMap<>(StreamsSettings.defaults());
        props.putAll(client);
        props.putAll(StreamsSettings.required(topics));
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "bench-floor-" + UUID.randomUUID());
        props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("bench-floor").toString());
        final PhaseClock clock = new PhaseClock(out, "floor", count);
        try (KafkaStreams streams = new KafkaStreams(builder.build(), new StreamsConfig(props));
             KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                     ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, client.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG),
                     ConsumerConfig.CLIENT_ID_CONFIG, "bench-floor-results",
                     ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                     ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000), new ByteArrayDeserializer(),
                     new ByteArrayDeserializer())) {
            assignFrom(consumer, outputFrom);
            streams.start();
            clock.start(System.nanoTime());
            final long deadline = System.nanoTime() + PHASE_TIMEOUT.toNanos();
            long seen = 0;
            while (seen < count) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("streams floor: only " + seen + " of " + count);
                }
                seen += consumer.poll(Duration.ofMillis(50)).count();
                clock.reached(seen, System.nanoTime());
            }
            streams.close(Duration.ofSeconds(30));
            return clock.finish();
        }
    }

    /** Offers {@code rate} commands a second for {@code seconds}; latency from each one's scheduled send time. */
    private static LatencyRun latency(final Map<String, Object> client, final Topics topics, final PaymentMix mix,
                                      final int rate, final int seconds, final PrintStream out) throws Exception {
        final int total = rate * seconds;
        final String prefix = "lat-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        final List<PaymentCommand> commands = new ArrayList<>(total);
        for (int i = 0; i < total; i++) {
            final PaymentCommand command = mix.next(i);
            command.setCommandId(prefix + i);
            commands.add(command);
        }
        final Map<TopicPartition, Long> eventsFrom = endOffsetsOf(client, topics.paymentEvents.name());
        final Histogram histogram = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
        final List<Histogram> bySecond = new ArrayList<>();
        final AtomicLongArray scheduledNanos = new AtomicLongArray(total);
        final AtomicLong received = new AtomicLong();
        final AtomicBoolean stop = new AtomicBoolean();
        final long startNanos = System.nanoTime() + 200_000_000L;
        final Thread sender = new Thread(() -> {
            try (KafkaProducer<String, PaymentCommand> producer = new KafkaProducer<>(
                    producerConfig(client, "bench-latency-producer"), new StringSerializer(),
                    topics.paymentCommands.valueSerde().serializer())) {
                for (int i = 0; i < total && !stop.get(); i++) {
                    final long due = startNanos + i * 1_000_000_000L / rate;
                    scheduledNanos.set(i, due);
                    long wait;
                    while ((wait = due - System.nanoTime()) > 0) {
                        if (wait > 200_000) {
                            TimeUnit.NANOSECONDS.sleep(wait - 100_000);
                        } else {
                            Thread.onSpinWait();
                        }
                    }
                    final PaymentCommand command = commands.get(i);
                    producer.send(new ProducerRecord<>(topics.paymentCommands.name(), command.getPartnerId(), command));
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bench-latency-sender");
        sender.start();
        try (KafkaConsumer<String, PaymentEvent> consumer = resultsConsumer(client, topics)) {
            assignFrom(consumer, eventsFrom);
            final long deadline = startNanos + TimeUnit.SECONDS.toNanos(seconds) + PHASE_TIMEOUT.toNanos();
            long nextProgress = startNanos + 1_000_000_000L;
            while (received.get() < total && System.nanoTime() < deadline) {
                final ConsumerRecords<String, PaymentEvent> records = consumer.poll(Duration.ofMillis(20));
                final long now = System.nanoTime();
                for (final ConsumerRecord<String, PaymentEvent> record : records) {
                    final PaymentEvent event = record.value();
                    if (event == null || event.getDuplicate() || !event.getCommandId().startsWith(prefix)) {
                        continue;
                    }
                    final int index = Integer.parseInt(event.getCommandId().substring(prefix.length()));
                    final long micros = Math.max(0, (now - scheduledNanos.get(index)) / 1_000);
                    histogram.recordValue(Math.min(micros, histogram.getHighestTrackableValue()));
                    final int second = (int) Math.max(0, (scheduledNanos.get(index) - startNanos) / 1_000_000_000L);
                    while (bySecond.size() <= second) {
                        bySecond.add(new Histogram(TimeUnit.MINUTES.toMicros(5), 3));
                    }
                    bySecond.get(second).recordValue(Math.min(micros, histogram.getHighestTrackableValue()));
                    received.incrementAndGet();
                }
                if (now >= nextProgress) {
                    nextProgress += 1_000_000_000L;
                    progress(out, "latency", received.get(), total,
                            String.format("p99 so far %.1f ms", histogram.getValueAtPercentile(99) / 1_000.0));
                }
            }
        } finally {
            stop.set(true);
            sender.join(TimeUnit.SECONDS.toMillis(30));
        }
        progress(out, "latency", received.get(), total,
                            String.format("p99 so far %.1f ms", histogram.getValueAtPercentile(99) / 1_000.0));
        out.printf("%nlatency at %,d/s offered: %,d results, p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms%n",
                rate, histogram.getTotalCount(), histogram.getValueAtPercentile(50) / 1_000.0,
                histogram.getValueAtPercentile(99) / 1_000.0, histogram.getValueAtPercentile(99.9) / 1_000.0,
                histogram.getMaxValue() / 1_000.0);
        if (received.get() < total) {
            throw new IllegalStateException("latency: only " + received.get() + " of " + total + " results");
        }
        final List<double[]> perSecond = new ArrayList<>();
        for (final Histogram second : bySecond) {
            perSecond.add(new double[] {second.getValueAtPercentile(50) / 1_000.0,
                    second.getValueAtPercentile(99) / 1_000.0});
        }
        return new LatencyRun(histogram, perSecond);
    }

    private static List<Path> charts(final Path outDir, final Phase ceiling, final Phase floor, final Phase pipeline,
                                     final Phase batched,
                                     final int batchSize, final List<double[]> latency) throws Exception {
        Files.createDirectories(outDir);
        final List<Path> charts = new ArrayList<>();
        final Map<String, List<Double>> throughput = new LinkedHashMap<>();
        throughput.put("ceiling (transactional copy, kafka-clients)", ceiling.perSecond());
        throughput.put("Kafka Streams floor (trivial exactly-once processor, RocksDB)", floor.perSecond());
        throughput.put("partner pipeline (single commands)", pipeline.perSecond());
        if (batched != null) {
            throughput.put("partner pipeline (ApplyBatch of " + batchSize + ", operations)",
                    batched.perSecond().stream().map(rate -> rate * batchSize).toList());
        }
        charts.add(BenchChart.write(outDir.resolve("payments-throughput.png"),
                "bursar bench payments: results committed per second", "records or commands per second",
                1 / STEPS_PER_SECOND, throughput));
        if (!latency.isEmpty()) {
            final Map<String, List<Double>> series = new LinkedHashMap<>();
            series.put("p50", latency.stream().map(p -> p[0]).toList());
            series.put("p99", latency.stream().map(p -> p[1]).toList());
            charts.add(BenchChart.write(outDir.resolve("payments-latency.png"),
                    "bursar bench payments: command -> result latency per second of sending", "ms", 1, series));
        }
        return charts;
    }

    private static void progress(final PrintStream out, final String label, final long done, final long total,
                                 final String now) {
        ProgressBar.print(out, label, done, total, now);
    }

    private static String rate(final double perSecond) {
        return String.format("now %,.0f/s", perSecond);
    }

    /** Counts failed sends, so that a phase never runs on less input than it reports. */
    private static final class Failures implements Callback {
        private final AtomicLong failed = new AtomicLong();
        private volatile Exception first;

        @Override
        public void onCompletion(final RecordMetadata metadata, final Exception exception) {
            if (exception != null && failed.getAndIncrement() == 0) {
                first = exception;
            }
        }

        void check(final String topic) {
            if (failed.get() > 0) {
                throw new IllegalStateException(failed.get() + " records could not be written to " + topic, first);
            }
        }
    }

    private static Map<String, Object> producerConfig(final Map<String, Object> client, final String clientId) {
        final Map<String, Object> config = new HashMap<>(client);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        return config;
    }

    private static KafkaConsumer<String, PaymentEvent> resultsConsumer(final Map<String, Object> client,
                                                                       final Topics topics) {
        final Map<String, Object> config = new HashMap<>(client);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-results");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString().toLowerCase());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
        return new KafkaConsumer<>(config, new StringDeserializer(), topics.paymentEvents.valueSerde().deserializer());
    }

    private static void assignFrom(final KafkaConsumer<?, ?> consumer, final Map<TopicPartition, Long> offsets) {
        consumer.assign(offsets.keySet());
        offsets.forEach(consumer::seek);
    }

    private static Map<TopicPartition, Long> endOffsetsOf(final Map<String, Object> client, final String topic)
            throws Exception {
        try (Admin admin = Admin.create(client)) {
            final Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions()
                    .forEach(p -> request.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            final Map<TopicPartition, Long> ends = new HashMap<>();
            admin.listOffsets(request).all().get(30, TimeUnit.SECONDS)
                    .forEach((partition, info) -> ends.put(partition, info.offset()));
            return ends;
        }
    }

    /** The end offset sum of every topic on the cluster, internal ones (changelogs, repartitions) included. */
    private static Map<String, Long> endOffsets(final Map<String, Object> client) throws Exception {
        try (Admin admin = Admin.create(client)) {
            final Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(false)).names()
                    .get(30, TimeUnit.SECONDS);
            final Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS).forEach((name, description) ->
                    description.partitions().forEach(p -> request.put(new TopicPartition(name, p.partition()),
                            OffsetSpec.latest())));
            final Map<String, Long> sums = new TreeMap<>();
            admin.listOffsets(request).all().get(30, TimeUnit.SECONDS)
                    .forEach((partition, info) -> sums.merge(partition.topic(), info.offset(), Long::sum));
            return sums;
        }
    }

    /** The demo (embedded broker, registry, one node) or one node against an external cluster. */
    private record Environment(Demo demo, BursarNode external, String bootstrap) implements Closeable {

        static Environment start(final Settings settings) throws Exception {
            if (settings.bootstrap() == null) {
                final Demo demo = Demo.start(0, settings.overrides());
                return new Environment(demo, null, demo.bootstrapServers());
            }
            final Map<String, String> config = new HashMap<>(settings.overrides());
            config.put(BursarConfig.BOOTSTRAP_SERVERS, settings.bootstrap());
            config.put(BursarConfig.SCHEMA_REGISTRY_URL, settings.registry());
            config.putIfAbsent(BursarConfig.APPLICATION_ID, BENCH_APPLICATION_ID);
            config.putIfAbsent(BursarConfig.STATE_DIR, Files.createTempDirectory("bursar-bench-state").toString());
            final BursarNode node = BursarNode.start(new BursarConfig(config));
            node.awaitRunning(Duration.ofMinutes(2));
            return new Environment(null, node, settings.bootstrap());
        }

        BursarNode node() {
            return demo != null ? demo.node() : external;
        }

        String applicationId() {
            return demo != null ? Demo.APPLICATION_ID : BENCH_APPLICATION_ID;
        }

        @Override
        public void close() {
            if (demo != null) {
                demo.close();
            } else {
                external.close();
            }
        }
    }
}
