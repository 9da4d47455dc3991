package io.github.contextr2dbc.model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.TreeSet;

import io.github.contextr2dbc.Atomic;
import io.github.contextr2dbc.model.Op.Category;

/**
 * A small in-memory model of what a program must do, following Django's atomic semantics as this library
 * documents them (README "Atomic blocks", {@code Atomic}, {@code DbSession}, {@code UnitOfWork}):
 *
 * <ul>
 *   <li>a session's first statement opens a transaction; a statement that fails in PostgreSQL aborts it,
 *       and every later statement in it is refused (ABORTED) until it, or the savepoint of the innermost
 *       block that has one, rolls back;</li>
 *   <li>the outermost block is the transaction: complete commits it (running the before-commit hooks
 *       first, a veto rolling back), but if it is rollback-only (marked, or aborted) it rolls back without
 *       an error; error or cancel rolls it back;</li>
 *   <li>a nested block is a savepoint, released on complete and rolled back to on error, on cancel and
 *       on a rollback-only complete; a block without a savepoint that fails marks the enclosing one
 *       rollback-only. As in Django ({@code Atomic.__enter__}), a block entered while the transaction
 *       already needs a rollback gets no savepoint, so that the mark cannot be lost by an inner rollback;</li>
 *   <li>on-commit hooks run after the commit of the transaction they were registered in, in registration
 *       order, and are dropped with their savepoint or transaction; outside any transaction they run at
 *       once (and a before-commit hook's veto is then its registration's error);</li>
 *   <li>a unit of work commits its sessions in the databases' fixed order, first every before-commit
 *       check, then the commits; a failure after another database committed is PARTIAL, and the hooks of
 *       the databases that did commit still run (as {@code UnitOfWork.commit} documents).</li>
 * </ul>
 *
 * Errors are Java exceptions carrying a {@link Category}.
 */
final class DjangoModel {

    /** An error of the modelled program. */
    static final class Failure extends RuntimeException {

        private static final long serialVersionUID = 1L;

        final Category category;

        Failure(Category category) {
            super(category.name(), null, false, false);
            this.category = category;
        }
    }

    private record Hook(int id, boolean before, boolean veto) {
    }

    /** A running atomic block: where its savepoint would roll back to. */
    private record Frame(boolean outermost, boolean savepoint, int rowsMark, int lateMark, int hooksMark) {
    }

    /** One database's session in one unit of work. */
    private static final class Session {

        boolean transactionOpen;

        boolean aborted;

        boolean rollbackOnly;

        final List<Integer> rows = new ArrayList<>();

        int lateRows;

        final List<Hook> hooks = new ArrayList<>();

        final Deque<Frame> frames = new ArrayDeque<>();

        boolean inBlock() {
            return !this.frames.isEmpty();
        }

        void rollbackTransaction() {
            this.rows.clear();
            this.lateRows = 0;
            this.hooks.clear();
            this.transactionOpen = false;
            this.aborted = false;
            this.rollbackOnly = false;
        }

        void rollbackTo(Frame frame) {
            this.rows.subList(frame.rowsMark(), this.rows.size()).clear();
            this.lateRows = frame.lateMark();
            this.hooks.subList(frame.hooksMark(), this.hooks.size()).clear();
            this.aborted = false;
            this.rollbackOnly = false;
        }
    }

    private final class UnitOfWork {

        final Session[] sessions = new Session[DjangoModel.this.committed.size()];

        Session session(int db) {
            if (this.sessions[db] == null) {
                this.sessions[db] = new Session();
            }
            return this.sessions[db];
        }
    }

    private final List<TreeSet<Integer>> committed = new ArrayList<>();

    private final List<String> hooksRan = new ArrayList<>();

    private final List<String> caught = new ArrayList<>();

    private DjangoModel(int databases) {
        for (int db = 0; db < databases; db++) {
            this.committed.add(new TreeSet<>());
        }
    }

