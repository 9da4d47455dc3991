package io.github.contextr2dbc.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the CPU of a JFR recording went ({@code jdk.ExecutionSample}, e.g. of an {@link HttpComparison} server run
 * with {@code -Dbench.jfr=dir}): the samples split by the layer of their top frame (driver, pool, Reactor Netty /
 * Netty, Reactor, Spring, Jackson, context-r2dbc, the JDK, the kernel side of I/O), and the methods with the most
 * samples.
 *
 * <pre>{@code
 * java -cp bench/target/benchmarks.jar io.github.contextr2dbc.bench.JfrSummary recording.jfr [top methods, 25]
 *     [skip seconds, 0] [thread name prefix]
 * }</pre>
 * Skip the first seconds of the recording to leave the start-up (class loading, Spring's context, the JIT's first
 * compilations) out, and give a thread-name prefix ({@code reactor-http}, {@code reactor-tcp}) to look at the event
 * loops only.
 */
public final class JfrSummary {

    /** Layers by package prefix, first match wins. */
    private static final List<String[]> LAYERS = List.of(
            new String[] {"io.r2dbc.postgresql", "driver (r2dbc-postgresql)"},
            new String[] {"io.r2dbc.pool", "pool (r2dbc-pool, reactor-pool)"},
            new String[] {"reactor.pool", "pool (r2dbc-pool, reactor-pool)"},
            new String[] {"io.github.contextr2dbc.bench", "bench code"},
            new String[] {"io.github.contextr2dbc", "context-r2dbc"},
            new String[] {"reactor.netty", "Reactor Netty / Netty"},
            new String[] {"io.netty", "Reactor Netty / Netty"},
            new String[] {"reactor.core", "Reactor core"},
            new String[] {"org.springframework.transaction", "Spring transactions"},
            new String[] {"org.springframework.r2dbc", "Spring R2DBC / Data"},
            new String[] {"org.springframework.data", "Spring R2DBC / Data"},
            new String[] {"org.springframework.web", "Spring WebFlux"},
            new String[] {"org.springframework.http", "Spring WebFlux"},
            new String[] {"org.springframework", "Spring (other)"},
            new String[] {"tools.jackson", "Jackson"},
            new String[] {"com.fasterxml", "Jackson"},
            new String[] {"sun.nio", "JDK I/O"},
            new String[] {"java.", "JDK"},
            new String[] {"jdk.", "JDK"},
            new String[] {"sun.", "JDK"});

    private JfrSummary() {
    }

    public static void main(String[] args) throws IOException {
        int top = args.length > 1 ? Integer.parseInt(args[1]) : 25;
        double skipSeconds = args.length > 2 ? Double.parseDouble(args[2]) : 0;
        String threadPrefix = args.length > 3 ? args[3] : "";
        List<RecordedEvent> events = RecordingFile.readAllEvents(Path.of(args[0]));
        java.time.Instant first = events.stream().map(RecordedEvent::getStartTime).min(java.time.Instant::compareTo)
                .orElse(java.time.Instant.EPOCH);
        Map<String, Integer> layers = new LinkedHashMap<>();
        Map<String, Integer> methods = new HashMap<>();
        int samples = 0;
        for (RecordedEvent event : events) {
            if (!event.getEventType().getName().equals("jdk.ExecutionSample")) {
                continue;
            }
            if (java.time.Duration.between(first, event.getStartTime()).toMillis() < skipSeconds * 1000) {
                continue;
            }
            jdk.jfr.consumer.RecordedThread thread = event.getThread("sampledThread");
            if (!threadPrefix.isEmpty() && (thread == null || thread.getJavaName() == null
                    || !thread.getJavaName().startsWith(threadPrefix))) {
                continue;
            }
            RecordedStackTrace stack = event.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            samples++;
            RecordedFrame frame = stack.getFrames().get(0);
            String type = frame.getMethod().getType().getName();
            layers.merge(layer(type), 1, Integer::sum);
            methods.merge(type + "." + frame.getMethod().getName(), 1, Integer::sum);
        }
        System.out.printf(Locale.ROOT, "# %d execution samples in %s; by the layer of the top frame:%n", samples,
                args[0]);
        int total = Math.max(samples, 1);
        layers.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .forEach(e -> System.out.printf(Locale.ROOT, "%6.1f %%  %s%n", 100.0 * e.getValue() / total,
                        e.getKey()));
        System.out.printf("# top %d methods (self):%n", top);
        methods.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(top)
                .forEach(e -> System.out.printf(Locale.ROOT, "%6.1f %%  %s%n", 100.0 * e.getValue() / total,
                        e.getKey()));
    }

    private static String layer(String type) {
        for (String[] layer : LAYERS) {
            if (type.startsWith(layer[0])) {
                return layer[1];
            }
        }
        return "other (" + type.substring(0, Math.max(0, type.lastIndexOf('.'))) + ")";
    }
}
