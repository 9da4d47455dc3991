package io.github.contextr2dbc;

import java.util.function.Function;

import io.r2dbc.spi.Connection;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One database's session in a unit of work: at most one connection and its current transaction,
 * opened lazily.
 *
 * <p>Getting a session opens nothing. The first statement acquires a connection from the database's
 * pool and sends {@code BEGIN} (with the session's {@link SessionOptions}); later statements run in that
 * transaction on that connection. Statements run one at a time, in the order they are subscribed: each
 * statement's rows are drained before the next statement starts, so {@code Mono.zip} or {@code flatMap}
 * over one session cannot interleave statements or wedge the connection. (Do not start a statement on a
 * session from inside the row stream of another statement on the same session: collect the rows first.
 * For real parallelism use {@link UnitOfWork#inNewUnitOfWork(Flux)}, which gives each branch its own
 * connection.)
 *
 * <p>A session is thread-safe. Sessions in a unit of work are finished by the unit of work
 * ({@link UnitOfWork#commit()}, {@link UnitOfWork#rollback()}); the methods here allow finishing
 * earlier.
 */
public interface DbSession {

    /** The database this session belongs to. */
    Database database();

    /**
     * A statement to run in this session; bind its parameters ({@code $1}, {@code $2}, ... for
     * PostgreSQL), then pick how to read its result.
     *
     * @throws IllegalArgumentException if {@code sql} is null or blank
     */
    SqlStatement sql(String sql);

    /**
     * Runs {@code work} with this session's connection (acquired and in a transaction), holding the
     * session until the returned publisher terminates. For code that needs the R2DBC SPI directly; do not
     * close the connection or end its transaction here.
     *
     * @return a cold {@link Flux}: complete and error as {@code work}'s publisher (acquiring or
     * {@code BEGIN} failing is an error); cancel cancels {@code work} and frees the session for the next
     * statement, leaving the transaction open for the unit of work to finish
     */
    <T> Flux<T> withConnection(Function<? super Connection, ? extends Publisher<T>> work);

    /**
     * Commits the current transaction, if one is open, and keeps the connection: the next statement
     * opens a new transaction on it. Runs after every statement subscribed before it.
     *
     * @return a {@link Mono} completing once committed (at once if no transaction is open); error: the
     * commit failed (the transaction is then over), or an earlier statement's error had aborted the
     * transaction (it is rolled back and an {@link IllegalStateException} says so); cancel: the commit
     * still runs to its end
     */
    Mono<Void> commit();

    /**
     * Rolls the current transaction back, if one is open, and keeps the connection.
     *
     * @return a {@link Mono} completing once rolled back; error: the rollback failed; cancel: the
     * rollback still runs to its end
     */
    Mono<Void> rollback();

    /**
     * Rolls back any open transaction and releases the connection to the pool. The session stays usable:
     * the next statement acquires a new connection.
     *
     * @return a {@link Mono} completing once the connection is released; error: the rollback or release
     * failed (the connection is released all the same), or {@link IllegalStateException} inside an atomic
     * block on this session, like {@link #commit()} and {@link #rollback()} (nothing is done: the block
     * rolls back or commits when it ends); cancel: the close still runs to its end
     */
    Mono<Void> close();

    /** Whether the session holds a connection now (a snapshot). */
    boolean isConnected();

    /** Whether a transaction is open now (a snapshot). */
    boolean inTransaction();

    /** The options the next transaction opens with. */
    SessionOptions options();

    /**
     * Sets the options of the session's transactions, before its first statement or between
     * transactions.
     *
     * @return this session
     * @throws IllegalStateException if a transaction is open (options apply when a transaction begins:
     * commit or roll back first)
     */
    DbSession options(SessionOptions options);
}
