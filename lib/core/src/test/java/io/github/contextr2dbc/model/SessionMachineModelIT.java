package io.github.contextr2dbc.model;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.launcher.PostgresPair;
import io.github.contextr2dbc.model.Op.Category;
import io.github.contextr2dbc.model.ProgramGenerator.Feature;
import io.github.contextr2dbc.model.ProgramGenerator.Program;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Hooks;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The randomized model test of the session machine: random programs (statements that succeed or fail,
 * nested atomic blocks with and without savepoints, {@code durable}, the {@code existing} policies,
 * {@code setRollbackOnly}, commit hooks and vetoes, early session commit/rollback/close, {@code Mono.zip}
 * and {@code flatMap} over one session, timeouts landing at random points, nested units of work) run
 * against the real primary over one or two databases, and compared with what {@link DjangoModel} predicts:
 * the committed rows, the hooks that ran, the errors caught and how the program ended. After every
 * program no connection may be in use, the pools must have none acquired, and no backend may be idle in
 * a transaction.
 *
 * <p><b>Cancels.</b> Timeouts and cancels are generated only where the outcome is determined wherever they
 * land, so that the model predicts one outcome: a timed-out block's body never completes and its timeout
 * counts from its entry, so it always rolls back; a cancelled {@code SELECT pg_sleep} changes nothing
 * whatever it was doing (acquiring, BEGIN, pending SAVEPOINTs, running); blocks cancelled around their entry
 * are nested with a savepoint (entered-and-rolled-back and never-entered look the same); a block cancelled
 * during its COMMIT must commit and run its hooks. A unit of work as a whole is never cancelled (its early
 * commits would make the outcome depend on timing).
 *
 * <p><b>Not generated</b>: statements racing a block on the same session, on-commit hooks that use the
 * database.
 *
 * <p>System properties:
 * <ul>
 *   <li>{@code contextr2dbc.model.programs} (default 300): how many programs;</li>
 *   <li>{@code contextr2dbc.model.seed}: the base seed (default: random, printed);</li>
 *   <li>{@code contextr2dbc.model.replay}: run the programs of these (printed, comma-separated) program seeds,
 *       each {@code contextr2dbc.model.repeat} (default 1) times (for a timing-dependent failure), with the
 *       exclusions they were generated with;</li>
 *   <li>{@code contextr2dbc.model.exclude}: features left out, comma-separated, among
 *       {@link Feature} (e.g. {@code zip,timeout,newuowinblock});</li>
 *   <li>{@code contextr2dbc.model.shrink} (default true): shrink a failing program to a minimal one, trying
 *       each smaller candidate {@code contextr2dbc.model.shrinkRuns} (default 1) times.</li>
 * </ul>
 * A failure prints the program seed, the program (one operation a line), the expected and the actual
 * outcome, and a shrunk program that still fails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SessionMachineModelIT {

    private static final int DATABASES = 2;

    private final PostgresPair pair = PostgresPair.shared();

    private final List<String> names = new ArrayList<>();

    private final List<Tables> tables = new ArrayList<>();

    private final List<Database> databases = new ArrayList<>();

    /** Errors signalled to subscribers that had cancelled (Reactor's onErrorDropped), counted per program. */
    private final AtomicInteger dropped = new AtomicInteger();

    private final Map<Long, Integer> droppedBySeed = new LinkedHashMap<>();

    @BeforeAll
    void createDatabases() {
        Hooks.onErrorDropped(error -> this.dropped.incrementAndGet());
        for (int db = 0; db < DATABASES; db++) {
            String name = this.pair.createDatabase("model" + db);
            this.names.add(name);
            Tables table = new Tables(name, this.pair.primaryUrl(name));
            table.createSchema();
            this.tables.add(table);
        }
        buildHandles();
    }

    /** Handles built in order: db0 always commits before db1. */
    private void buildHandles() {
        this.databases.clear();
        for (int db = 0; db < DATABASES; db++) {
            this.databases.add(Database.builder("db" + db).url(this.pair.primaryUrl(this.names.get(db)))
                    .maxSize(10).build());
        }
    }

    @AfterAll
    void close() {
        Hooks.resetOnErrorDropped();
        for (Database db : this.databases) {
            db.close().block(Duration.ofSeconds(30));
        }
        this.tables.forEach(Tables::close);
    }

    @Test
    void randomProgramsDoWhatTheModelPredicts() {
        Set<Feature> excluded = excludedFeatures();
        String replay = System.getProperty("contextr2dbc.model.replay");
        boolean shrink = Boolean.parseBoolean(System.getProperty("contextr2dbc.model.shrink", "true"));
        List<Long> seeds = new ArrayList<>();
        boolean replaying = replay != null && !replay.isBlank();
        String header;
        if (replay != null && !replay.isBlank()) {
            // a timing-dependent failure may need many runs: -Dcontextr2dbc.model.repeat=N
            int repeat = Integer.getInteger("contextr2dbc.model.repeat", 1);
            for (String one : replay.split(",")) {
                for (int i = 0; i < repeat; i++) {
                    seeds.add(Long.parseLong(one.trim()));
                }
            }
            header = "replaying program seed(s) " + replay.trim() + " " + repeat + " time(s)";
        } else {
            int programs = Integer.getInteger("contextr2dbc.model.programs", 300);
            String seedProperty = System.getProperty("contextr2dbc.model.seed");
            long base = seedProperty != null && !seedProperty.isBlank() ? Long.parseLong(seedProperty.trim())
                    : System.nanoTime();
            for (int i = 0; i < programs; i++) {
                seeds.add(mix(mix(base) + i));
            }
            header = programs + " programs, base seed " + base + " (-Dcontextr2dbc.model.seed=" + base + ")";
        }
        System.out.println("[model] " + header + ", excluded features: " + excluded);
        long started = System.nanoTime();
        Map<String, List<Long>> failuresBySignature = new LinkedHashMap<>();
        StringBuilder report = new StringBuilder();
        for (long seed : seeds) {
            Program program = ProgramGenerator.generate(seed, excluded);
            this.dropped.set(0);
            Mismatch mismatch = check(program.body(), program.databases());
            if (this.dropped.get() > 0) {
                this.droppedBySeed.put(seed, this.dropped.get());
            }
            if (mismatch == null) {
                continue;
            }
            List<Long> same = failuresBySignature.computeIfAbsent(mismatch.signature(), s -> new ArrayList<>());
            same.add(seed);
            if (same.size() > 1 && (!replaying || same.indexOf(seed) != same.size() - 1)) {
                System.out.println("[model] program seed " + seed + " fails like " + same.get(0) + ": "
                        + mismatch.signature());
                continue;
            }
            StringBuilder failure = new StringBuilder();
            failure.append("\n[model] FAILED: program seed ").append(seed)
                    .append(" (replay: -Dcontextr2dbc.model.replay=").append(seed)
                            .append(excludeHint(excluded)).append(")\n")
                    .append(program).append('\n').append(mismatch);
            if (shrink && mismatch.actual().result() != Category.HANG) {
                List<Op> smallest = shrink(program.body(), program.databases());
                if (smallest != program.body()) {
                    Mismatch small = check(smallest, program.databases());
                    failure.append("\n[model] shrunk to:\n").append(new Program(seed, program.databases(), smallest))
                            .append('\n').append(small == null ? "(passed on its last run: timing-dependent)" : small);
                }
            }
            System.out.println(failure);
            report.append(failure).append('\n');
            if (mismatch.actual().result() == Category.HANG) {
                report.append("[model] stopped after a hang: the JVM may be broken (e.g. by a StackOverflowError)\n");
                break;
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf(Locale.ROOT, "[model] %d programs in %.1f s, %d failing kinds%n", seeds.size(), seconds,
                failuresBySignature.size());
        failuresBySignature.forEach((signature, failed) -> System.out.println("[model]   " + failed.size()
                + " x " + signature + ", e.g. seeds " + failed.subList(0, Math.min(5, failed.size()))));
        if (!this.droppedBySeed.isEmpty()) {
            // not a failure by itself (a cancel may race an error), but many in one program is worth a look
            System.out.println("[model] " + this.droppedBySeed.size() + " programs had errors dropped after a cancel "
                    + "(onErrorDropped), the most: " + this.droppedBySeed.entrySet().stream()
                            .sorted((a, b) -> b.getValue() - a.getValue()).limit(5).toList());
        }
        assertThat(failuresBySignature).as("%s%s", header, report).isEmpty();
    }

    private static String excludeHint(Set<Feature> excluded) {
        if (excluded.isEmpty()) {
            return "";
        }
        StringBuilder hint = new StringBuilder(" -Dcontextr2dbc.model.exclude=");
        excluded.forEach(f -> hint.append(f.name().toLowerCase(Locale.ROOT)).append(','));
        hint.setLength(hint.length() - 1);
        return hint.toString();
    }

    private static Set<Feature> excludedFeatures() {
        Set<Feature> excluded = EnumSet.noneOf(Feature.class);
        String property = System.getProperty("contextr2dbc.model.exclude", "");
        for (String name : property.split(",")) {
            if (!name.isBlank()) {
                excluded.add(Feature.valueOf(name.trim().toUpperCase(Locale.ROOT)));
            }
        }
        return excluded;
    }

    /** A 64-bit mix (SplitMix64's finaliser), so that consecutive program seeds give unrelated programs. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    // ---- one program ----

    /** The differences between what the model predicts and what the program did, with what leaked. */
    record Mismatch(Outcome expected, Outcome actual, @Nullable Throwable error, List<String> leaks) {

        String signature() {
            List<String> parts = new ArrayList<>();
            if (!this.expected.rows().equals(this.actual.rows())) {
                parts.add("rows");
            }
            if (!this.expected.hooks().equals(this.actual.hooks())) {
                parts.add("hooks");
            }
            if (!this.expected.caught().equals(this.actual.caught())) {
                parts.add("caught");
            }
            if (this.expected.result() != this.actual.result()) {
                parts.add("result " + this.expected.result() + "->" + this.actual.result());
            }
            for (String leak : this.leaks) {
                parts.add(leak.replaceAll("[0-9]+", "N"));
            }
            return String.join(", ", parts);
        }

        @Override
        public String toString() {
            StringBuilder text = new StringBuilder();
            text.append("  expected:\n").append(this.expected).append('\n');
            text.append("  actual:\n").append(this.actual).append('\n');
            if (this.error != null) {
                text.append("  actual error: ").append(this.error).append('\n');
                Throwable cause = this.error.getCause();
                if (cause != null) {
                    text.append("    caused by: ").append(cause).append('\n');
                }
            }
            for (String leak : this.leaks) {
                text.append("  LEAK: ").append(leak).append('\n');
            }
            text.append("  differs in: ").append(signature());
            return text.toString();
        }
    }

    /** Runs {@code program} on the real databases and in the model; null if they agree and nothing leaked. */
    private @Nullable Mismatch check(List<Op> program, int databases) {
        Outcome expected = DjangoModel.predict(program, databases);
        ProgramRunner.Run run = ProgramRunner.run(program, this.databases.subList(0, databases));
        List<String> leaks = awaitNothingHeld();
        List<List<Integer>> rows = new ArrayList<>();
        for (int db = 0; db < databases; db++) {
            rows.add(this.tables.get(db).rows());
        }
        for (Tables table : this.tables) {
            table.reset();
        }
        Category result = run.error() == null ? null : ProgramRunner.categorize(run.error());
        List<String> hooks = new ArrayList<>(run.hooks());
        if (contains(program, Op.CancelledCommit.class)) {
            // the hooks of a commit whose subscriber left run when it ends, maybe after later ones: wait for
            // them a little, and compare the hooks in any order
            int expectedHooks = expected.hooks().size();
            try {
                Awaitility.await().atMost(Duration.ofSeconds(2)).pollDelay(Duration.ZERO)
                        .pollInterval(Duration.ofMillis(5)).until(() -> run.hooks().size() >= expectedHooks);
            } catch (ConditionTimeoutException tooFew) {
                // fewer hooks ran than expected: the comparison below reports it
            }
            hooks = new ArrayList<>(run.hooks());
            hooks.sort(null);
            List<String> sortedExpected = new ArrayList<>(expected.hooks());
            sortedExpected.sort(null);
            expected = new Outcome(expected.rows(), sortedExpected, expected.caught(), expected.result());
        }
        Outcome actual = new Outcome(rows, hooks, run.caught(), result);
        if (expected.equals(actual) && leaks.isEmpty()) {
            return null;
        }
        if (!leaks.isEmpty()) {
            recoverFromLeaks();
        }
        return new Mismatch(expected, actual, run.error(), leaks);
    }

    private static boolean contains(List<Op> ops, Class<? extends Op> kind) {
        for (Op op : ops) {
            if (kind.isInstance(op) || contains(Op.body(op), kind)) {
                return true;
            }
        }
        return false;
    }

    /** Waits (a little: cleanup after a cancel is asynchronous) until nothing is held; says what still is. */
    private List<String> awaitNothingHeld() {
        AtomicReference<List<String>> leaks = new AtomicReference<>(List.of());
        try {
            Awaitility.await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(5)).until(() -> {
                        leaks.set(held());
                        return leaks.get().isEmpty();
                    });
        } catch (ConditionTimeoutException stillHeld) {
            // still held after the time limit: the caller reports what
        }
        return leaks.get();
    }

    /** What is held now: connections in use, acquired from the pool, backends idle in a transaction. */
    private List<String> held() {
        List<String> leaks = new ArrayList<>();
        for (int db = 0; db < DATABASES; db++) {
            Database database = this.databases.get(db);
            if (database.connectionsInUse() != 0) {
                leaks.add("db" + db + " connectionsInUse=" + database.connectionsInUse());
            }
            int acquired = database.poolMetrics().map(metrics -> metrics.acquiredSize()).orElse(0);
            if (acquired != 0) {
                leaks.add("db" + db + " pool acquiredSize=" + acquired);
            }
            long idle = this.tables.get(db).idleInTransaction();
            if (idle != 0) {
                leaks.add("db" + db + " backends idle in transaction=" + idle);
            }
        }
        return leaks;
    }

    /** After a leak the handles are abandoned (their connections may never come back) and built anew. */
    private void recoverFromLeaks() {
        for (Tables table : this.tables) {
            table.terminateIdleInTransaction();
            table.reset();
        }
        for (Database db : this.databases) {
            db.close().subscribe(done -> { }, error -> { });
        }
        buildHandles();
    }

    // ---- shrinking ----

    /**
     * A smaller program that still fails, found greedily: drop one operation, or replace a compound one by
     * its body, or drop a zip branch or a flatMap statement, as long as the result still fails.
     */
    private List<Op> shrink(List<Op> program, int databases) {
        // a timing-dependent failure: -Dcontextr2dbc.model.shrinkRuns=N tries each candidate up to N times
        int tries = Integer.getInteger("contextr2dbc.model.shrinkRuns", 1);
        List<Op> current = program;
        int runs = 0;
        boolean progress = true;
        while (progress && runs < 300 * tries) {
            progress = false;
            for (List<Op> candidate : smaller(current)) {
                if (!placedAsGenerated(candidate, new boolean[databases])) {
                    continue;
                }
                boolean fails = false;
                for (int i = 0; i < tries && !fails; i++) {
                    runs++;
                    fails = check(candidate, databases) != null;
                }
                if (fails) {
                    current = candidate;
                    progress = true;
                    break;
                }
                if (runs >= 300 * tries) {
                    break;
                }
            }
        }
        return current;
    }

    /**
     * Whether every operation is still where the generator may put it: the raced blocks inside a block on
     * their database (nested).
     */
    private static boolean placedAsGenerated(List<Op> ops, boolean[] inBlock) {
        for (Op op : ops) {
            if (op instanceof Op.RaceBlock race && !inBlock[race.db()]) {
                return false;
            }
            if (op instanceof Op.RacedCancel race && !inBlock[race.db()]) {
                return false;
            }
            boolean[] inner = inBlock;
            if (op instanceof Op.Block block) {
                inner = inBlock.clone();
                inner[block.db()] = true;
            } else if (op instanceof Op.TimedBlock block) {
                inner = inBlock.clone();
                inner[block.db()] = true;
            } else if (op instanceof Op.CancelledCommit block) {
                inner = inBlock.clone();
                inner[block.db()] = true;
            } else if (op instanceof Op.NewUnitOfWork) {
                inner = new boolean[inBlock.length];
            }
            if (!placedAsGenerated(Op.body(op), inner)) {
                return false;
            }
        }
        return true;
    }

    /** Every program one step smaller than {@code ops}. */
    static List<List<Op>> smaller(List<Op> ops) {
        List<List<Op>> candidates = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            List<Op> without = new ArrayList<>(ops);
            without.remove(i);
            candidates.add(without);
            if (Op.isCompound(op)) {
                List<Op> inlined = new ArrayList<>(ops.subList(0, i));
                inlined.addAll(Op.body(op));
                inlined.addAll(ops.subList(i + 1, ops.size()));
                candidates.add(inlined);
                for (List<Op> body : smaller(Op.body(op))) {
                    candidates.add(replaced(ops, i, Op.withBody(op, body)));
                }
            } else if (op instanceof Op.Zip zip) {
                for (int b = 0; b < zip.branches().size(); b++) {
                    List<List<Op>> branches = new ArrayList<>(zip.branches());
                    if (branches.size() > 1) {
                        branches.remove(b);
                        candidates.add(replaced(ops, i, new Op.Zip(zip.db(), branches)));
                    }
                    List<Op> branch = zip.branches().get(b);
                    if (branch.size() > 1) {
                        for (int s = 0; s < branch.size(); s++) {
                            List<Op> shorter = new ArrayList<>(branch);
                            shorter.remove(s);
                            List<List<Op>> withShorter = new ArrayList<>(zip.branches());
                            withShorter.set(b, shorter);
                            candidates.add(replaced(ops, i, new Op.Zip(zip.db(), withShorter)));
                        }
                    }
                }
            } else if (op instanceof Op.FlatMap flatMap && flatMap.statements().size() > 1) {
                List<Op> statements = flatMap.statements();
                if (statements.size() > 8) {
                    candidates.add(replaced(ops, i, new Op.FlatMap(flatMap.db(),
                            new ArrayList<>(statements.subList(0, statements.size() / 2)), flatMap.swallow())));
                }
                for (int s = 0; s < Math.min(statements.size(), 8); s++) {
                    List<Op> shorter = new ArrayList<>(statements);
                    shorter.remove(s);
                    candidates.add(replaced(ops, i, new Op.FlatMap(flatMap.db(), shorter, flatMap.swallow())));
                }
            }
        }
        return candidates;
    }

    private static List<Op> replaced(List<Op> ops, int index, Op op) {
        List<Op> copy = new ArrayList<>(ops);
        copy.set(index, op);
        return copy;
    }
}
