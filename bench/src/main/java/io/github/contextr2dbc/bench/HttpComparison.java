package io.github.contextr2dbc.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntFunction;

import reactor.core.publisher.Mono;

/**
 * The HTTP comparison: one Spring Boot server per variant ({@link BenchServer}), each a JVM of its own, and this
 * JVM as the load generator (Reactor Netty's HTTP client, keep-alive connections, as many as requests in flight),
 * so that client and server do not share a JVM. For {@code GET /items/{id}}, {@code POST /items} and
 * {@code GET /ping} at 1 and 64 concurrent clients, the variants run in alternating slices, in an order shuffled
 * every round (seed printed, {@code -Dbench.seed} replays it), with paired ratios context / variant per round,
 * as in {@link InterleavedComparison}; pool acquisitions per request are read from the servers.
 *
 * <p>Then the latency of the point read at a fixed rate ({@link OpenLoad}: open model, corrected for coordinated
 * omission): p50, p99, p99.9 per variant, one variant after another at the same rate (by default half the
 * slowest variant's median throughput at 64 clients in this run; {@code -Dbench.latency.rate=N} fixes it).
 *
 * <pre>{@code
 * java [JvmFlags] -cp bench/target/benchmarks.jar io.github.contextr2dbc.bench.HttpComparison [rounds] [slice ms]
 * }</pre>
 * Options: {@code -Dbench.out=file.tsv} (rows for {@link BenchRound}), {@code -Dbench.http.variants=a,b}
 * (default {@link #DEFAULT_VARIANTS}: names of {@link BenchServer#VARIANTS}, each optionally with a suffix saying
 * which event loops its driver runs on, side by side with the others: {@code +shared-loops} for an r2dbc-pool
 * variant, e.g. {@code raw-pipelined+shared-loops}, puts it on the server's loops; {@code +own-loops} for a
 * context-r2dbc one, e.g. {@code context+own-loops}, on the driver's own, where without the suffix it follows the
 * library's default, the server's), {@code -Dbench.jfr=dir} (a JFR recording per server, written when
 * it stops), {@code -Dbench.shared-loops=true} (passed to the servers: every r2dbc-pool variant on the server's
 * loops).
 */
public final class HttpComparison {

    /** Requests per batch; a slice runs whole batches. */
    private static int batch() {
        return BenchSettings.quick() ? 16 : 256;
    }

