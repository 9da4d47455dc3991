package io.github.contextr2dbc.spring;

import java.util.Objects;

import io.github.contextr2dbc.Database;
import io.r2dbc.spi.Connection;
import org.jspecify.annotations.Nullable;
import org.springframework.transaction.IllegalTransactionStateException;
import org.springframework.transaction.ReactiveTransaction;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.TransactionException;
import org.springframework.transaction.support.DefaultTransactionDefinition;
import reactor.core.publisher.Mono;

/**
 * Spring's {@link ReactiveTransactionManager} for one {@link Database}, in terms of units of work: the
 * transaction that already exists is the current unit of work's. The Spring Boot auto-configuration
 * registers one per database ({@code <name>TransactionManager}, {@code @Primary} for the default one) in
 * place of Spring Boot's {@code R2dbcTransactionManager}, whose commits would otherwise commit the
 * request's session early.
 *
 * <p>{@code @Transactional} methods and the auto-configured {@code TransactionalOperator} get the full
 * propagation table of {@link UnitOfWorkTransactionalOperator} (the {@link TransactionalAdvisor} applies it
 * around Spring's own interceptor, which then asks this manager and only participates). Used on its own —
 * {@code TransactionalOperator.create(manager)}, or {@code @Transactional} where the advisor is not
 * registered — it can only join: REQUIRED, SUPPORTS and MANDATORY in a unit of work join it (isolation and
 * read-only checked or applied; a rollback makes the unit of work's commit fail, Spring's global
 * rollback-only rule); SUPPORTS, NOT_SUPPORTED and NEVER outside one run as they are; anything that needs a
 * unit of work of its own fails with an {@link IllegalTransactionStateException} naming the remedy, since
 * a transaction manager cannot put a new unit of work into the Context of the work it does not wrap.
 *
 * <p>Signals: every returned {@link Mono} is cold; error as described; cancel: nothing to undo.
 */
public final class UnitOfWorkTransactionManager implements ReactiveTransactionManager {

    private final Database database;

    /** A manager for {@code database}. */
    public UnitOfWorkTransactionManager(Database database) {
        this.database = Objects.requireNonNull(database, "database");
    }

    /** The database this manager's transactions are on. */
    public Database database() {
        return this.database;
    }

    @Override
    public Mono<ReactiveTransaction> getReactiveTransaction(@Nullable TransactionDefinition definition) {
        TransactionDefinition wanted = definition != null ? definition : new DefaultTransactionDefinition();
        return Mono.deferContextual(context -> {
            if (TransactionPropagation.Handled.consume(context)) {
                return Mono.just(new Participation(wanted, false, null));
            }
            boolean inUnitOfWork = TransactionPropagation.isInUnitOfWork(context);
            int propagation = wanted.getPropagationBehavior();
            boolean joins = inUnitOfWork && (propagation == TransactionDefinition.PROPAGATION_REQUIRED
                    || propagation == TransactionDefinition.PROPAGATION_SUPPORTS
                    || propagation == TransactionDefinition.PROPAGATION_MANDATORY);
            if (joins) {
                // the view keeps the asked settings for the session's transaction until commit or rollback
                return TransactionPropagation.hasSettings(wanted)
                        ? TransactionPropagation.withSettings(this.database, wanted)
                                .map(view -> new Participation(wanted, true, view))
                        : Mono.just(new Participation(wanted, true, null));
            }
            boolean runsAsItIs = !inUnitOfWork && (propagation == TransactionDefinition.PROPAGATION_SUPPORTS
                    || propagation == TransactionDefinition.PROPAGATION_NOT_SUPPORTED
                    || propagation == TransactionDefinition.PROPAGATION_NEVER);
            if (runsAsItIs) {
                return Mono.just(new Participation(wanted, false, null));
            }
            return Mono.error(new IllegalTransactionStateException(TransactionPropagation.describe(wanted)
                    + " (propagation " + propagationName(propagation) + ", " + (inUnitOfWork ? "in" : "outside")
                    + " a unit of work) needs what a transaction manager alone cannot do on database '"
                    + this.database.name() + "': apply it with the TransactionalOperator bean context-r2dbc "
                    + "configures (or UnitOfWorkTransactionalOperator.create(...)), with @Transactional, or with "
                    + "UnitOfWork.inNewUnitOfWork(...) / Atomic.atomic(db)"));
        });
    }

    @Override
    public Mono<Void> commit(ReactiveTransaction transaction) throws TransactionException {
        Participation participation = participation(transaction);
        return Mono.defer(() -> {
            participation.complete();
            Mono<Void> mark = participation.joined && participation.isRollbackOnly()
                    ? TransactionPropagation.markRollbackOnly(this.database, participation.definition, null)
                    : Mono.empty();
            return mark.then(participation.closeView());
        });
    }

    @Override
    public Mono<Void> rollback(ReactiveTransaction transaction) throws TransactionException {
        Participation participation = participation(transaction);
        return Mono.defer(() -> {
            participation.complete();
            Mono<Void> mark = participation.joined
                    ? TransactionPropagation.markRollbackOnly(this.database, participation.definition, null)
                    : Mono.empty();
            return mark.then(participation.closeView());
        });
    }

    @Override
    public String toString() {
        return "UnitOfWorkTransactionManager{" + this.database.name() + "}";
    }

    private static Participation participation(ReactiveTransaction transaction) {
        if (transaction instanceof Participation participation) {
            return participation;
        }
        throw new IllegalTransactionStateException("Not a transaction of a UnitOfWorkTransactionManager: "
                + transaction);
    }

    private static String propagationName(int propagation) {
        return switch (propagation) {
            case TransactionDefinition.PROPAGATION_REQUIRED -> "REQUIRED";
            case TransactionDefinition.PROPAGATION_SUPPORTS -> "SUPPORTS";
            case TransactionDefinition.PROPAGATION_MANDATORY -> "MANDATORY";
            case TransactionDefinition.PROPAGATION_REQUIRES_NEW -> "REQUIRES_NEW";
            case TransactionDefinition.PROPAGATION_NOT_SUPPORTED -> "NOT_SUPPORTED";
            case TransactionDefinition.PROPAGATION_NEVER -> "NEVER";
            case TransactionDefinition.PROPAGATION_NESTED -> "NESTED";
            default -> String.valueOf(propagation);
        };
    }

    /** A transaction that takes part in the unit of work (joined) or in nothing; never a new one. */
    private static final class Participation extends TransactionStatus {

        private final TransactionDefinition definition;

        private final boolean joined;

        /** The session view holding the asked isolation / read-only for the session's transaction, if any. */
        @Nullable
        private final Connection view;

        Participation(TransactionDefinition definition, boolean joined, @Nullable Connection view) {
            super(false);
            this.definition = definition;
            this.joined = joined;
            this.view = view;
        }

        @Override
        public boolean hasTransaction() {
            return this.joined;
        }

        Mono<Void> closeView() {
            return this.view == null ? Mono.empty() : Mono.from(this.view.close());
        }

        @Override
        public String toString() {
            return "Participation{" + TransactionPropagation.describe(this.definition) + (this.joined ? ", joined" : "")
                    + "}";
        }
    }
}
