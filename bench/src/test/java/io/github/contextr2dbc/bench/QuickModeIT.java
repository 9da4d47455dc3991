package io.github.contextr2dbc.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The quick mode of the benchmarks, run by {@code ./mvnw verify}: every variant returns the same rows and
 * takes the expected pool acquisitions, directly and over HTTP, and every benchmark runs (one short
 * iteration, no warm-up, in this JVM). Nothing here asserts on speed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QuickModeIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static final int[] IDS = {1, 2, 999, 1000, BenchSettings.ROWS};

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private BenchDatabase database;

    @BeforeAll
    void createDatabase() {
        this.database = BenchDatabase.create();
    }

    @AfterAll
    void dropDatabase() {
        this.database.pair().execute("DROP DATABASE IF EXISTS " + this.database.name());
    }

    @Test
    void everyVariantReadsTheSameRowsAndInsertsOneRowPerUnitOfWork() {
        List<Item> expected = new ArrayList<>();
        for (int id : IDS) {
            expected.add(Workload.expected(id));
        }
        for (Variant.Kind kind : Variant.Kind.values()) {
            try (Variant variant = Variant.create(kind, this.database)) {
                List<Item> read = new ArrayList<>();
                for (int id : IDS) {
                    read.add(variant.read(id).block(TIMEOUT));
                }
                assertThat(read).as("%s reads", kind).isEqualTo(expected);
                assertThat(variant.acquisitions()).as("%s acquisitions for %d reads", kind, IDS.length)
                        .isEqualTo(IDS.length);

                long rowsBefore = this.database.queryLong("SELECT count(*) FROM bench_insert");
                long maxBefore = this.database.queryLong("SELECT coalesce(max(id), 0) FROM bench_insert");
                Long first = variant.insert(Workload.INSERTED_NAME, 7).block(TIMEOUT);
                Long second = variant.insert(Workload.INSERTED_NAME, 8).block(TIMEOUT);
                assertThat(first).as("%s generated id", kind).isGreaterThan(maxBefore);
                assertThat(second).as("%s generated id", kind).isGreaterThan(first);
                assertThat(this.database.queryLong("SELECT count(*) FROM bench_insert WHERE id IN (" + first + ", "
                        + second + ") AND name = '" + Workload.INSERTED_NAME + "'")).isEqualTo(2);
                assertThat(this.database.queryLong("SELECT count(*) FROM bench_insert")).isEqualTo(rowsBefore + 2);
                assertThat(variant.acquisitions()).isEqualTo(IDS.length + 2);
                if (Variant.lists(kind)) { // the filtered list (issue 17, item 5): every row, in one unit of work
                    for (int from : new int[] {1, BenchSettings.ROWS - Workload.LIST_ROWS + 1}) {
                        assertThat(variant.list(from).block(TIMEOUT)).as("%s filtered list from %d", kind, from)
                                .isEqualTo(Workload.expectedListSum(from));
                    }
                    assertThat(variant.acquisitions()).as("%s acquisitions", kind).isEqualTo(IDS.length + 4);
                }
            }
        }
    }

    @Test
    void anEmptyUnitOfWorkTakesNoConnectionWithContextR2dbcAndOneWithTheOthers() {
        for (Variant.Kind kind : List.of(Variant.Kind.RAW, Variant.Kind.RAW_PIPELINED, Variant.Kind.CONTEXT,
                Variant.Kind.CONTEXT_ATOMIC, Variant.Kind.SPRING_CLIENT, Variant.Kind.CONTEXT_QUERYSET)) {
            try (Variant variant = Variant.create(kind, this.database)) {
                assertThat(Load.run(100, 10, variant::empty)).isNotNull();
                assertThat(variant.acquisitions()).as("%s acquisitions for 100 empty units of work", kind)
                        .isEqualTo(kind.lazy() ? 0 : 100);
            }
        }
    }

    @Test
    void everyHttpVariantServesTheSameItemsAndOnlyContextR2dbcPingsWithoutAConnection() {
        List<Item> expected = new ArrayList<>();
        for (int id : IDS) {
            expected.add(Workload.expected(id));
        }
        for (Variant.Kind kind : List.of(Variant.Kind.RAW, Variant.Kind.CONTEXT, Variant.Kind.SPRING_CLIENT)) {
            try (Variant variant = Variant.create(kind, this.database);
                    WebServer server = WebServer.start(kind, variant);
                    BenchHttpClient client = new BenchHttpClient(server.port(), 10)) {
                List<Item> read = new ArrayList<>();
                for (int id : IDS) {
                    read.add(JSON.readValue(client.get(WebRoutes.item(id)).block(TIMEOUT), Item.class));
                }
                assertThat(read).as("%s GET %s/{id}", kind, WebRoutes.ITEMS).isEqualTo(expected);
                assertThat(variant.acquisitions()).as("%s acquisitions for %d GETs", kind, IDS.length)
                        .isEqualTo(IDS.length);

                long maxBefore = this.database.queryLong("SELECT coalesce(max(id), 0) FROM bench_insert");
                String created = client.postJson(WebRoutes.ITEMS, new NewItem(Workload.INSERTED_NAME, 9).json())
                        .block(TIMEOUT);
                long id = JSON.readValue(created, Long.class);
                assertThat(id).as("%s POST %s: the generated id", kind, WebRoutes.ITEMS).isGreaterThan(maxBefore);
                assertThat(this.database.queryLong("SELECT count(*) FROM bench_insert WHERE id = " + id
                        + " AND name = '" + Workload.INSERTED_NAME + "' AND price = 9")).isEqualTo(1);
                assertThat(variant.acquisitions()).isEqualTo(IDS.length + 1);

                assertThat(Load.run(100, 10, i -> client.get(WebRoutes.PING))).isEqualTo("pong");
                assertThat(variant.acquisitions() - IDS.length - 1).as("%s acquisitions for 100 GETs of %s", kind,
                        WebRoutes.PING).isEqualTo(kind == Variant.Kind.CONTEXT ? 0 : 100);
            }
        }
    }

    @Test
    void theInterleavedComparisonRunsEveryWorkloadAndConcurrencyAndCountsRoundTrips() {
        System.setProperty(BenchSettings.QUICK_PROPERTY, "true");
        List<String> lines = new ArrayList<>();
        List<String> rows = new ArrayList<>();
        try (TsvOut tsv = TsvOut.to(rows)) {
            assertThat(InterleavedComparison.run(1, 10, lines::add, tsv)).hasSize(8)
                    .allSatisfy(ratio -> assertThat(ratio).isPositive());
        } finally {
            System.clearProperty(BenchSettings.QUICK_PROPERTY);
        }
        lines.forEach(System.out::println);
        int variants = Variant.Kind.values().length;
        // 2 header lines, the wire table (2 header lines, one row per variant and workload), then the slices'
        // table (a header, every variant for point read and insert, all but spring-data for the empty unit of
        // work, at 2 concurrencies)
        int savepointVariants = (int) java.util.Arrays.stream(Variant.Kind.values()).filter(Variant::savepoints)
                .count();
        // the filtered list (issue 17, item 5): raw-pipelined, context and context-queryset
        int listVariants = (int) java.util.Arrays.stream(Variant.Kind.values()).filter(Variant::lists).count();
        int slices = 3 * variants - 1 + listVariants;
        assertThat(lines).hasSize(2 + 2 + slices + savepointVariants + 1 + 2 * slices);
        assertThat(lines.get(1)).contains("seed");
        assertThat(rows).filteredOn(row -> row.startsWith("rate\t")).hasSize(2 * slices);
        // every slice charged with its CPU: this JVM's always, the servers' (tick resolution) over the whole run
        List<String[]> cpu = rows.stream().filter(row -> row.startsWith("cpu\t")).map(row -> row.split("\t"))
                .toList();
        assertThat(cpu).hasSize(2 * slices).allSatisfy(row -> assertThat(Long.parseLong(row[6])).isPositive());
        assertThat(cpu.stream().mapToLong(row -> Long.parseLong(row[7])).sum()).as("server CPU").isPositive();
        assertThat(lines).anySatisfy(line -> assertThat(line).contains("context (lazy)"))
                .anySatisfy(line -> assertThat(line).contains("raw-pipelined (eager)"));
        // on the wire: BEGIN waits for its answer with raw code, goes with the statement when pipelined and with
        // context-r2dbc; a lazy empty unit of work sends nothing
        assertThat(wire(rows, "point read", Variant.Kind.RAW)).isEqualTo(3.0);
        // (a pipelined BEGIN counts as a round trip of its own whenever its answer comes back before the
        // statement's bytes have left, which a loaded machine does often: fewer than raw's 3, not exactly 2)
        assertThat(wire(rows, "point read", Variant.Kind.RAW_PIPELINED)).isLessThan(3.0);
        assertThat(wire(rows, "point read", Variant.Kind.CONTEXT)).isLessThan(3.0);
        assertThat(wire(rows, "point read", Variant.Kind.SPRING_CLIENT)).isEqualTo(3.0);
        assertThat(wire(rows, "empty unit of work", Variant.Kind.CONTEXT)).isZero();
        assertThat(wire(rows, "empty unit of work", Variant.Kind.RAW)).isEqualTo(2.0);
        // the savepoint workload really sets a savepoint: BEGIN, SAVEPOINT, RELEASE, COMMIT and two statements
        for (Variant.Kind kind : Variant.Kind.values()) {
            if (Variant.savepoints(kind)) {
                String[] row = rows.stream().map(line -> line.split("\\t"))
                        .filter(r -> r[0].equals("wire") && r[1].equals(InterleavedComparison.SAVEPOINT_LABEL)
                                && r[2].equals(kind.label()))
                        .findFirst().orElseThrow();
                assertThat(Double.parseDouble(row[4])).as("%s simple queries per savepoint block", kind).isEqualTo(4.0);
                assertThat(Double.parseDouble(row[5])).as("%s statements per savepoint block", kind).isEqualTo(2.0);
            }
        }
    }

    @Test
    void theHttpComparisonRunsEveryBootServerInAJvmOfItsOwn() throws Exception {
        System.setProperty(BenchSettings.QUICK_PROPERTY, "true");
        List<String> lines = new ArrayList<>();
        List<String> rows = new ArrayList<>();
        try (TsvOut tsv = TsvOut.to(rows)) {
            HttpComparison.run(1, 20, lines::add, tsv);
        } finally {
            System.clearProperty(BenchSettings.QUICK_PROPERTY);
        }
        lines.forEach(System.out::println);
        // every server, and some with the driver on the other event loops (context+own-loops,
        // raw-pipelined+shared-loops)
        assertThat(HttpComparison.DEFAULT_VARIANTS).map(HttpComparison::serverVariant)
                .containsAll(BenchServer.VARIANTS);
        int servers = HttpComparison.DEFAULT_VARIANTS.size();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> HttpComparison.serverVariant("context+shared-loops"))
                .hasMessageContaining("is for the r2dbc-pool variants");
        assertThat(rows).filteredOn(row -> row.startsWith("http\t")).hasSize(3 * 2 * servers);
        assertThat(rows).filteredOn(row -> row.startsWith("latency\t")).hasSize(servers);
        for (String[] row : rows.stream().map(line -> line.split("\t")).filter(r -> r[0].equals("http-acquisitions"))
                .toList()) {
            boolean ping = row[1].equals(HttpComparison.Route.PING.label);
            boolean transactional = row[3].startsWith("tx-");
            assertThat(Double.parseDouble(row[4])).as("acquisitions per request of %s %s", row[3], row[1])
                    .isEqualTo(ping && !transactional ? 0.0 : 1.0);
        }
        java.nio.file.Path out = java.nio.file.Path.of("target/quick-http");
        java.nio.file.Files.createDirectories(out.resolve("raw"));
        java.nio.file.Files.write(out.resolve("raw/http-1.tsv"), rows);
        String report = java.nio.file.Files.readString(Report.write(out));
        assertThat(report).contains("## HTTP").contains("| GET /items/{id} | 64 | tx-data |").contains("## Latency");
        assertThat(out.resolve("http-ratios.svg")).content().contains("context / tx-client");
    }

    @Test
    void theScalingCurveRunsEveryVariantThatCanExpressTheWorkload() throws Exception {
        System.setProperty(BenchSettings.QUICK_PROPERTY, "true");
        List<String> lines = new ArrayList<>();
        List<String> rows = new ArrayList<>();
        try (TsvOut tsv = TsvOut.to(rows)) {
            ScalingCurve.run(0.05, lines::add, tsv);
        } finally {
            System.clearProperty(BenchSettings.QUICK_PROPERTY);
        }
        lines.forEach(System.out::println);
        int variants = Variant.Kind.values().length;
        int savepointVariants = (int) java.util.Arrays.stream(Variant.Kind.values()).filter(Variant::savepoints)
                .count();
        assertThat(rows).filteredOn(row -> row.startsWith("scaling\t")).hasSize(3 * (variants + savepointVariants));
        assertThat(rows).filteredOn(row -> row.startsWith("heap\t")).hasSize(variants + savepointVariants);
        assertThat(rows).filteredOn(row -> row.startsWith("latency\t")).hasSize(variants)
                .allSatisfy(row -> assertThat(row).endsWith("\t0\tfalse"));
        assertThat(lines).noneMatch(line -> line.contains("WARNING"));
        java.nio.file.Path out = java.nio.file.Path.of("target/quick-scaling");
        java.nio.file.Files.createDirectories(out.resolve("raw"));
        java.nio.file.Files.write(out.resolve("raw/scaling.tsv"), rows);
        String report = java.nio.file.Files.readString(Report.write(out));
        assertThat(report).contains("## How cost grows").contains(
                "| read + update in a savepoint | context-atomic | 256 |");
        assertThat(out.resolve("scaling.svg")).content().contains("polyline");
    }

    /** Round trips per unit of work of {@code kind} on {@code workload}, from the wire rows. */
    private static double wire(List<String> rows, String workload, Variant.Kind kind) {
        return rows.stream().map(row -> row.split("\t"))
                .filter(row -> row[0].equals("wire") && row[1].equals(workload) && row[2].equals(kind.label()))
                .mapToDouble(row -> Double.parseDouble(row[3])).findFirst().orElseThrow();
    }

    @Test
    void theRoundRunsItsStepsInJvmsOfTheirOwnAndWritesTheReport() throws Exception {
        System.setProperty(BenchSettings.QUICK_PROPERTY, "true");
        java.nio.file.Path report;
        try {
            report = BenchRound.run("--steps", "db", "--out", "target/quick-round");
        } finally {
            System.clearProperty(BenchSettings.QUICK_PROPERTY);
        }
        String text = java.nio.file.Files.readString(report);
        assertThat(text).contains("Quick mode").contains("| point read | 64 | raw-pipelined |")
                .contains("db-ratios.svg").contains("-XX:+UseParallelGC");
        assertThat(report.resolveSibling("db-ratios.svg")).content().startsWith("<svg").contains(
                "context / raw-pipelined");
    }

    @Test
    void everyBenchmarkRunsOnce() throws Exception {
        System.setProperty(BenchSettings.QUICK_PROPERTY, "true");
        Collection<RunResult> results;
        try {
            results = new Runner(new CommandLineOptions(BenchSettings.QUICK_ARGS)).run();
        } finally {
            System.clearProperty(BenchSettings.QUICK_PROPERTY);
        }
        // TransactionBenchmark: 2 workloads x 7 variants x 2 concurrencies; EmptyUnitOfWorkBenchmark: 5 x 2;
        // ContextMachineryBenchmark: 11 benchmarks + the routed and unrouted replica reads + the QuerySet and
        // hand-written point reads; WebFilterBenchmark: 3 routes x 3 variants x 2 concurrencies;
        // RollbackPerTestBenchmark: 2 cleanups x 2 table counts; WebFilterStubBenchmark: 4 request shapes x 3
        // filters
        assertThat(results).hasSize(28 + 10 + 15 + 18 + 4 + 12);
        for (RunResult result : results) {
            assertThat(result.getPrimaryResult().getScore())
                    .as(result.getParams().getBenchmark() + " " + result.getParams().getParam("variant"))
                    .isPositive();
        }
    }
}