    /** What {@code program}, run in {@code inNewUnitOfWork}, must leave behind. */
    static Outcome predict(List<Op> program, int databases) {
        DjangoModel model = new DjangoModel(databases);
        Category result = null;
        try {
            model.inNewUnitOfWork(program);
        } catch (Failure failure) {
            result = failure.category;
        }
        List<List<Integer>> rows = new ArrayList<>();
        for (TreeSet<Integer> table : model.committed) {
            rows.add(new ArrayList<>(table));
        }
        return new Outcome(rows, model.hooksRan, model.caught, result);
    }

    private void inNewUnitOfWork(List<Op> body) {
        UnitOfWork unitOfWork = new UnitOfWork();
        try {
            run(body, unitOfWork);
        } catch (Failure failure) {
            for (Session session : unitOfWork.sessions) {
                if (session != null) {
                    session.rollbackTransaction();
                }
            }
            throw failure;
        }
        commit(unitOfWork);
    }

    private void run(List<Op> ops, UnitOfWork unitOfWork) {
        for (Op op : ops) {
            run(op, unitOfWork);
        }
    }

    private void run(Op op, UnitOfWork unitOfWork) {
        if (op instanceof Op.Insert insert) {
            statement(unitOfWork.session(insert.db()), insert);
        } else if (op instanceof Op.Stmt stmt) {
            statement(unitOfWork.session(stmt.db()), stmt);
        } else if (op instanceof Op.Raise) {
            throw new Failure(Category.APP);
        } else if (op instanceof Op.Block block) {
            block(block, unitOfWork);
        } else if (op instanceof Op.TimedBlock block) {
            timedBlock(block, unitOfWork);
        } else if (op instanceof Op.Try attempt) {
            try {
                run(attempt.body(), unitOfWork);
            } catch (Failure failure) {
                if (!attempt.catches().contains(failure.category)) {
                    throw failure;
                }
                this.caught.add("try" + attempt.id() + ":" + failure.category);
            }
        } else if (op instanceof Op.OnCommit hook) {
            register(unitOfWork.session(hook.db()), new Hook(hook.id(), false, false));
        } else if (op instanceof Op.BeforeCommit hook) {
            register(unitOfWork.session(hook.db()), new Hook(hook.id(), true, hook.veto()));
        } else if (op instanceof Op.SetRollbackOnly mark) {
            Session session = unitOfWork.session(mark.db());
            if (!session.inBlock()) {
                throw new Failure(Category.STATE);
            }
            session.rollbackOnly = true;
        } else if (op instanceof Op.SessionEnd end) {
            sessionEnd(unitOfWork.session(end.db()), end);
        } else if (op instanceof Op.Zip zip) {
            // subscribed in order, each branch's next statement queued when its previous one ends: round robin
            List<Deque<Op>> branches = new ArrayList<>();
            for (List<Op> branch : zip.branches()) {
                branches.add(new ArrayDeque<>(branch));
            }
            Session session = unitOfWork.session(zip.db());
            boolean any = true;
            while (any) {
                any = false;
                for (Deque<Op> branch : branches) {
                    if (!branch.isEmpty()) {
                        any = true;
                        statement(session, branch.poll()); // the first failure is the zip's error
                    }
                }
            }
        } else if (op instanceof Op.FlatMap flatMap) {
            Session session = unitOfWork.session(flatMap.db());
            for (Op statement : flatMap.statements()) {
                try {
                    statement(session, statement);
                } catch (Failure failure) {
                    if (!flatMap.swallow()) {
                        throw failure; // the first failure is the flatMap's error (it cancels the rest)
                    }
                }
            }
        } else if (op instanceof Op.CancelledSelect select) {
            Session session = unitOfWork.session(select.db());
            if (!session.inBlock()) {
                // the SELECT 1 run first (its ABORTED swallowed): a transaction is open after it
                session.transactionOpen = true;
            }
        } else if (op instanceof Op.CancelledCommit block) {
            List<Op> body = new ArrayList<>(block.body());
            body.add(new Op.Stmt(block.db(), Op.Kind.SLOW));
            if (block(new Op.Block(block.db(), true, false, Atomic.Existing.JOIN, body), unitOfWork)) {
                throw new Failure(Category.TIMEOUT); // committed (and its hooks ran), but the subscriber had left
            }
        } else if (op instanceof Op.RaceBlock race) {
            Session session = unitOfWork.session(race.db());
            try {
                statement(session, race.statement());
            } catch (Failure refused) {
                // swallowed by the program: ABORTED only, generated statements do not fail otherwise
            }
            Frame frame = enter(session, race.db(), race.savepoint(), Atomic.Existing.JOIN);
            exitFailed(session, frame);
        } else if (op instanceof Op.RacedCancel race) {
            Session session = unitOfWork.session(race.db());
            exitFailed(session, enter(session, race.db(), race.savepoint(), Atomic.Existing.JOIN));
        } else if (op instanceof Op.NewUnitOfWork nested) {
            inNewUnitOfWork(nested.body());
        } else {
            throw new IllegalArgumentException("no model for " + op);
        }
    }

