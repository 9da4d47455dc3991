package io.github.contextr2dbc.model;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import io.github.contextr2dbc.Atomic.Existing;

/**
 * One operation of a generated program: a tree, printed one operation a line. Databases are numbered
 * ({@code db0} is built first, so it commits first); values and hook ids are unique in a program.
 */
sealed interface Op {

    /** How an error is classified, by the model and by the runner alike. */
    enum Category {
        /** A statement or commit failed in PostgreSQL (an {@code R2dbcException}). */
        DB,
        /** {@code TransactionAbortedException}: refused because the transaction was aborted earlier. */
        ABORTED,
        /** Another {@code IllegalStateException}: a misuse refused by the API. */
        STATE,
        /** The program's own error ({@link Raise}). */
        APP,
        /** A before-commit hook's veto. */
        VETO,
        /** A {@code timeout} fired. */
        TIMEOUT,
        /** {@code PartialCommitException}. */
        PARTIAL,
        /** The program did not end (always a failure of the test, and the end of the run). */
        HANG,
        /** Anything else (always a failure of the test). */
        OTHER
    }

    /** The plain statements a program runs. */
    enum Kind {
        SELECT("SELECT 1"),
        DIV_ZERO("SELECT 1/0"),
        DUPLICATE("INSERT INTO item VALUES (0)"),
        LATE("INSERT INTO late VALUES (1)"),
        /** A row whose deferred constraint trigger makes COMMIT take 0.3 s (used by {@link CancelledCommit} only). */
        SLOW("INSERT INTO slow VALUES (1)");

        final String sql;

        Kind(String sql) {
            this.sql = sql;
        }
    }

    /** How a session is finished early. */
    enum End { COMMIT, ROLLBACK, CLOSE }

    /** {@code INSERT INTO item VALUES (value)}: succeeds unless the transaction is aborted. */
    record Insert(int db, int value) implements Op {
        @Override
        public String toString() {
            return "insert db" + this.db + " " + this.value;
        }
    }

    /**
     * A statement: {@code SELECT 1}; division by zero; a unique violation (0 is always in the table); a row
     * a deferred constraint trigger refuses at COMMIT.
     */
    record Stmt(int db, Kind kind) implements Op {
        @Override
        public String toString() {
            return "sql db" + this.db + " " + this.kind.sql;
        }
    }

    /** {@code Mono.error(new AppFailure())}. */
    record Raise() implements Op {
        @Override
        public String toString() {
            return "raise APP";
        }
    }

    /** {@code atomic(db).savepoint(..).durable(..).existing(..).wrap(body)}. */
    record Block(int db, boolean savepoint, boolean durable, Existing existing, List<Op> body) implements Op {
        @Override
        public String toString() {
            return "atomic db" + this.db + (this.savepoint ? "" : " savepoint(false)")
                    + (this.durable ? " durable" : "")
                    + (this.existing == Existing.JOIN ? "" : " existing(" + this.existing + ")");
        }
    }

    /**
     * {@code atomic(db).wrap(body.then(Mono.never()))} with a {@code timeout} that fires {@code timeoutMs} after
     * the block was entered (its body started): every body operation is run with its errors swallowed
     * (silently), and the body never completes, so the block is always cancelled, wherever in the body
     * the cancel lands: the outcome (the block rolled back, TIMEOUT) is determined. (A timeout counted
     * from the subscription could land before the block is entered, when rolling back and not entering
     * differ: a joined transaction, {@code savepoint(false)}, {@code existing(ROLLBACK)}.)
     */
    record TimedBlock(int db, boolean savepoint, Existing existing, List<Op> body, int timeoutMs) implements Op {
        @Override
        public String toString() {
            return "atomic db" + this.db + (this.savepoint ? "" : " savepoint(false)")
                    + (this.existing == Existing.JOIN ? "" : " existing(" + this.existing + ")")
                    + " { body (errors swallowed) then never } .timeout(" + this.timeoutMs + "ms after entry)";
        }
    }

