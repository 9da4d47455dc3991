package io.github.contextr2dbc;

/** What a {@link Database#connectionFactory() session-aware ConnectionFactory} does outside a unit of work. */
public enum OutsideUnitOfWork {

    /** Fail with {@link NoUnitOfWorkException}: nothing runs outside a unit of work by accident. */
    FAIL,

    /**
     * Hand out a plain pooled connection in auto-commit mode, which the caller closes (for legacy code
     * that manages its own connections). Nothing is rolled back for it.
     */
    AUTOCOMMIT
}
