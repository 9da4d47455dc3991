package io.github.contextr2dbc;

import java.time.Duration;

import io.r2dbc.spi.IsolationLevel;
import org.jspecify.annotations.Nullable;

/**
 * How a session opens its transactions: isolation level, read-only, statement and lock timeouts.
 *
 * <p>Every option is scoped to the transaction ({@code BEGIN ISOLATION LEVEL ... READ ONLY} and
 * {@code SET LOCAL ...}), so nothing outlives the transaction and a connection goes back to the pool
 * exactly as it came out. Immutable; build with {@link #builder()}. {@link #DEFAULTS} leaves every
 * setting to the server.
 */
public final class SessionOptions {

    /** The server's defaults: no isolation level, read-write, no timeouts set. */
    public static final SessionOptions DEFAULTS = builder().build();

    @Nullable
    private final IsolationLevel isolationLevel;

    private final boolean readOnly;

    @Nullable
    private final Duration statementTimeout;

    @Nullable
    private final Duration lockTimeout;

    private final String beginSql;

    private SessionOptions(Builder builder) {
        this.isolationLevel = builder.isolationLevel;
        this.readOnly = builder.readOnly;
        this.statementTimeout = builder.statementTimeout;
        this.lockTimeout = builder.lockTimeout;
        this.beginSql = beginSql();
    }

    /** A builder with every option at its default. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        Builder builder = new Builder();
        builder.isolationLevel = this.isolationLevel;
        builder.readOnly = this.readOnly;
        builder.statementTimeout = this.statementTimeout;
        builder.lockTimeout = this.lockTimeout;
        return builder;
    }

    /** The isolation level, or {@code null} for the server's default. */
    @Nullable
    public IsolationLevel isolationLevel() {
        return this.isolationLevel;
    }

    /** Whether transactions are opened {@code READ ONLY}. */
    public boolean readOnly() {
        return this.readOnly;
    }

    /** The statement timeout, or {@code null} for the server's setting. */
    @Nullable
    public Duration statementTimeout() {
        return this.statementTimeout;
    }

    /** The lock timeout, or {@code null} for the server's setting. */
    @Nullable
    public Duration lockTimeout() {
        return this.lockTimeout;
    }

    /** The one simple query that opens a transaction with these options (PostgreSQL syntax). */
    String begin() {
        return this.beginSql;
    }

    private String beginSql() {
        StringBuilder sql = new StringBuilder("BEGIN");
        if (this.isolationLevel != null) {
            sql.append(" ISOLATION LEVEL ").append(this.isolationLevel.asSql());
        }
        if (this.readOnly) {
            sql.append(" READ ONLY");
        }
        // values are whole milliseconds from a Duration: numbers, never user text
        if (this.statementTimeout != null) {
            sql.append("; SET LOCAL statement_timeout = ").append(this.statementTimeout.toMillis());
        }
        if (this.lockTimeout != null) {
            sql.append("; SET LOCAL lock_timeout = ").append(this.lockTimeout.toMillis());
        }
        return sql.toString();
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof SessionOptions)) {
            return false;
        }
        SessionOptions that = (SessionOptions) other;
        return this.beginSql.equals(that.beginSql);
    }

    @Override
    public int hashCode() {
        return this.beginSql.hashCode();
    }

    @Override
    public String toString() {
        return "SessionOptions{" + this.beginSql + "}";
    }

    /** Builds {@link SessionOptions}; every setter names its default. */
    public static final class Builder {

        @Nullable
        private IsolationLevel isolationLevel;

        private boolean readOnly;

        @Nullable
        private Duration statementTimeout;

        @Nullable
        private Duration lockTimeout;

        private Builder() {
        }

        /** The isolation level of each transaction. Default: {@code null}, the server's default. */
        public Builder isolationLevel(@Nullable IsolationLevel isolationLevel) {
            this.isolationLevel = isolationLevel;
            return this;
        }

        /** Whether transactions are {@code READ ONLY}. Default: {@code false}. */
        public Builder readOnly(boolean readOnly) {
            this.readOnly = readOnly;
            return this;
        }

        /**
         * The longest a statement may run before the server cancels it ({@code SET LOCAL
         * statement_timeout}); whole milliseconds, at least 1. Default: {@code null}, the server's setting.
         *
         * @throws IllegalArgumentException if the timeout is below one millisecond
         */
        public Builder statementTimeout(@Nullable Duration statementTimeout) {
            this.statementTimeout = positiveMillis("statementTimeout", statementTimeout);
            return this;
        }

        /**
         * The longest a statement may wait for a lock ({@code SET LOCAL lock_timeout}); whole
         * milliseconds, at least 1. Default: {@code null}, the server's setting.
         *
         * @throws IllegalArgumentException if the timeout is below one millisecond
         */
        public Builder lockTimeout(@Nullable Duration lockTimeout) {
            this.lockTimeout = positiveMillis("lockTimeout", lockTimeout);
            return this;
        }

        /** The options. */
        public SessionOptions build() {
            return new SessionOptions(this);
        }

        @Nullable
        private static Duration positiveMillis(String name, @Nullable Duration value) {
            if (value != null && value.toMillis() < 1) {
                throw new IllegalArgumentException(name + " must be at least 1 ms (got " + value
                        + "); pass null to keep the server's setting");
            }
            return value;
        }
    }
}