    /**
     * An outermost block ({@code atomic(db).wrap(body then the SLOW row)}) cancelled by a {@code timeout} that
     * fires 100 ms after the body completed: while its COMMIT runs (the SLOW row's deferred trigger makes
     * it take 0.3 s). The commit, once started, runs to its end, and so do its on-commit hooks; the
     * subscriber gets TIMEOUT. If the block does not commit (an error, a veto, rollback-only, a late row
     * failing the commit first) it ends before the timeout fires, as a plain block would.
     */
    record CancelledCommit(int db, List<Op> body) implements Op {
        @Override
        public String toString() {
            return "atomic db" + this.db + " { body then a row that makes COMMIT take 0.3 s } "
                    + ".timeout(100 ms after the body completed: during the COMMIT)";
        }
    }

    /**
     * {@code Mono.when(statement, atomic(db).wrap(insert then never).timeout(timeoutMs))}, each side's expected
     * error swallowed (ABORTED for the statement, TIMEOUT for the block): the block waits for the statement
     * and the cancel lands around its entry (issue 10, defect 5). Generated inside a block on {@code db}
     * only, with a savepoint, so that the statement, queued first, stays outside it, and entered-then-
     * rolled-back and never-entered look the same.
     */
    record RaceBlock(int db, Op statement, boolean savepoint, int timeoutMs, int value) implements Op {
        @Override
        public String toString() {
            return "Mono.when db" + this.db + " of [" + this.statement + "] [atomic db" + this.db
                    + (this.savepoint ? "" : " savepoint(false)") + " { insert " + this.value + " then never }"
                    + " .timeout(" + this.timeoutMs + "ms)] (ABORTED and TIMEOUT swallowed)";
        }
    }

    /**
     * A nested block ({@code atomic(db).wrap(insert then never)}) subscribed on one thread and disposed on
     * another at the same moment ({@code RaceTestUtils.race}): the cancel races the block's start. Either
     * way the block must roll back and leave the session as it was. Generated inside a block on {@code db}
     * only, with a savepoint (see {@link RaceBlock}).
     */
    record RacedCancel(int db, boolean savepoint, int value) implements Op {
        @Override
        public String toString() {
            return "atomic db" + this.db + (this.savepoint ? "" : " savepoint(false)") + " { insert " + this.value
                    + " then never } subscribed and disposed in a race";
        }
    }

    /** {@code body.onErrorResume(error in catches -> record "try<id>:<category>")}. */
    record Try(int id, Set<Category> catches, List<Op> body) implements Op {
        public Try {
            catches = Set.copyOf(EnumSet.copyOf(catches));
        }

        @Override
        public String toString() {
            return "try" + this.id + " catching " + EnumSet.copyOf(this.catches);
        }
    }

    /** {@code Atomic.onCommit(db, record "on:<id>")}. */
    record OnCommit(int db, int id) implements Op {
        @Override
        public String toString() {
            return "onCommit db" + this.db + " hook " + this.id;
        }
    }

    /** {@code Atomic.beforeCommit(db, record "before:<id>" then, if veto, error VETO)}. */
    record BeforeCommit(int db, int id, boolean veto) implements Op {
        @Override
        public String toString() {
            return "beforeCommit db" + this.db + " hook " + this.id + (this.veto ? " VETO" : "");
        }
    }

    /** {@code Atomic.setRollbackOnly(db)}. */
    record SetRollbackOnly(int db) implements Op {
        @Override
        public String toString() {
            return "setRollbackOnly db" + this.db;
        }
    }

    /** {@code dbSession(db).flatMap(DbSession::commit | rollback | close)}; each is refused inside a block on db. */
    record SessionEnd(int db, End end) implements Op {
        @Override
        public String toString() {
            return "session db" + this.db + " " + this.end.name().toLowerCase(java.util.Locale.ROOT) + "()";
        }
    }

    /** {@code Mono.zip} of branches, each a chain of statements on {@code db}. */
    record Zip(int db, List<List<Op>> branches) implements Op {
        @Override
        public String toString() {
            StringBuilder text = new StringBuilder("Mono.zip db" + this.db + " of");
            for (List<Op> branch : this.branches) {
                text.append(" [");
                appendCompressed(text, branch);
                text.append(']');
            }
            return text.toString();
        }
    }

