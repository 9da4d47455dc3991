package io.github.contextr2dbc.spring;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Predicate;

import io.github.contextr2dbc.Atomic;
import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.UnitOfWork;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.Option;
import org.jspecify.annotations.Nullable;
import org.springframework.transaction.IllegalTransactionStateException;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.UnexpectedRollbackException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * Spring's transaction definitions (propagation, isolation, read-only, rollback rules) applied to a
 * publisher, in terms of units of work and atomic blocks: the one place the {@link TransactionalAdvisor},
 * the {@link UnitOfWorkTransactionalOperator} and the {@link UnitOfWorkTransactionManager} take their
 * semantics from. The table is on {@link UnitOfWorkTransactionalOperator}.
 */
final class TransactionPropagation {

    private TransactionPropagation() {
    }

    /** The definition's name for messages: the method, for {@code @Transactional}. */
    static String describe(TransactionDefinition definition) {
        String name = definition.getName();
        return name == null ? "a transaction" : name;
    }

    /**
     * {@code work} under {@code definition} on {@code database}.
     *
     * @param rollbackOn Spring's rollback rules: true if an error must roll back
     * @param participationMarker whether to mark the Context so that Spring's own transaction interceptor
     * running inside {@code work} participates without doing anything (see {@link UnitOfWorkTransactionManager})
     */
    static <T> Flux<T> apply(Database database, TransactionDefinition definition, Predicate<Throwable> rollbackOn,
            Flux<T> work, boolean participationMarker) {
        return Flux.deferContextual(context -> {
            Flux<T> body = participationMarker ? work.contextWrite(Handled.mark()) : work;
            boolean inUnitOfWork = isInUnitOfWork(context);
            String name = describe(definition);
            return switch (definition.getPropagationBehavior()) {
                case TransactionDefinition.PROPAGATION_REQUIRED ->
                        inUnitOfWork ? join(database, definition, rollbackOn, body) : newUnitOfWork(database,
                                definition, rollbackOn, body);
                case TransactionDefinition.PROPAGATION_SUPPORTS ->
                        inUnitOfWork ? join(database, definition, rollbackOn, body) : body;
                case TransactionDefinition.PROPAGATION_MANDATORY -> inUnitOfWork
                        ? join(database, definition, rollbackOn, body)
                        : Flux.error(new IllegalTransactionStateException(name + " has propagation MANDATORY but runs "
                                + "outside any unit of work: call it from a request, an atomic block or "
                                + "UnitOfWork.inNewUnitOfWork(...), or use REQUIRED"));
                case TransactionDefinition.PROPAGATION_REQUIRES_NEW -> newUnitOfWork(database,
                        definition, rollbackOn, body);
                case TransactionDefinition.PROPAGATION_NESTED -> inUnitOfWork
                        ? committingOn(rollbackOn, body, carried -> Atomic.atomic(database).wrap(carried))
                        : newUnitOfWork(database, definition, rollbackOn, body);
                case TransactionDefinition.PROPAGATION_NOT_SUPPORTED -> body.contextWrite(c ->
                        c.delete(UnitOfWork.class));
                case TransactionDefinition.PROPAGATION_NEVER -> inUnitOfWork
                        ? Flux.error(new IllegalTransactionStateException(name + " has propagation NEVER but runs in a "
                                + "unit of work (" + database.name() + "): call it outside requests and units of work, "
                                + "or use NOT_SUPPORTED to suspend the unit of work"))
                        : body;
                default -> Flux.error(new IllegalTransactionStateException(name + " has an unknown propagation "
                        + definition.getPropagationBehavior()));
            };
        });
    }

    static boolean isInUnitOfWork(ContextView context) {
        Optional<UnitOfWork> unitOfWork = UnitOfWork.find(context);
        return unitOfWork.isPresent() && !unitOfWork.get().isEnded();
    }

    // ---- joining ----

    private static <T> Flux<T> join(Database database, TransactionDefinition definition,
            Predicate<Throwable> rollbackOn,
            Flux<T> body) {
        Flux<T> settled = hasSettings(definition)
                ? Flux.usingWhen(withSettings(database, definition), connection -> body, Connection::close)
                : body;
        return settled.onErrorResume(rollbackOn,
                error -> markRollbackOnly(database, definition, error).then(Mono.error(error)));
    }

    /** Whether the definition asks for an isolation level or read-only. */
    static boolean hasSettings(TransactionDefinition definition) {
        return isolationOf(definition) != null || definition.isReadOnly();
    }

    /**
     * A view of the unit of work's session on {@code database} ({@code db.connectionFactory()}) on which
     * {@code beginTransaction} asked for the definition's isolation and read-only: the session's transaction
     * begins with them (if it has not begun yet) for as long as the view is open. Close it when the work ends.
     *
     * @return error {@link IllegalTransactionStateException} if the open transaction has other settings
     */
    static Mono<Connection> withSettings(Database database, TransactionDefinition definition) {
        io.r2dbc.spi.TransactionDefinition wanted = new R2dbcDefinition(isolationOf(definition),
                definition.isReadOnly());
        return Mono.usingWhen(Mono.from(database.connectionFactory().create()),
                        connection -> Mono.from(connection.beginTransaction(wanted)).thenReturn(connection),
                        connection -> Mono.empty(),
                        (connection, error) -> connection.close(),
                        Connection::close)
                .onErrorMap(IllegalStateException.class, error -> new IllegalTransactionStateException(
                        describe(definition) + " asks for " + wanted + " on database '" + database.name() + "': "
                                + error.getMessage(), error));
    }

