package io.github.contextr2dbc.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.github.contextr2dbc.launcher.DirectSql;
import io.github.contextr2dbc.launcher.PostgresPair;

/**
 * CPU time spent so far by this JVM (the client) and by the pair's PostgreSQL servers (both postmasters and
 * every process they started: backends, WAL sender and receiver, the replica's replay), so that a slice can
 * be charged with the CPU its units of work cost on each side: on a machine where client and servers share
 * two cores, throughput hides which side a difference comes from. Linux only ({@code /proc}), servers on this
 * machine only (the launcher's local pair); elsewhere the server side reads 0. Server times have the kernel's
 * tick resolution (10 ms): meaningful summed over a slice of thousands of units of work, not for one.
 */
final class CpuClock {

    /** Nanoseconds per clock tick of {@code /proc/<pid>/stat} (USER_HZ is 100 on Linux). */
    private static final long NANOS_PER_TICK = 10_000_000L;

    private final Set<Long> postmasters;

    private CpuClock(Set<Long> postmasters) {
        this.postmasters = postmasters;
    }

    /** The clock of {@code pair}'s two servers (their postmasters found through their checkpointers). */
    static CpuClock of(PostgresPair pair) {
        String checkpointer = "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'";
        long primary = parent(new DirectSql(pair.primaryUrl()).queryLong(checkpointer));
        long replica = parent(new DirectSql(pair.replicaUrl()).queryLong(checkpointer));
        // a server not found in this machine's /proc (in a container, say) reads as -1: its CPU is not counted
        Set<Long> postmasters = new HashSet<>(List.of(primary, replica));
        postmasters.remove(-1L);
        return new CpuClock(postmasters);
    }

    /** This JVM's CPU time so far, in nanoseconds. */
    static long client() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** The servers' CPU time so far (processes alive now), in nanoseconds; 0 where there is no {@code /proc}. */
    long servers() {
        long ticks = 0;
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path process : processes) {
                String[] stat = stat(process);
                if (stat == null) {
                    continue;
                }
                long pid = Long.parseLong(process.getFileName().toString());
                if (this.postmasters.contains(pid) || this.postmasters.contains(Long.parseLong(stat[1]))) {
                    ticks += Long.parseLong(stat[11]) + Long.parseLong(stat[12]);
                }
            }
        } catch (IOException notLinux) {
            return 0;
        }
        return ticks * NANOS_PER_TICK;
    }

    private static long parent(long pid) {
        String[] stat = stat(Path.of("/proc", Long.toString(pid)));
        return stat == null ? -1 : Long.parseLong(stat[1]);
    }

    /**
     * The fields of {@code /proc/<pid>/stat} after the command name: [0] state, [1] ppid, ... [11] utime,
     * [12] stime; null if the process is gone or unreadable.
     */
    private static String[] stat(Path process) {
        try {
            String line = Files.readString(process.resolve("stat"));
            return line.substring(line.lastIndexOf(')') + 2).split(" ");
        } catch (IOException | RuntimeException gone) {
            return null;
        }
    }
}