    /**
     * {@code Flux.fromIterable(statements).flatMap(run, all at once)} on {@code db}; with {@code swallow}, each
     * statement's error is swallowed ({@code onErrorResume}) so that none cancels the others.
     */
    record FlatMap(int db, List<Op> statements, boolean swallow) implements Op {
        @Override
        public String toString() {
            StringBuilder text = new StringBuilder("Flux.flatMap db" + this.db + " over [");
            appendCompressed(text, this.statements);
            return text.append(']').append(this.swallow ? " each statement's error swallowed" : "").toString();
        }
    }

    /**
     * {@code SELECT pg_sleep(sleepMs/1000)} cancelled by {@code timeout(timeoutMs)} (or not, if it is quick),
     * its TIMEOUT and ABORTED swallowed: no effect on the data whatever it does. Outside a block on its
     * database a {@code SELECT 1} runs first, so that a transaction is surely open (the model need not guess
     * whether the cancelled statement opened one).
     */
    record CancelledSelect(int db, int sleepMs, int timeoutMs) implements Op {
        @Override
        public String toString() {
            return "sql db" + this.db + " SELECT pg_sleep(" + this.sleepMs + "ms) .timeout(" + this.timeoutMs
                    + "ms) swallowed";
        }
    }

    /** {@code UnitOfWork.inNewUnitOfWork(body)}: sessions of its own, committed on success, rolled back on error. */
    record NewUnitOfWork(List<Op> body) implements Op {
        @Override
        public String toString() {
            return "inNewUnitOfWork";
        }
    }

    /** The children of a compound operation (empty for the others). */
    static List<Op> body(Op op) {
        if (op instanceof Block block) {
            return block.body();
        }
        if (op instanceof TimedBlock block) {
            return block.body();
        }
        if (op instanceof Try attempt) {
            return attempt.body();
        }
        if (op instanceof NewUnitOfWork unitOfWork) {
            return unitOfWork.body();
        }
        if (op instanceof CancelledCommit block) {
            return block.body();
        }
        return List.of();
    }

    /** The same compound operation with another body. */
    static Op withBody(Op op, List<Op> body) {
        if (op instanceof Block b) {
            return new Block(b.db(), b.savepoint(), b.durable(), b.existing(), body);
        }
        if (op instanceof TimedBlock b) {
            return new TimedBlock(b.db(), b.savepoint(), b.existing(), body, b.timeoutMs());
        }
        if (op instanceof Try t) {
            return new Try(t.id(), t.catches(), body);
        }
        if (op instanceof NewUnitOfWork) {
            return new NewUnitOfWork(body);
        }
        if (op instanceof CancelledCommit b) {
            return new CancelledCommit(b.db(), body);
        }
        throw new IllegalArgumentException(op + " has no body");
    }

    static boolean isCompound(Op op) {
        return op instanceof Block || op instanceof TimedBlock || op instanceof Try || op instanceof NewUnitOfWork
                || op instanceof CancelledCommit;
    }

    /** Prints a program, one operation a line, bodies indented. */
    static String print(List<Op> program) {
        StringBuilder text = new StringBuilder();
        print(text, program, "  ");
        return text.toString();
    }

    private static void print(StringBuilder text, List<Op> ops, String indent) {
        for (Op op : ops) {
            text.append(indent).append(op);
            if (isCompound(op)) {
                text.append(" {\n");
                print(text, body(op), indent + "  ");
                text.append(indent).append("}");
            }
            text.append('\n');
        }
    }

    /** Statements, runs of the same one written once with a count. */
    private static void appendCompressed(StringBuilder text, List<Op> statements) {
        int i = 0;
        boolean first = true;
        while (i < statements.size()) {
            Op op = statements.get(i);
            int run = 1;
            while (i + run < statements.size() && statements.get(i + run).equals(op) && !(op instanceof Insert)) {
                run++;
            }
            if (!first) {
                text.append(", ");
            }
            first = false;
            String single = op instanceof Insert insert ? "insert " + insert.value()
                    : op instanceof Stmt stmt ? stmt.kind().sql : op.toString();
            text.append(single);
            if (run > 1) {
                text.append(" x").append(run);
            }
            i += run;
        }
    }
}
