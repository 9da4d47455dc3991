package io.github.contextr2dbc.model;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import io.github.contextr2dbc.Atomic.Existing;
import io.github.contextr2dbc.model.Op.Category;

/**
 * Generates a random program from a seed: the same seed always gives the same program.
 *
 * <p>Cancellation is generated only where the outcome is determined (see {@link Op.TimedBlock} and
 * {@link Op.CancelledSelect}): a timed-out atomic block always rolls back, whatever point of its body the
 * cancel lands on, and a cancelled {@code SELECT pg_sleep} changes nothing, whatever it is doing when the
 * cancel lands (acquiring, sending BEGIN or pending SAVEPOINTs, running). So the model predicts one
 * outcome, while the cancels still land at random points of the session machine.
 */
final class ProgramGenerator {

    /** Features that can be left out with {@code -Dcontextr2dbc.model.exclude=a,b}. */
    enum Feature {
        /** Two databases (otherwise one). */
        TWODB,
        /** {@code Mono.zip} and {@code flatMap} over one session. */
        ZIP,
        /** Now and then a {@code flatMap} of a few hundred statements behind a failure. */
        BIGFLATMAP,
        /** Atomic blocks cancelled by {@code timeout}. */
        TIMEOUT,
        /** Statements cancelled by {@code timeout}. */
        CANCEL,
        /** On-commit and before-commit hooks. */
        HOOKS,
        /** Rows refused by a deferred constraint trigger at COMMIT. */
        LATE,
        /** {@code DbSession.commit()/rollback()/close()}. */
        SESSIONEND,
        /** {@code Atomic.setRollbackOnly}. */
        ROLLBACKONLY,
        /** {@code existing(COMMIT | ROLLBACK | FAIL)} (otherwise always JOIN). */
        EXISTING,
        /** {@code savepoint(false)}. */
        NOSAVEPOINT,
        /** {@code durable(true)}. */
        DURABLE,
        /** {@code inNewUnitOfWork} nested in the program. */
        NEWUOW,
        /** Nested {@code inNewUnitOfWork} inside an atomic block of the outer unit of work. */
        NEWUOWINBLOCK,
        /** An outermost block cancelled while it commits (its hooks must still run). */
        CANCELCOMMIT,
        /**
         * A nested block cancelled (0-3 ms) while it waits behind a concurrent statement, or disposed in a
         * race with its subscription ({@code RaceTestUtils}).
         */
        RACEBLOCK
    }

    private final Random random;

    private final Set<Feature> excluded;

    private final int databases;

    private int nextValue = 1;

    private int nextId = 1;

    private int budget;

    private ProgramGenerator(long seed, Set<Feature> excluded) {
        this.random = new Random(seed);
        this.excluded = excluded;
        this.databases = !excluded.contains(Feature.TWODB) && this.random.nextInt(3) == 0 ? 2 : 1;
    }

    /** A program and the number of databases it uses. */
    record Program(long seed, int databases, List<Op> body) {
        @Override
        public String toString() {
            return "program (seed " + this.seed + ", " + this.databases + " database" + (this.databases > 1 ? "s" : "")
                    + ") in inNewUnitOfWork {\n" + Op.print(this.body) + "}";
        }
    }

    static Program generate(long seed, Set<Feature> excluded) {
        ProgramGenerator generator = new ProgramGenerator(seed, excluded);
        generator.budget = 4 + generator.random.nextInt(14);
        List<Op> body = generator.sequence(new Scope(new boolean[generator.databases], -1, 0), 1, 5);
        if (generator.random.nextInt(6) == 0) {
            body.add(new Op.Raise()); // the unit of work rolls back
        }
        return new Program(seed, generator.databases, body);
    }

    /** Where an operation is generated: the databases with a block open, a timed block's database (or -1), depth. */
    private record Scope(boolean[] inBlock, int timedDb, int depth) {

        Scope block(int db) {
            boolean[] next = this.inBlock.clone();
            next[db] = true;
            return new Scope(next, this.timedDb, this.depth + 1);
        }

