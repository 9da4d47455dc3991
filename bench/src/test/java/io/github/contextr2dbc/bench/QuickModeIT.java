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
            }
        }
    }

    @Test
    void anEmptyUnitOfWorkTakesNoConnectionWithContextR2dbcAndOneWithTheOthers() {
        for (Variant.Kind kind : List.of(Variant.Kind.RAW, Variant.Kind.CONTEXT, Variant.Kind.CONTEXT_ATOMIC,
                Variant.Kind.SPRING_CLIENT)) {
            try (Variant variant = Variant.create(kind, this.database)) {
                assertThat(Load.run(100, 10, variant::empty)).isNotNull();
                assertThat(variant.acquisitions()).as("%s acquisitions for 100 empty units of work", kind)
                        .isEqualTo(kind == Variant.Kind.CONTEXT || kind == Variant.Kind.CONTEXT_ATOMIC ? 0 : 100);
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
    void theInterleavedComparisonRunsEveryWorkloadAndConcurrency() {
        System.setProperty(BenchSettings.QUICK_PROPERTY, "true");
        List<String> lines = new ArrayList<>();
        try {
            assertThat(InterleavedComparison.run(1, 10, lines::add)).hasSize(6)
                    .allSatisfy(ratio -> assertThat(ratio).isPositive());
        } finally {
            System.clearProperty(BenchSettings.QUICK_PROPERTY);
        }
        // a header, then 5 variants for point read and insert, 4 for the empty unit of work, at 2 concurrencies
        assertThat(lines).hasSize(2 + 2 * (5 + 5 + 4));
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
        // TransactionBenchmark: 2 workloads x 5 variants x 2 concurrencies; EmptyUnitOfWorkBenchmark: 4 x 2;
        // ContextMachineryBenchmark: 10 benchmarks; WebFilterBenchmark: 3 routes x 3 variants x 2 concurrencies
        assertThat(results).hasSize(20 + 8 + 10 + 18);
        for (RunResult result : results) {
            assertThat(result.getPrimaryResult().getScore())
                    .as(result.getParams().getBenchmark() + " " + result.getParams().getParam("variant"))
                    .isPositive();
        }
    }
}
