package io.bursar.app.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time of this JVM's threads between two snapshots, summed by what the threads do (the broker, the
 * commands and views stream threads, their producers, the benchmark's own clients, the gateway), with what
 * no Java thread accounts for (JIT compilers, garbage collector) as the rest of the process's CPU time.
 */
final class ThreadCpu {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final Map<Long, Long> cpuNanosByThread;
    private final Map<Long, String> nameByThread;
    private final long processCpuNanos;

    private ThreadCpu(final Map<Long, Long> cpuNanosByThread, final Map<Long, String> nameByThread,
                      final long processCpuNanos) {
        this.cpuNanosByThread = cpuNanosByThread;
        this.nameByThread = nameByThread;
        this.processCpuNanos = processCpuNanos;
    }

    static ThreadCpu snapshot() {
        final Map<Long, Long> cpu = new HashMap<>();
        final Map<Long, String> names = new HashMap<>();
        for (final ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            final long nanos = THREADS.getThreadCpuTime(info.getThreadId());
            if (nanos >= 0) {
                cpu.put(info.getThreadId(), nanos);
                names.put(info.getThreadId(), info.getThreadName());
            }
        }
        return new ThreadCpu(cpu, names, processCpuNanos());
    }

    /** CPU seconds used since {@code before}, by group, in a stable order; "JVM (JIT, GC, other)" is the rest. */
    Map<String, Double> secondsSince(final ThreadCpu before) {
        final Map<String, Double> seconds = new LinkedHashMap<>();
        for (final String group : new String[] {"broker", "commands stream thread", "views stream thread",
                "streams clients", "benchmark clients", "gateway", "other Java threads"}) {
            seconds.put(group, 0.0);
        }
        double threads = 0;
        for (final Map.Entry<Long, Long> thread : cpuNanosByThread.entrySet()) {
            final long delta = thread.getValue() - before.cpuNanosByThread.getOrDefault(thread.getKey(), 0L);
            final double used = delta / 1e9;
            threads += used;
            seconds.merge(group(nameByThread.get(thread.getKey())), used, Double::sum);
        }
        seconds.put("JVM (JIT, GC, other)", Math.max(0, (processCpuNanos - before.processCpuNanos) / 1e9 - threads));
        return seconds;
    }

    static String group(final String name) {
        final boolean clientThread = name.startsWith("kafka-producer-network-thread")
                || name.startsWith("kafka-coordinator-heartbeat-thread") || name.startsWith("consumer_background_thread");
        if (name.startsWith("bench-") || clientThread && name.contains("| bench")) {
            return "benchmark clients";
        }
        if (clientThread) {
            return "streams clients";
        }
        if (name.contains("StreamThread")) {
            return name.contains("-views-") ? "views stream thread" : "commands stream thread";
        }
        if (name.startsWith("qtp") || name.startsWith("JettyScheduler") || name.contains("Javalin")) {
            return "gateway";
        }
        if (name.startsWith("data-plane") || name.startsWith("kafka-") || name.contains("broker")
                || name.contains("raft") || name.contains("quorum") || name.contains("controller")
                || name.startsWith("ExpirationReaper") || name.startsWith("LogDirFailureHandler")
                || name.contains("scheduler") || name.contains("transaction") || name.contains("group-coordinator")
                || name.startsWith("ReplicaFetcher") || name.startsWith("executor-")) {
            return "broker";
        }
        return "other Java threads";
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }
}
