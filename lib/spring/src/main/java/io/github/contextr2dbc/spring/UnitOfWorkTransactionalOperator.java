package io.github.contextr2dbc.spring;

import java.util.Objects;
import java.util.function.Predicate;

import io.github.contextr2dbc.Database;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.interceptor.TransactionAttribute;
import org.springframework.transaction.reactive.TransactionCallback;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.transaction.support.DefaultTransactionDefinition;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Spring's {@link TransactionalOperator} in terms of units of work and atomic blocks, for one
 * {@link Database}. The Spring Boot auto-configuration registers one for the default database as the
 * {@code transactionalOperator} bean.
 *
 * <table>
 * <caption>Propagation</caption>
 * <tr><th>propagation</th><th>in a unit of work (a request, {@code inNewUnitOfWork})</th><th>outside any
 * (a scheduled job)</th></tr>
 * <tr><td>REQUIRED (default)</td><td>joins it: nothing begins or commits when the work ends, the request's
 * status decides; if the work fails (or calls {@code setRollbackOnly()}), the unit of work's commit on
 * this database fails with Spring's {@code UnexpectedRollbackException} even if a caller recovers (Spring's
 * global rollback-only rule): never a commit of half the work</td><td>a new unit of work: commit on
 * complete, rollback on error or cancel</td></tr>
 * <tr><td>SUPPORTS</td><td>joins it, as REQUIRED</td><td>runs as it is</td></tr>
 * <tr><td>MANDATORY</td><td>joins it, as REQUIRED</td><td>fails: {@code IllegalTransactionStateException}</td></tr>
 * <tr><td>REQUIRES_NEW</td><td colspan="2">a new unit of work on a connection of its own, committed when the
 * work completes; the outer unit of work is untouched</td></tr>
 * <tr><td>NESTED</td><td>an atomic block: a savepoint inside another atomic block (or {@code @AtomicBlock},
 * or a NESTED method), otherwise the outermost block, which joins the open transaction and commits it
 * when it completes</td><td>a new unit of work</td></tr>
 * <tr><td>NOT_SUPPORTED</td><td colspan="2">runs without a unit of work: a statement fails with
 * {@code NoUnitOfWorkException}, or runs in auto-commit on a database with
 * {@code outsideUnitOfWork(AUTOCOMMIT)}</td></tr>
 * <tr><td>NEVER</td><td>fails: {@code IllegalTransactionStateException}</td><td>runs as it is</td></tr>
 * </table>
 *
 * <p>Isolation and read-only are applied when the transaction begins (a new unit of work, or a unit of
 * work whose transaction on this database has not begun yet); asking for them when a transaction with
 * other settings is already open fails with {@code IllegalTransactionStateException}, never a silently
 * weaker transaction. Rollback rules of a {@link TransactionAttribute} are honoured: an error they commit
 * for commits (or releases the savepoint) and is passed on. The timeout is not applied: use the
 * database's {@code statementTimeout} or Reactor's {@code timeout} (a cancel rolls back).
 *
 * <p>Signals of the returned publishers: complete as the work completes, after the commit of a new unit
 * of work (a failed commit is the error); error passes the work's error on after the rollback; cancel rolls
 * back what the operator began.
 */
public final class UnitOfWorkTransactionalOperator implements TransactionalOperator {

    private final Database database;

    private final TransactionDefinition definition;

    private final Predicate<Throwable> rollbackOn;

    private UnitOfWorkTransactionalOperator(Database database, TransactionDefinition definition) {
        this.database = database;
        this.definition = definition;
        this.rollbackOn = definition instanceof TransactionAttribute attribute ? attribute::rollbackOn : error -> true;
    }

    /** An operator for {@code database} with Spring's default definition (REQUIRED, default isolation). */
    public static UnitOfWorkTransactionalOperator create(Database database) {
        return create(database, new DefaultTransactionDefinition());
    }

    /** An operator for {@code database} with {@code definition}. */
    public static UnitOfWorkTransactionalOperator create(Database database, TransactionDefinition definition) {
        return new UnitOfWorkTransactionalOperator(Objects.requireNonNull(database, "database"),
                Objects.requireNonNull(definition, "definition"));
    }

    @Override
    public <T> Flux<T> transactional(Flux<T> flux) {
        return TransactionPropagation.apply(this.database, this.definition, this.rollbackOn, flux, false);
    }

    @Override
    public <T> Mono<T> transactional(Mono<T> mono) {
        return transactional(Flux.from(mono)).singleOrEmpty();
    }

    /**
     * Runs {@code action} under the definition; {@code status.setRollbackOnly()} rolls back what this
     * operator began (or, joined, makes the unit of work's commit fail) without an error from here.
     */
    @Override
    public <T> Flux<T> execute(TransactionCallback<T> action) {
        return Flux.defer(() -> {
            TransactionStatus status = new TransactionStatus(
                    this.definition.getPropagationBehavior() == TransactionDefinition.PROPAGATION_REQUIRES_NEW);
            Flux<T> work = Flux.defer(() -> Flux.from(action.doInTransaction(status)))
                    .concatWith(Mono.defer(() -> status.isRollbackOnly()
                            ? Mono.error(new RollbackRequested()) : Mono.empty()));
            return TransactionPropagation.apply(this.database, this.definition,
                            error -> error instanceof RollbackRequested || this.rollbackOn.test(error), work, false)
                    .onErrorResume(RollbackRequested.class, requested -> Mono.empty())
                    .doOnTerminate(status::complete);
        });
    }

    @Override
    public String toString() {
        return "UnitOfWorkTransactionalOperator{" + this.database.name() + ", " + this.definition + "}";
    }

    /** {@code setRollbackOnly()} from the callback, travelling to the end of the scope. */
    private static final class RollbackRequested extends RuntimeException {

        private static final long serialVersionUID = 1L;

        RollbackRequested() {
            super("rollback requested with setRollbackOnly()", null, false, false);
        }
    }
}
