package io.github.contextr2dbc.spring;

import org.springframework.transaction.ReactiveTransaction;

/**
 * The {@link ReactiveTransaction} handed to Spring by the {@link UnitOfWorkTransactionManager} and to
 * callbacks by the {@link UnitOfWorkTransactionalOperator}: whether it is new, the rollback-only mark, and
 * whether it completed. Thread-safe.
 */
class TransactionStatus implements ReactiveTransaction {

    private final boolean newTransaction;

    private volatile boolean rollbackOnly;

    private volatile boolean completed;

    TransactionStatus(boolean newTransaction) {
        this.newTransaction = newTransaction;
    }

    @Override
    public boolean isNewTransaction() {
        return this.newTransaction;
    }

    @Override
    public void setRollbackOnly() {
        this.rollbackOnly = true;
    }

    @Override
    public boolean isRollbackOnly() {
        return this.rollbackOnly;
    }

    @Override
    public boolean isCompleted() {
        return this.completed;
    }

    void complete() {
        this.completed = true;
    }
}