    private void statement(Session session, Op statement) {
        if (session.transactionOpen && session.aborted) {
            throw new Failure(Category.ABORTED);
        }
        if (!session.transactionOpen) {
            session.transactionOpen = true;
            session.aborted = false;
        }
        if (statement instanceof Op.Insert insert) {
            session.rows.add(insert.value());
            return;
        }
        switch (((Op.Stmt) statement).kind()) {
            case SELECT:
            case SLOW:
                return;
            case LATE:
                session.lateRows++;
                return;
            case DIV_ZERO:
            case DUPLICATE:
            default:
                session.aborted = true;
                throw new Failure(Category.DB);
        }
    }

    private void register(Session session, Hook hook) {
        if (session.inBlock() || session.transactionOpen) {
            session.hooks.add(hook);
            return;
        }
        runHook(hook);
    }

    private void runHook(Hook hook) {
        this.hooksRan.add((hook.before() ? "before:" : "on:") + hook.id());
        if (hook.veto()) {
            throw new Failure(Category.VETO);
        }
    }

    private void runBeforeCommitHooks(Session session) {
        for (Hook hook : new ArrayList<>(session.hooks)) {
            if (hook.before()) {
                runHook(hook);
            }
        }
    }

    private List<Hook> onCommitHooks(Session session) {
        List<Hook> hooks = new ArrayList<>();
        for (Hook hook : session.hooks) {
            if (!hook.before()) {
                hooks.add(hook);
            }
        }
        return hooks;
    }

    /**
     * Commits the session's transaction (the before-commit hooks already ran): refused if it is aborted or
     * rollback-only, failing if a late row is in it. Returns its on-commit hooks, to run.
     */
    private List<Hook> commitTransaction(Session session, int db) {
        List<Hook> after = onCommitHooks(session);
        if (!session.transactionOpen) {
            session.hooks.clear();
            return after;
        }
        if (session.aborted || session.rollbackOnly) {
            session.rollbackTransaction();
            throw new Failure(Category.ABORTED);
        }
        if (session.lateRows > 0) {
            session.rollbackTransaction();
            throw new Failure(Category.DB);
        }
        this.committed.get(db).addAll(session.rows);
        session.rows.clear();
        session.hooks.clear();
        session.transactionOpen = false;
        return after;
    }

    /** {@code DbSession.commit()} outside blocks, and {@code existing(COMMIT)}: hooks, commit, hooks. */
    private void commitWithHooks(Session session, int db) {
        if (!session.transactionOpen) {
            return;
        }
        try {
            runBeforeCommitHooks(session);
        } catch (Failure veto) {
            session.rollbackTransaction();
            throw veto;
        }
        for (Hook hook : commitTransaction(session, db)) {
            runHook(hook);
        }
    }

    private void sessionEnd(Session session, Op.SessionEnd end) {
        if (session.inBlock()) {
            // commit(), rollback() and close() are refused inside a block (DbSession, Atomic)
            throw new Failure(Category.STATE);
        }
        switch (end.end()) {
            case COMMIT:
                commitWithHooks(session, end.db());
                break;
            case ROLLBACK:
            case CLOSE:
            default:
                session.rollbackTransaction();
                break;
        }
    }

