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
 * no Java thread accounts for (JIT compilers, garbage collector, RocksDB's native flush and compaction threads)
 * as the rest of the process's CPU time.
 */
final class ThreadCpu {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** Linux's clock ticks per second, the unit of utime and stime in /proc/.../stat. */
    private static final double TICKS_PER_SECOND = 100.0;

    private final Map<Long, Long> cpuNanosByThread;
    private final Map<Long, String> nameByThread;
    private final long processCpuNanos;
    private final Map<String, Long> nativeTicksByGroup;

    private ThreadCpu(final Map<Long, Long> cpuNanosByThread, final Map<Long, String> nameByThread,
                      final long processCpuNanos, final Map<String, Long> nativeTicksByGroup) {
        this.cpuNanosByThread = cpuNanosByThread;
        this.nameByThread = nameByThread;
        this.processCpuNanos = processCpuNanos;
        this.nativeTicksByGroup = nativeTicksByGroup;
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
        return new ThreadCpu(cpu, names, processCpuNanos(), nativeTicks());
    }

    /**
     * CPU ticks of the threads that are not Java threads, from /proc (Linux), by their kernel name: JIT
     * compilers, garbage collector, RocksDB's flush and compaction threads. Empty elsewhere.
     */
    private static Map<String, Long> nativeTicks() {
        final Map<String, Long> ticks = new HashMap<>();
        final java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        if (tasks == null) {
            return ticks;
        }
        for (final java.io.File task : tasks) {
            try {
                final String stat = java.nio.file.Files.readString(task.toPath().resolve("stat"));
                final int open = stat.indexOf('(');
                final int close = stat.lastIndexOf(')');
                final String name = stat.substring(open + 1, close);
                final String group = nativeGroup(name);
                if (group == null) {
                    continue;
                }
                final String[] fields = stat.substring(close + 2).split(" ");
                // After the name: state is field 3 of stat; utime and stime are fields 14 and 15.
                ticks.merge(group, Long.parseLong(fields[11]) + Long.parseLong(fields[12]), Long::sum);
            } catch (final java.io.IOException | RuntimeException gone) {
                // The thread ended between listing and reading.
            }
        }
        return ticks;
    }

    static String nativeGroup(final String kernelName) {
        if (kernelName.startsWith("C1 Compiler") || kernelName.startsWith("C2 Compiler")) {
            return "JIT compilers";
        }
        if (kernelName.startsWith("G1 ") || kernelName.startsWith("GC ") || kernelName.startsWith("VM Thread")) {
            return "garbage collector";
        }
        if (kernelName.startsWith("rocksdb")) {
            return "RocksDB background";
        }
        return null;
    }

    /** CPU seconds used since {@code before}, by group, in a stable order; "other threads" is what no group names. */
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
        double named = 0;
        for (final Map.Entry<String, Long> group : nativeTicksByGroup.entrySet()) {
            final double used = (group.getValue() - before.nativeTicksByGroup.getOrDefault(group.getKey(), 0L))
                    / TICKS_PER_SECOND;
            seconds.put(group.getKey(), used);
            named += used;
        }
        seconds.put("other threads", Math.max(0, (processCpuNanos - before.processCpuNanos) / 1e9 - threads - named));
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