    private HttpComparison() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int sliceMillis = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        try (TsvOut tsv = TsvOut.fromProperty()) {
            run(rounds, sliceMillis, System.out::println, tsv);
        }
        System.exit(0);
    }

    /** The routes, as the client requests them. */
    enum Route {
        POINT_READ("GET /items/{id}", client -> i -> client.get(WebRoutes.item(Workload.randomId()))),
        INSERT("POST /items", client -> i -> client.postJson(WebRoutes.ITEMS,
                new NewItem(Workload.INSERTED_NAME, i).json())),
        PING("GET /ping", client -> i -> client.get(WebRoutes.PING));

        final String label;

        final Function<BenchHttpClient, IntFunction<Mono<?>>> request;

        Route(String label, Function<BenchHttpClient, IntFunction<Mono<?>>> request) {
            this.label = label;
            this.request = request;
        }
    }

    /**
     * The suffix of an r2dbc-pool variant whose driver runs on the server's event loops
     * ({@code -Dbench.shared-loops}).
     */
    static final String SHARED_LOOPS = "+shared-loops";

    /**
     * The suffix of a context-r2dbc variant whose driver runs on its own event loops ({@code -Dbench.own-loops}:
     * {@code context-r2dbc.event-loops=driver}), where the library's default is the server's.
     */
    static final String OWN_LOOPS = "+own-loops";

    /**
     * The servers compared by default (and in the quick mode): context-r2dbc as a Boot application gets it (the
     * driver on the server's loops) and with the driver's own loops; the pipelined raw reference with the driver's
     * own loops (what hand-made r2dbc-pool code gets) and with the server's; Spring Data through the WebFilter;
     * the two {@code @Transactional} variants as Boot builds them.
     */
    static final List<String> DEFAULT_VARIANTS = List.of("context", "context" + OWN_LOOPS, "raw-pipelined",
            "raw-pipelined" + SHARED_LOOPS, "context-data", "tx-client", "tx-data");

    /** The variant of {@link BenchServer#VARIANTS} a name with a loops suffix runs. */
    static String serverVariant(String variant) {
        String base = variant.replace(SHARED_LOOPS, "").replace(OWN_LOOPS, "");
        if (!BenchServer.VARIANTS.contains(base)) {
            throw new IllegalArgumentException("Unknown HTTP variant " + variant + ": the variants are "
                    + BenchServer.VARIANTS + ", each optionally with " + SHARED_LOOPS + " (r2dbc-pool ones) or "
                    + OWN_LOOPS + " (context-r2dbc ones)");
        }
        boolean context = base.startsWith("context");
        if (variant.endsWith(SHARED_LOOPS) && context || variant.endsWith(OWN_LOOPS) && !context) {
            throw new IllegalArgumentException(variant + ": " + SHARED_LOOPS + " is for the r2dbc-pool variants (a "
                    + "context-r2dbc one is on the server's loops by default), " + OWN_LOOPS + " for the context-r2dbc "
                    + "ones (an r2dbc-pool one is on its own loops by default)");
        }
        return base;
    }

    /** A server JVM of one variant and the client of it. */
    static final class Server implements AutoCloseable {

        final String variant;

        final Process process;

        final BenchHttpClient client;

        Server(String variant, String url, Path jfr) {
            this.variant = variant;
            int port = freePort();
            // "raw-pipelined+shared-loops": the variant with its driver on the server's event loops;
            // "context+own-loops": on the driver's own
            boolean sharedLoops = variant.endsWith(SHARED_LOOPS) || Boolean.getBoolean(BenchServer.SHARED_LOOPS);
            List<String> properties = new ArrayList<>(List.of(
                    "-D" + BenchServer.VARIANT + "=" + serverVariant(variant),
                    "-D" + BenchServer.URL + "=" + url, "-Dserver.port=" + port,
                    "-D" + BenchServer.SHARED_LOOPS + "=" + sharedLoops,
                    "-D" + BenchServer.OWN_LOOPS + "=" + variant.endsWith(OWN_LOOPS)));
            if (jfr != null) {
                properties.add("-XX:StartFlightRecording=filename=" + jfr.resolve(variant + ".jfr").toAbsolutePath()
                        + ",settings=profile,dumponexit=true");
            }
            this.process = ChildJvm.start(properties, BenchServer.class, List.of());
            this.client = new BenchHttpClient(port, 64);
        }

        /**
         * Waits until {@code /ping} answers (at most 10 minutes: five Boot applications starting at once on a busy
         * 2-core machine took over 3).
         */
        void awaitReady() {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (true) {
                if (!this.process.isAlive()) {
                    throw new IllegalStateException("The " + this.variant + " server exited: "
                            + this.process.exitValue());
                }
                try {
                    this.client.get(WebRoutes.PING).block(java.time.Duration.ofSeconds(5));
                    return;
                } catch (RuntimeException notYet) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("The " + this.variant + " server did not start", notYet);
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
                }
            }
        }

        long acquisitions() {
            String count = this.client.get("/bench/acquisitions").block(java.time.Duration.ofSeconds(30));
            return Long.parseLong(count.trim());
        }

        @Override
        public void close() {
            this.client.close();
            this.process.destroy();
            try {
                if (!this.process.waitFor(60, TimeUnit.SECONDS)) {
                    this.process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                this.process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Runs the comparison and the latency runs and reports through {@code out} (and {@code tsv}).
     *
     * @return the median paired ratio context / raw-pipelined of each route and concurrency, in report order
     */
    static List<Double> run(int rounds, int sliceMillis, Consumer<String> out, TsvOut tsv) {
        long seed = Long.getLong("bench.seed", System.nanoTime());
        Random random = new Random(seed);
        List<String> variants = List.of(System.getProperty("bench.http.variants",
                String.join(",", DEFAULT_VARIANTS)).split(","));
        variants.forEach(HttpComparison::serverVariant); // a wrong name fails before any server starts
        String jfrDir = System.getProperty("bench.jfr", "");
        if (!jfrDir.isEmpty()) {
            try {
                Files.createDirectories(Path.of(jfrDir)); // the servers' JVMs cannot start JFR into a missing folder
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot create the JFR folder " + jfrDir, e);
            }
        }
        BenchDatabase database = BenchDatabase.create();
        out.accept(String.format(Locale.ROOT, "# HTTP: %d rounds, %d ms per variant per round, batches of %d requests, "
                + "acquire timeout %s, every r2dbc-pool variant on shared loops %s, slice order seed %d "
                + "(-Dbench.seed=%d replays it); client flags %s",
                rounds, sliceMillis, batch(),
                BenchSettings.AcquireTimeoutMode.current().name().toLowerCase(Locale.ROOT),
                Boolean.getBoolean(BenchServer.SHARED_LOOPS), seed, seed,
                java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()));
        tsv.row("seed", seed);
        Map<String, Server> servers = new LinkedHashMap<>();
        List<Double> contextToReference = new ArrayList<>();
        try {
            for (String variant : variants) {
                servers.put(variant, new Server(variant, database.url(), jfrDir.isEmpty() ? null : Path.of(jfrDir)));
            }
            for (Server server : servers.values()) {
                server.awaitReady();
                warmUp(server);
            }
            out.accept(String.format(Locale.ROOT, "%-16s %4s %-26s %12s %18s %10s %18s %9s", "route", "conc", "variant",
                    "median req/s", "min..max req/s", "ctx/this", "min..max ctx/this", "acq/req"));
            Map<String, Double> slowest64 = new LinkedHashMap<>();
            for (Route route : Route.values()) {
                for (int concurrency : new int[] {1, 64}) {
                    double[] medians = compare(route, concurrency, servers, rounds, sliceMillis, random, out, tsv);
                    contextToReference.add(medians[0]);
                    if (route == Route.POINT_READ && concurrency == 64) {
                        slowest64.put("rate", medians[1]);
                    }
                }
            }
            latency(servers, slowest64.getOrDefault("rate", 1000.0), out, tsv);
        } finally {
            servers.values().forEach(Server::close);
        }
        return contextToReference;
    }

    /** Checks that the server answers as expected (the same item for the same id, a generated id), then warms up. */
    private static void warmUp(Server server) {
        String item = server.client.get(WebRoutes.item(1)).block(java.time.Duration.ofSeconds(60));
        Item expected = Workload.expected(1);
        if (item == null || !item.equals("{\"id\":1,\"name\":\"" + expected.name() + "\",\"price\":"
                + expected.price() + "}")) {
            throw new IllegalStateException("The " + server.variant + " server answered GET /items/1 with " + item);
        }
        String id = server.client.postJson(WebRoutes.ITEMS, new NewItem(Workload.INSERTED_NAME, 1).json())
                .block(java.time.Duration.ofSeconds(60));
        if (id == null || !id.trim().matches("\\d+")) {
            throw new IllegalStateException("The " + server.variant + " server answered POST /items with " + id);
        }
        int units = BenchSettings.quick() ? 32 : 4096;
        for (Route route : Route.values()) {
            // in batches: each Load.run has a 2-minute limit, and a loaded machine may serve only ~30 requests/s
            for (int done = 0; done < units; done += 256) {
                Load.run(Math.min(256, units - done), 64, route.request.apply(server.client));
            }
        }
    }

    /** @return the median ratio context / raw-pipelined (NaN without both) and the slowest variant's median rate */
    private static double[] compare(Route route, int concurrency, Map<String, Server> servers, int rounds,
            int sliceMillis, Random random, Consumer<String> out, TsvOut tsv) {
        List<Server> list = new ArrayList<>(servers.values());
        int n = list.size();
        double[][] rates = new double[n][rounds];
        long[] acquisitions = new long[n];
        long[] requests = new long[n];
        for (Server server : list) {
            slice(server, route, concurrency, sliceMillis); // warm-up, not counted
        }
        List<Integer> order = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            order.add(k);
        }
        for (int round = 0; round < rounds; round++) {
            Collections.shuffle(order, random);
            for (int k : order) {
                Server server = list.get(k);
                long before = server.acquisitions();
                long[] result = slice(server, route, concurrency, sliceMillis);
                acquisitions[k] += server.acquisitions() - before;
                requests[k] += result[0];
                rates[k][round] = result[0] * 1e9 / result[1];
                tsv.row("http", route.label, concurrency, server.variant, round, rates[k][round]);
            }
        }
        int context = indexOf(list, "context");
        double reference = Double.NaN;
        double slowest = Double.MAX_VALUE;
        for (int k = 0; k < n; k++) {
            double[] sorted = rates[k].clone();
            Arrays.sort(sorted);
            slowest = Math.min(slowest, InterleavedComparison.median(sorted));
            double[] ratios = new double[rounds];
            for (int round = 0; round < rounds; round++) {
                ratios[round] = context < 0 ? Double.NaN : rates[context][round] / rates[k][round];
            }
            Arrays.sort(ratios);
            if (list.get(k).variant.equals("raw-pipelined")) {
                reference = InterleavedComparison.median(ratios);
            }
            double perRequest = (double) acquisitions[k] / requests[k];
            tsv.row("http-acquisitions", route.label, concurrency, list.get(k).variant, perRequest);
            boolean self = k == context || context < 0;
            out.accept(String.format(Locale.ROOT, "%-16s %4d %-26s %12.0f %18s %10s %18s %9.3f", route.label,
                    concurrency, list.get(k).variant, InterleavedComparison.median(sorted),
                    String.format(Locale.ROOT, "%.0f..%.0f", sorted[0], sorted[rounds - 1]),
                    self ? "" : String.format(Locale.ROOT, "%.2f", InterleavedComparison.median(ratios)),
                    self ? "" : String.format(Locale.ROOT, "%.2f..%.2f", ratios[0], ratios[rounds - 1]), perRequest));
        }
        return new double[] {reference, slowest};
    }

    private static int indexOf(List<Server> servers, String variant) {
        for (int k = 0; k < servers.size(); k++) {
            if (servers.get(k).variant.equals(variant)) {
                return k;
            }
        }
        return -1;
    }

    private static long[] slice(Server server, Route route, int concurrency, int sliceMillis) {
        IntFunction<Mono<?>> request = route.request.apply(server.client);
        long start = System.nanoTime();
        long end = start + sliceMillis * 1_000_000L;
        long count = 0;
        long now;
        do {
            Load.run(batch(), concurrency, request);
            count += batch();
            now = System.nanoTime();
        } while (now < end);
        return new long[] {count, now - start};
    }

    /** The point read at a fixed rate, one variant after another: p50 / p99 / p99.9. */
    private static void latency(Map<String, Server> servers, double slowestRate, Consumer<String> out, TsvOut tsv) {
        double rate = Double.parseDouble(System.getProperty("bench.latency.rate",
                Double.toString(BenchSettings.quick() ? 50 : Math.floor(slowestRate / 2))));
        double seconds = BenchSettings.quick() ? 0.5 : 20;
        out.accept(String.format(Locale.ROOT, "# latency, GET /items/{id} at a fixed %.0f requests/s for %.1f s per "
                + "variant (open model, from the intended start: corrected for coordinated omission)", rate, seconds));
        for (Server server : servers.values()) {
            IntFunction<Mono<?>> request = Route.POINT_READ.request.apply(server.client);
            OpenLoad.run(rate, OpenLoad.seconds(Math.min(seconds, 2)), () -> request.apply(0)); // warm-up
            OpenLoad.Outcome outcome = OpenLoad.run(rate, OpenLoad.seconds(seconds), () -> request.apply(0));
            out.accept(String.format(Locale.ROOT, "%-26s %s", server.variant, OpenLoad.describe(outcome)));
            tsv.row("latency", "HTTP GET /items/{id}", server.variant, rate, outcome.micros(50), outcome.micros(99),
                    outcome.micros(99.9), outcome.histogram().getMaxValue() / 1000.0, outcome.errors(),
                    outcome.saturated());
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