        Scope timed(int db) {
            boolean[] next = this.inBlock.clone();
            next[db] = true;
            return new Scope(next, db, this.depth + 1);
        }

        Scope deeper() {
            return new Scope(this.inBlock, this.timedDb, this.depth + 1);
        }

        boolean anyBlock() {
            for (boolean open : this.inBlock) {
                if (open) {
                    return true;
                }
            }
            return false;
        }
    }

    private List<Op> sequence(Scope scope, int min, int max) {
        List<Op> ops = new ArrayList<>();
        int count = min + this.random.nextInt(max - min + 1);
        for (int i = 0; i < count && (i < min || this.budget > 0); i++) {
            ops.add(op(scope));
        }
        return ops;
    }

    private boolean on(Feature feature) {
        return !this.excluded.contains(feature);
    }

    private int db(Scope scope) {
        return scope.timedDb() >= 0 ? scope.timedDb() : this.random.nextInt(this.databases);
    }

    private int value() {
        return this.nextValue++;
    }

    private Op op(Scope scope) {
        this.budget--;
        boolean nest = scope.depth() < 4 && this.budget > 0;
        boolean timed = scope.timedDb() >= 0;
        for (;;) {
            int roll = this.random.nextInt(100);
            int db = db(scope);
            if (roll < 22) {
                return new Op.Insert(db, value());
            }
            if (roll < 25) {
                return new Op.Stmt(db, Op.Kind.SELECT);
            }
            if (roll < 30) {
                return new Op.Stmt(db, Op.Kind.DIV_ZERO);
            }
            if (roll < 33) {
                return new Op.Stmt(db, Op.Kind.DUPLICATE);
            }
            if (roll < 36 && on(Feature.LATE)) {
                return new Op.Stmt(db, Op.Kind.LATE);
            }
            if (roll < 39) {
                return new Op.Raise();
            }
            if (roll < 55 && nest) {
                boolean savepoint = !on(Feature.NOSAVEPOINT) || this.random.nextInt(5) != 0;
                boolean durable = on(Feature.DURABLE) && this.random.nextInt(10) == 0;
                Existing existing = on(Feature.EXISTING) && this.random.nextInt(2) == 0
                        ? Existing.values()[this.random.nextInt(4)] : Existing.JOIN;
                return new Op.Block(db, savepoint, durable, existing, sequence(scope.block(db), 0, 4));
            }
            if (roll < 66 && nest) {
                return new Op.Try(this.nextId++, catches(), sequence(scope.deeper(), 1, 3));
            }
            if (roll < 71 && on(Feature.HOOKS)) {
                return new Op.OnCommit(db, this.nextId++);
            }
            if (roll < 74 && on(Feature.HOOKS)) {
                return new Op.BeforeCommit(db, this.nextId++, this.random.nextInt(3) == 0);
            }
            if (roll < 77 && on(Feature.ROLLBACKONLY)) {
                return new Op.SetRollbackOnly(db);
            }
            if (roll < 81 && on(Feature.SESSIONEND)) {
                // inside a block on its database, each is refused (STATE)
                return new Op.SessionEnd(db, Op.End.values()[this.random.nextInt(3)]);
            }
            if (roll < 85 && on(Feature.ZIP)) {
                return this.random.nextBoolean() ? zip(db) : flatMap(db);
            }
            if (roll < 90 && on(Feature.CANCEL)) {
                return new Op.CancelledSelect(db, 20, this.random.nextInt(26));
            }
            if (roll < 95 && nest && on(Feature.TIMEOUT)) {
                // nested without a savepoint, whether a failing statement of the body ran before the timeout (and
                // aborted the enclosing transaction) depends on timing: only the outermost may say savepoint(false)
                boolean savepoint = scope.inBlock()[db] || !on(Feature.NOSAVEPOINT) || this.random.nextInt(5) != 0;
                // COMMIT and FAIL would race an error of the commit with the timeout: not generated
                Existing existing = on(Feature.EXISTING)
                        && this.random.nextBoolean() ? Existing.ROLLBACK : Existing.JOIN;
                return new Op.TimedBlock(db, savepoint, existing, sequence(scope.timed(db), 1, 4),
                        this.random.nextInt(31));
            }
            if (roll < 96 && nest && !timed && !scope.inBlock()[db] && on(Feature.CANCELCOMMIT)
                    && this.random.nextInt(8) == 0) {
                List<Op> body = sequence(scope.block(db), 0, 3);
                if (on(Feature.HOOKS)) {
                    body.add(new Op.OnCommit(db, this.nextId++)); // must run: the commit had started
                }
                return new Op.CancelledCommit(db, body);
            }
            // nested, with a savepoint: whether the cancel lands before or after the entry, nothing changes
            if (roll < 97 && scope.inBlock()[db] && on(Feature.RACEBLOCK) && this.random.nextInt(3) == 0) {
                return new Op.RacedCancel(db, true, value());
            }
            if (roll < 97 && scope.inBlock()[db] && on(Feature.RACEBLOCK)) {
                Op statement = this.random.nextBoolean() ? new Op.Insert(db, value()) : new Op.Stmt(db, Op.Kind.SELECT);
                return new Op.RaceBlock(db, statement, true, this.random.nextInt(4), value());
            }
            if (roll < 98 && nest && !timed && on(Feature.NEWUOW)
                    && (!scope.anyBlock() || on(Feature.NEWUOWINBLOCK))) {
                return new Op.NewUnitOfWork(sequence(new Scope(new boolean[this.databases], -1,
                        scope.depth() + 1), 1, 4));
            }
        }
    }

