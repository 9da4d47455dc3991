package io.github.contextr2dbc.model;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;

import io.github.contextr2dbc.Atomic;
import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.DbSession;
import io.github.contextr2dbc.PartialCommitException;
import io.github.contextr2dbc.TransactionAbortedException;
import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.model.Op.Category;
import io.r2dbc.spi.R2dbcException;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.test.util.RaceTestUtils;
import reactor.util.context.Context;

import static io.github.contextr2dbc.UnitOfWork.dbSession;

/**
 * Runs a program against real databases through the public API only, recording the hooks that ran and the
 * errors caught, and classifying the program's end.
 */
final class ProgramRunner {

    /** The error of {@link Op.Raise}. */
    static final class AppFailure extends RuntimeException {

        private static final long serialVersionUID = 1L;

        AppFailure() {
            super("raised by the program", null, false, false);
        }
    }

    /** A before-commit hook's veto. */
    static final class Veto extends RuntimeException {

        private static final long serialVersionUID = 1L;

        Veto(int id) {
            super("vetoed by hook " + id, null, false, false);
        }
    }

    /** The program did not end within the guard time: a hang. */
    static final class Hang extends RuntimeException {

        private static final long serialVersionUID = 1L;

        Hang() {
            super("the program did not end within the guard time (a hang)");
        }
    }

    /** What a run produced besides the tables. */
    record Run(List<String> hooks, List<String> caught, @Nullable Throwable error) {
    }

    static final Duration GUARD = Duration.ofSeconds(20);

    private final List<Database> databases;

    private final List<String> hooks = new CopyOnWriteArrayList<>();

    private final List<String> caught = new CopyOnWriteArrayList<>();

    private ProgramRunner(List<Database> databases) {
        this.databases = databases;
    }

    /** Runs {@code program} in {@code inNewUnitOfWork}, blocking the calling (test) thread until it ends. */
    static Run run(List<Op> program, List<Database> databases) {
        ProgramRunner runner = new ProgramRunner(databases);
        Throwable error = null;
        try {
            // two guards: the timeout's timer thread may itself be broken (a StackOverflowError on an event
            // loop can leave the JVM unable to load classes), the blocking wait's own timeout is not
            UnitOfWork.inNewUnitOfWork(runner.sequence(program, new boolean[databases.size()], false))
                    .timeout(GUARD, Mono.error(new Hang()))
                    .block(GUARD.plusSeconds(5));
        } catch (RuntimeException failure) {
            error = Exceptions.unwrap(failure);
            if (error instanceof IllegalStateException && String.valueOf(error.getMessage())
                    .startsWith("Timeout on blocking read")) {
                error = new Hang();
            }
        }
        // the hooks list stays live: hooks of a commit whose subscriber left may still be running
        return new Run(runner.hooks, new ArrayList<>(runner.caught), error);
    }

    static Category categorize(Throwable error) {
        if (error instanceof TimeoutException) {
            return Category.TIMEOUT;
        }
        if (error instanceof TransactionAbortedException) {
            return Category.ABORTED;
        }
        if (error instanceof PartialCommitException) {
            return Category.PARTIAL;
        }
        if (error instanceof Veto) {
            return Category.VETO;
        }
        if (error instanceof AppFailure) {
            return Category.APP;
        }
        if (error instanceof R2dbcException) {
            return Category.DB;
        }
        if (error instanceof IllegalStateException) {
            return Category.STATE;
        }
        return error instanceof Hang ? Category.HANG : Category.OTHER;
    }

    private Mono<Void> sequence(List<Op> ops, boolean[] inBlock, boolean silent) {
        Mono<Void> chain = Mono.empty();
        for (Op op : ops) {
            chain = chain.then(Mono.defer(() -> build(op, inBlock, silent)));
        }
        return chain;
    }

    private Mono<DbSession> session(int db) {
        return dbSession(this.databases.get(db));
    }

    private Mono<Void> statement(Op op) {
        if (op instanceof Op.Insert insert) {
            return session(insert.db()).flatMap(s -> s.sql("INSERT INTO item VALUES ($1)").bind(0,
                    insert.value()).execute());
        }
        Op.Stmt stmt = (Op.Stmt) op;
        return session(stmt.db()).flatMap(s -> s.sql(stmt.kind().sql).execute());
    }