    /**
     * Spring's global rollback-only rule: the unit of work's commit on {@code database} is vetoed with an
     * {@link UnexpectedRollbackException}, so a caller that recovers from the error still gets no commit.
     * Nothing to veto when no transaction is open on it (the failed work wrote nothing there).
     */
    static Mono<Void> markRollbackOnly(Database database, TransactionDefinition definition, @Nullable Throwable cause) {
        UnexpectedRollbackException veto = new UnexpectedRollbackException("Rolled back because " + describe(definition)
                + ", which joined this unit of work on database '" + database.name() + "', "
                + (cause == null ? "was marked rollback-only" : "failed: " + cause), cause);
        // outside any transaction the hook runs at once: nothing is open, so nothing needs the veto
        return Atomic.beforeCommit(database, Mono.error(veto)).onErrorResume(error -> error == veto,
                error -> Mono.empty());
    }

    // ---- a new unit of work ----

    private static <T> Flux<T> newUnitOfWork(Database database, TransactionDefinition definition,
            Predicate<Throwable> rollbackOn, Flux<T> body) {
        @Nullable IsolationLevel isolation = isolationOf(definition);
        return committingOn(rollbackOn, body, carried -> {
            if (isolation == null && !definition.isReadOnly()) {
                return UnitOfWork.inNewUnitOfWork(carried);
            }
            Atomic block = Atomic.atomic(database).readOnly(definition.isReadOnly());
            if (isolation != null) {
                block = block.isolationLevel(isolation);
            }
            return UnitOfWork.inNewUnitOfWork(block.wrap(carried));
        });
    }

    /**
     * Runs {@code body} in {@code scope}, where an error that the rollback rules say to commit for is carried
     * through the scope as an element (so the scope completes and commits) and raised again after it.
     */
    private static <T> Flux<T> committingOn(Predicate<Throwable> rollbackOn, Flux<T> body,
            Function<Flux<Object>, Flux<Object>> scope) {
        Flux<Object> carried = body.<Object>map(value -> value)
                .onErrorResume(error -> !rollbackOn.test(error), error -> Flux.just(new CommittedError(error)));
        return Flux.defer(() -> {
            // the carried error is the scope's last element; it is raised once the scope has completed (committed)
            AtomicReference<Throwable> held = new AtomicReference<>();
            return scope.apply(carried)
                    .<T>handle((element, sink) -> {
                        if (element instanceof CommittedError committed) {
                            held.set(committed.error());
                        } else {
                            @SuppressWarnings("unchecked")
                            T value = (T) element;
                            sink.next(value);
                        }
                    })
                    .concatWith(Mono.defer(() -> {
                        Throwable error = held.get();
                        return error == null ? Mono.empty() : Mono.error(error);
                    }));
        });
    }

    /** An error the rollback rules commit for, on its way through the scope. */
    private record CommittedError(Throwable error) {
    }

    @Nullable
    static IsolationLevel isolationOf(TransactionDefinition definition) {
        return switch (definition.getIsolationLevel()) {
            case TransactionDefinition.ISOLATION_READ_UNCOMMITTED -> IsolationLevel.READ_UNCOMMITTED;
            case TransactionDefinition.ISOLATION_READ_COMMITTED -> IsolationLevel.READ_COMMITTED;
            case TransactionDefinition.ISOLATION_REPEATABLE_READ -> IsolationLevel.REPEATABLE_READ;
            case TransactionDefinition.ISOLATION_SERIALIZABLE -> IsolationLevel.SERIALIZABLE;
            default -> null;
        };
    }

    /** The settings asked of the session's transaction, in R2DBC's terms. */
    private record R2dbcDefinition(@Nullable IsolationLevel isolation, boolean readOnly)
            implements io.r2dbc.spi.TransactionDefinition {

        @Override
        @SuppressWarnings("unchecked")
        @Nullable
        public <T> T getAttribute(Option<T> option) {
            if (option.equals(io.r2dbc.spi.TransactionDefinition.ISOLATION_LEVEL)) {
                return (T) this.isolation;
            }
            if (option.equals(io.r2dbc.spi.TransactionDefinition.READ_ONLY)) {
                return this.readOnly ? (T) Boolean.TRUE : null;
            }
            return null;
        }

        @Override
        public String toString() {
            return (this.isolation == null ? "" : "isolation " + this.isolation.asSql())
                    + (this.readOnly ? (this.isolation == null ? "" : ", ") + "read-only" : "");
        }
    }

    /**
     * The Context mark that tells the {@link UnitOfWorkTransactionManager} that the transaction Spring's own
     * interceptor is about to ask for was already applied around it: the first request under the mark
     * participates without doing anything; later ones (a transaction the method itself starts by hand) are
     * handled on their own.
     */
    static final class Handled {

        private final AtomicBoolean consumed = new AtomicBoolean();

        private Handled() {
        }

        static Function<Context, Context> mark() {
            return context -> context.put(Handled.class, new Handled());
        }

        /** Whether {@code context} carries a mark not used yet; uses it. */
        static boolean consume(ContextView context) {
            Handled handled = context.getOrDefault(Handled.class, null);
            return handled != null && handled.consumed.compareAndSet(false, true);
        }
    }
}
