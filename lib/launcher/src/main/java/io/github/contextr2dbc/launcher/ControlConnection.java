package io.github.contextr2dbc.launcher;

import java.util.function.Function;

import io.r2dbc.spi.ConnectionFactory;

/**
 * The launcher's own connection to one server, opened on first use and kept, so that frequent calls such as
 * {@code awaitReplicaCaughtUp()} do not pay for a new PostgreSQL backend every time. A connection that broke
 * (server restarted) or failed is dropped, and the next call opens a new one. One caller at a time.
 */
final class ControlConnection implements AutoCloseable {

    private final ConnectionFactory factory;
    private SqlSession session;

    /**
     * Describes the connection; nothing is opened yet.
     *
     * @param factory where to connect
     */
    ControlConnection(ConnectionFactory factory) {
        this.factory = factory;
    }

    /**
     * Runs work on the connection, opening it first if needed.
     *
     * @param work what to do with the session; it must leave no transaction open
     * @param <T>  the result type
     * @return what the work returned
     */
    synchronized <T> T use(Function<SqlSession, T> work) {
        if (session != null && !session.isOpen()) {
            close();
        }
        if (session == null) {
            session = SqlSession.open(factory);
        }
        try {
            return work.apply(session);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Closes the connection if it is open; a later {@link #use(Function)} opens a new one. */
    @Override
    public synchronized void close() {
        if (session != null) {
            session.close();
            session = null;
        }
    }
}