    private Set<Category> catches() {
        if (this.random.nextInt(5) == 0) {
            return EnumSet.range(Category.DB, Category.PARTIAL);
        }
        Set<Category> catches = EnumSet.noneOf(Category.class);
        for (Category category : EnumSet.range(Category.DB, Category.PARTIAL)) {
            if (this.random.nextInt(100) < 40) {
                catches.add(category);
            }
        }
        if (catches.isEmpty()) {
            catches.add(Category.DB);
        }
        return catches;
    }

    private Op statement(int db) {
        int roll = this.random.nextInt(10);
        if (roll < 6) {
            return new Op.Insert(db, value());
        }
        if (roll < 7) {
            return new Op.Stmt(db, Op.Kind.SELECT);
        }
        if (roll < 8 && on(Feature.LATE)) {
            return new Op.Stmt(db, Op.Kind.LATE);
        }
        return new Op.Stmt(db, this.random.nextBoolean() ? Op.Kind.DIV_ZERO : Op.Kind.DUPLICATE);
    }

    private Op zip(int db) {
        List<List<Op>> branches = new ArrayList<>();
        int count = 2 + this.random.nextInt(2);
        for (int b = 0; b < count; b++) {
            List<Op> branch = new ArrayList<>();
            int length = 1 + this.random.nextInt(3);
            for (int s = 0; s < length; s++) {
                branch.add(statement(db));
            }
            branches.add(branch);
        }
        return new Op.Zip(db, branches);
    }

    private Op flatMap(int db) {
        List<Op> statements = new ArrayList<>();
        if (on(Feature.BIGFLATMAP) && this.random.nextInt(15) == 0) {
            // a failure queued ahead of hundreds of statements: every one of them is refused
            int before = this.random.nextInt(3);
            for (int s = 0; s < before; s++) {
                statements.add(new Op.Insert(db, value()));
            }
            statements.add(new Op.Stmt(db, Op.Kind.DIV_ZERO));
            for (int s = 0; s < 3000; s++) {
                statements.add(new Op.Stmt(db, Op.Kind.SELECT));
            }
            return new Op.FlatMap(db, statements, true);
        }
        int count = 2 + this.random.nextInt(4);
        for (int s = 0; s < count; s++) {
            statements.add(statement(db));
        }
        return new Op.FlatMap(db, statements, this.random.nextBoolean());
    }
}