    private Mono<Void> build(Op op, boolean[] inBlock, boolean silent) {
        if (op instanceof Op.Insert || op instanceof Op.Stmt) {
            return statement(op);
        }
        if (op instanceof Op.Raise) {
            return Mono.error(new AppFailure());
        }
        if (op instanceof Op.Block block) {
            Atomic atomic = Atomic.atomic(this.databases.get(block.db())).savepoint(block.savepoint())
                    .durable(block.durable()).existing(block.existing());
            return atomic.wrap(sequence(block.body(), with(inBlock, block.db()), silent));
        }
        if (op instanceof Op.TimedBlock block) {
            Atomic atomic = Atomic.atomic(this.databases.get(block.db())).savepoint(block.savepoint())
                    .existing(block.existing());
            boolean[] inside = with(inBlock, block.db());
            // the timeout counts from the block's entry: a cancel before it would leave the outcome open
            // (entered and rolled back, or never entered)
            Sinks.Empty<Void> entered = Sinks.empty();
            Mono<Void> body = Mono.fromRunnable(entered::tryEmitEmpty);
            for (Op inner : block.body()) {
                body = body.then(Mono.defer(() -> build(inner, inside, true)).onErrorResume(e -> Mono.empty()));
            }
            return atomic.wrap(body.then(Mono.<Void>never()))
                    .timeout(entered.asMono().then(Mono.delay(Duration.ofMillis(block.timeoutMs()))));
        }
        if (op instanceof Op.Try attempt) {
            return sequence(attempt.body(), inBlock, silent).onErrorResume(
                    error -> attempt.catches().contains(categorize(error)),
                    error -> {
                        if (!silent) {
                            this.caught.add("try" + attempt.id() + ":" + categorize(error));
                        }
                        return Mono.empty();
                    });
        }
        if (op instanceof Op.OnCommit hook) {
            return Atomic.onCommit(this.databases.get(hook.db()),
                    Mono.fromRunnable(() -> this.hooks.add("on:" + hook.id())));
        }
        if (op instanceof Op.BeforeCommit hook) {
            return Atomic.beforeCommit(this.databases.get(hook.db()), Mono.defer(() -> {
                this.hooks.add("before:" + hook.id());
                return hook.veto() ? Mono.error(new Veto(hook.id())) : Mono.empty();
            }));
        }
        if (op instanceof Op.SetRollbackOnly mark) {
            return Atomic.setRollbackOnly(this.databases.get(mark.db()));
        }
        if (op instanceof Op.SessionEnd end) {
            switch (end.end()) {
                case COMMIT:
                    return session(end.db()).flatMap(DbSession::commit);
                case ROLLBACK:
                    return session(end.db()).flatMap(DbSession::rollback);
                case CLOSE:
                default:
                    return session(end.db()).flatMap(DbSession::close);
            }
        }
        if (op instanceof Op.Zip zip) {
            List<Mono<Integer>> branches = new ArrayList<>();
            for (List<Op> branch : zip.branches()) {
                Mono<Void> chain = Mono.empty();
                for (Op statement : branch) {
                    chain = chain.then(Mono.defer(() -> statement(statement)));
                }
                branches.add(chain.thenReturn(1));
            }
            return Mono.zip(branches, values -> values.length).then();
        }
        if (op instanceof Op.FlatMap flatMap) {
            return Flux.fromIterable(flatMap.statements())
                    .flatMap(statement -> flatMap.swallow()
                            ? statement(statement).onErrorResume(e -> Mono.empty()) : statement(statement),
                            Math.max(1, flatMap.statements().size()))
                    .then();
        }
        if (op instanceof Op.CancelledSelect select) {
            Mono<Void> sleep = session(select.db()).flatMap(s -> s.sql("SELECT pg_sleep("
                    + select.sleepMs() / 1000.0 + ")")
                            .execute())
                    .timeout(Duration.ofMillis(select.timeoutMs()))
                    .onErrorResume(e -> e instanceof TimeoutException || e instanceof TransactionAbortedException,
                            e -> Mono.empty());
            if (inBlock[select.db()]) {
                return sleep;
            }
            return session(select.db()).flatMap(s -> s.sql("SELECT 1").execute())
                    .onErrorResume(TransactionAbortedException.class, e -> Mono.empty())
                    .then(sleep);
        }
        if (op instanceof Op.CancelledCommit block) {
            Sinks.Empty<Void> bodyDone = Sinks.empty();
            Mono<Void> body = sequence(block.body(), with(inBlock, block.db()), silent)
                    .then(statement(new Op.Stmt(block.db(), Op.Kind.SLOW)))
                    .then(Mono.fromRunnable(bodyDone::tryEmitEmpty));
            return Atomic.atomic(this.databases.get(block.db())).wrap(body)
                    .timeout(bodyDone.asMono().then(Mono.delay(Duration.ofMillis(100))));
        }
        if (op instanceof Op.RaceBlock race) {
            Mono<Void> statement = race.statement() instanceof Op.Stmt
                    ? session(race.db()).flatMap(s -> s.sql("SELECT pg_sleep(0.001)").execute())
                    : statement(race.statement());
            Mono<Void> block = Atomic.atomic(this.databases.get(race.db())).savepoint(race.savepoint())
                    .wrap(statement(new Op.Insert(race.db(), race.value())).then(Mono.<Void>never()))
                    .timeout(Duration.ofMillis(race.timeoutMs()));
            // the block's insert is refused at once in an aborted transaction: ABORTED races the timeout
            return Mono.when(statement.onErrorResume(TransactionAbortedException.class, e -> Mono.empty()),
                    block.onErrorResume(e -> e instanceof TimeoutException || e instanceof TransactionAbortedException,
                            e -> Mono.empty()));
        }
        if (op instanceof Op.RacedCancel race) {
            Mono<Void> block = Atomic.atomic(this.databases.get(race.db())).savepoint(race.savepoint())
                    .wrap(statement(new Op.Insert(race.db(), race.value())).then(Mono.<Void>never()));
            // RaceTestUtils waits for both sides: on a thread that may block
            return Mono.deferContextual(context -> Mono.<Void>fromRunnable(() -> {
                Disposable.Swap swap = Disposables.swap();
                Mono<Void> inContext = block.contextWrite(Context.of(context));
                RaceTestUtils.race(Schedulers.boundedElastic(),
                        () -> swap.update(inContext.subscribe(done -> { }, error -> { })), swap::dispose);
            }).subscribeOn(Schedulers.boundedElastic()));
        }
        if (op instanceof Op.NewUnitOfWork nested) {
            return UnitOfWork.inNewUnitOfWork(sequence(nested.body(), new boolean[this.databases.size()], silent));
        }
        return Mono.error(new IllegalArgumentException("cannot run " + op));
    }

    private static boolean[] with(boolean[] inBlock, int db) {
        boolean[] next = inBlock.clone();
        next[db] = true;
        return next;
    }
}
