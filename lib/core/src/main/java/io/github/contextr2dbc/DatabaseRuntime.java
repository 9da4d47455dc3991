package io.github.contextr2dbc;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Result;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * What a {@link Database} does at run time (the handle and its builder hold the configuration): acquiring
 * connections from the current pool generation, counting them, switching host (a new generation, the old
 * one retired) and closing.
 *
 * <table>
 * <caption>States of the database (pool generations have their own, see {@link PoolGeneration})</caption>
 * <tr><th>state</th><th>acquire</th><th>changeHost</th><th>close</th></tr>
 * <tr><td>open</td><td>from the current generation (its pool created on first use)</td><td>a new current
 * generation; the old one retired</td><td>closed; the current generation retired</td></tr>
 * <tr><td>closed</td><td>fails</td><td>fails</td><td>does nothing</td></tr>
 * </table>
 */
final class DatabaseRuntime {

    private static final Logger log = LoggerFactory.getLogger(DatabaseRuntime.class);

    /** What a cancel of an acquisition does: the one difference between the two callers of {@link #acquire}. */
    enum Cancellation {

        /**
         * The caller never cancels the acquisition: the generation is given back on error only (the same
         * steps as a session's acquisition, which {@link SessionAcquisition} makes in its own subscriber).
         */
        CALLER_NEVER_CANCELS,

        /**
         * The caller may cancel (a plain pooled connection handed out outside a unit of work): a cancel gives
         * the generation back (the pool takes back a connection that arrives later).
         */
        CANCEL_GIVES_BACK
    }

    private final Database database;

    private final AtomicLong acquisitions = new AtomicLong();

    private final AtomicInteger inUse = new AtomicInteger();

    private final AtomicLong connectionResets = new AtomicLong();

    private final AtomicReference<PoolGeneration> generation;

    private volatile boolean closed;

    /** The runtime of {@code database}, starting on {@code host}; its factory is made now, on this thread. */
    DatabaseRuntime(Database database, String host) {
        this.database = database;
        this.generation = new AtomicReference<>(
                new PoolGeneration(this, host, database.settings().connectionFactoryCreator.apply(host)));
    }

    String name() {
        return this.database.name();
    }

    Database database() {
        return this.database;
    }

    /** The current generation (the host new connections go to). */
    PoolGeneration current() {
        return this.generation.get();
    }

    boolean isClosed() {
        return this.closed;
    }

    long acquisitions() {
        return this.acquisitions.get();
    }

    AtomicInteger inUseCounter() {
        return this.inUse;
    }

    long connectionResets() {
        return this.connectionResets.get();
    }

    /**
     * A connection from the current pool generation, after the database's {@code beforeSession} hook.
     *
     * @return a {@link Mono} of the connection and the generation it must be given back to; error: the
     * database is closed, the hook failed, or the pool could not provide a connection in time; cancel: as
     * {@code cancellation} says
     */
    Mono<Lease> acquire(Cancellation cancellation) {
        // a session acquires through SessionAcquisition instead (the same steps in the subscriber that then
        // runs its statement: it is what a unit of work keeps while it waits for a connection)
        Mono<Lease> acquire = Mono.defer(() -> acquireFromCurrent(cancellation));
        Function<? super Database, ? extends Mono<Void>> beforeSession = this.database.settings().beforeSession;
        return beforeSession == null ? acquire : Mono.defer(() -> beforeSession.apply(this.database)).then(acquire);
    }

    private Mono<Lease> acquireFromCurrent(Cancellation cancellation) {
        if (this.closed) {
            return Mono.error(closedError());
        }
        PoolGeneration entered = enterCurrent();
        Mono<Lease> leased = this.database.acquireThroughSource(entered).map(connection -> leased(connection, entered));
        if (cancellation == Cancellation.CALLER_NEVER_CANCELS) {
            return leased.onErrorResume(error -> entered.leave().then(Mono.error(error)));
        }
        // the entry is kept by the lease on success, and given back on error or cancel
        return Mono.usingWhen(Mono.just(entered), ignored -> leased, ignored -> Mono.empty(),
                (ignored, error) -> entered.leave(), PoolGeneration::leave);
    }

    /** {@code connection}, acquired from {@code from}, as a counted lease. */
    Lease leased(Connection connection, PoolGeneration from) {
        this.acquisitions.incrementAndGet();
        return new Lease(connection, from);
    }

    /** The current pool generation, entered (the caller must {@link PoolGeneration#leave() leave} it). */
    PoolGeneration enterCurrent() {
        for (;;) {
            PoolGeneration current = this.generation.get();
            if (current.enter()) {
                return current;
            }
            // that generation was disposed between get() and enter(): a newer one is current now
        }
    }

    /** See {@link Database#changeHost(String)}; the arguments are checked. */
    Mono<Void> changeHost(String host) {
        if (this.closed) {
            return Mono.error(closedError());
        }
        if (this.generation.get().host().equals(host)) {
            return Mono.empty();
        }
        // the creator may block (a driver lookup reads jar files): it runs on a thread that may block
        return Mono.fromCallable(() -> this.database.settings().connectionFactoryCreator.apply(host))
                .subscribeOn(Schedulers.boundedElastic())
                .flatMap(factory -> switchTo(host, factory));
    }

    private Mono<Void> switchTo(String host, ConnectionFactory factory) {
        for (;;) {
            PoolGeneration current = this.generation.get();
            if (current.host().equals(host)) {
                return Mono.empty();
            }
            PoolGeneration next = new PoolGeneration(this, host, factory);
            if (this.generation.compareAndSet(current, next)) {
                return Uncancellable.run("Retiring the pool of", name() + " at " + current.host(), current.retire());
            }
        }
    }

    /** See {@link Database#close()}. */
    Mono<Void> close() {
        if (this.closed) {
            return Mono.empty();
        }
        this.closed = true;
        return Uncancellable.run("Closing database", name(), this.generation.get().retire());
    }

    /**
     * Rolls back the transaction a connection is given back in and puts it back in auto-commit mode (see
     * {@link Lease#release()}).
     */
    Mono<Void> reset(Connection connection) {
        this.connectionResets.incrementAndGet();
        log.debug("A connection of database '{}' was given back inside a transaction: rolling it back", name());
        // a ROLLBACK statement rather than rollbackTransaction(): the driver skips that call unless the
        // transaction was opened through beginTransaction(), while a statement always takes effect
        return Flux.from(connection.createStatement("ROLLBACK").execute())
                .concatMap(Result::getRowsUpdated)
                .then(Mono.defer(() -> connection.isAutoCommit() ? Mono.<Void>empty()
                        : Mono.from(connection.setAutoCommit(true))));
    }

    /** The error of an acquisition from a closed database. */
    IllegalStateException closedError() {
        return new IllegalStateException("Database '" + name() + "' is closed: no new connections are handed "
                + "out. Build a new Database, or stop using this one after close()");
    }

    @Override
    public String toString() {
        return "DatabaseRuntime{" + name() + " @ " + this.generation.get().host() + (this.closed ? ", closed" : "")
                + "}";
    }
}