    private Frame enter(Session session, int db, boolean savepoint, Atomic.Existing existing) {
        boolean outermost = !session.inBlock();
        if (outermost && session.transactionOpen) {
            switch (existing) {
                case COMMIT:
                    commitWithHooks(session, db);
                    break;
                case ROLLBACK:
                    session.rollbackTransaction();
                    break;
                case FAIL:
                    throw new Failure(Category.STATE);
                case JOIN:
                default:
                    break;
            }
        }
        boolean hasSavepoint = !outermost && savepoint && !session.rollbackOnly && !session.aborted;
        Frame frame = new Frame(outermost, hasSavepoint, session.rows.size(), session.lateRows, session.hooks.size());
        session.frames.push(frame);
        return frame;
    }

    /** The block failed or was cancelled. */
    private static void exitFailed(Session session, Frame frame) {
        session.frames.pop();
        if (frame.outermost()) {
            session.rollbackTransaction();
        } else if (frame.savepoint()) {
            session.rollbackTo(frame);
        } else {
            session.rollbackOnly = true;
        }
    }

    /** Runs an atomic block; returns whether it committed (the outermost one only). */
    private boolean block(Op.Block block, UnitOfWork unitOfWork) {
        Session session = unitOfWork.session(block.db());
        if (session.inBlock() && block.durable()) {
            throw new Failure(Category.STATE);
        }
        Frame frame = enter(session, block.db(), block.savepoint(), block.existing());
        try {
            run(block.body(), unitOfWork);
        } catch (Failure failure) {
            exitFailed(session, frame);
            throw failure;
        }
        session.frames.pop();
        boolean rollback = session.aborted || session.rollbackOnly;
        if (!frame.outermost()) {
            if (rollback) {
                if (frame.savepoint()) {
                    session.rollbackTo(frame);
                } else {
                    session.rollbackOnly = true;
                }
            }
            return false;
        }
        if (rollback) {
            session.rollbackTransaction(); // rollback-only: rolls back without an error
            return false;
        }
        commitWithHooksInBlock(session, block.db());
        return true;
    }

    /** The outermost block's commit: before-commit hooks, commit, on-commit hooks, even with no transaction open. */
    private void commitWithHooksInBlock(Session session, int db) {
        try {
            runBeforeCommitHooks(session);
        } catch (Failure veto) {
            session.rollbackTransaction();
            throw veto;
        }
        for (Hook hook : commitTransaction(session, db)) {
            runHook(hook);
        }
    }

    private void timedBlock(Op.TimedBlock block, UnitOfWork unitOfWork) {
        // whatever part of the body ran, the block is cancelled and rolls back: only entering and leaving count
        Session session = unitOfWork.session(block.db());
        Frame frame = enter(session, block.db(), block.savepoint(), block.existing());
        exitFailed(session, frame);
        throw new Failure(Category.TIMEOUT);
    }

    private void commit(UnitOfWork unitOfWork) {
        Session[] sessions = unitOfWork.sessions;
        try {
            for (Session session : sessions) {
                if (session != null && session.transactionOpen) {
                    runBeforeCommitHooks(session);
                }
            }
        } catch (Failure veto) {
            rollbackFrom(sessions, 0);
            throw veto;
        }
        List<Hook> after = new ArrayList<>();
        boolean anyCommitted = false;
        for (int db = 0; db < sessions.length; db++) {
            Session session = sessions[db];
            if (session == null) {
                continue;
            }
            boolean open = session.transactionOpen;
            try {
                after.addAll(commitTransaction(session, db));
            } catch (Failure failure) {
                rollbackFrom(sessions, db + 1);
                for (Hook hook : after) {
                    runHook(hook); // the databases that committed still run their hooks
                }
                throw anyCommitted ? new Failure(Category.PARTIAL) : failure;
            }
            anyCommitted |= open;
        }
        for (Hook hook : after) {
            runHook(hook);
        }
    }

    private static void rollbackFrom(Session[] sessions, int from) {
        for (int db = from; db < sessions.length; db++) {
            if (sessions[db] != null) {
                sessions[db].rollbackTransaction();
            }
        }
    }
}
