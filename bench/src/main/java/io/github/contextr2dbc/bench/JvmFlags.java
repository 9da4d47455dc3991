package io.github.contextr2dbc.bench;

import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * The JVM flags of every measuring JVM that {@link BenchRound} starts (the interleaved database comparison, the
 * HTTP servers and the load generator), so that runs compare: a fixed, pre-touched heap, the parallel collector
 * (short pauses, no concurrent GC threads competing for the 2 cores), and Reactor Netty's event-loop count
 * fixed at its default on a machine with up to 4 cores (4), so that a machine with more cores runs the same
 * threads.
 */
final class JvmFlags {

    /** The flags, in order. */
    static final List<String> PINNED = List.of("-Xms1g", "-Xmx1g", "-XX:+UseParallelGC", "-XX:+AlwaysPreTouch",
            "-Dreactor.netty.ioWorkerCount=4");

    private JvmFlags() {
    }

    /** Whether this JVM runs with every pinned flag. */
    static boolean pinned() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().containsAll(PINNED);
    }
}
