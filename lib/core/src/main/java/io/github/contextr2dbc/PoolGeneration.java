package io.github.contextr2dbc;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.PoolMetrics;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * The pool of one host of a {@link Database}, created on first use.
 *
 * <p>When the database switches host, the generation is retired: it serves no new acquisitions, and
 * its pool is disposed once the last connection taken from it (or still being acquired from it) has
 * come back. {@code users} counts those connections; {@code -1} means disposed.
 */
final class PoolGeneration {

    private final DatabaseRuntime runtime;

    private final String host;

    private final AtomicInteger users = new AtomicInteger();


    private volatile boolean retired;

    @Nullable
    private volatile ConnectionPool pool;

    private final ConnectionFactory connectionFactory;

    /** {@link #acquire()}'s publisher, made on first use (a race makes two equal ones: harmless). */
    @Nullable
    private volatile Mono<Connection> acquisition;

    PoolGeneration(DatabaseRuntime runtime, String host, ConnectionFactory connectionFactory) {
        this.runtime = runtime;
        this.host = host;
        this.connectionFactory = connectionFactory;
    }

    String host() {
        return this.host;
    }

    DatabaseRuntime runtime() {
        return this.runtime;
    }

    /**
     * Counts one more user, unless the generation is already disposed.
     *
     * @return whether the caller may acquire from this generation (and must {@link #leave()} later)
     */
    boolean enter() {
        for (;;) {
            int users = this.users.get();
            if (users < 0) {
                return false;
            }
            if (this.users.compareAndSet(users, users + 1)) {
                this.runtime.inUseCounter().incrementAndGet();
                return true;
            }
        }
    }

    /**
     * A connection from this generation's pool, for a caller that has {@link #enter() entered} (and counts
     * the acquisition in {@link Database#acquisitions()}).
     *
     * @return a {@link Mono} of a pooled connection; error: the pool could not provide one (the caller
     * must still {@link #leave()}); cancel: the pool takes back a connection that arrives later
     */
    Mono<Connection> acquire() {
        // one acquisition publisher per generation, not one per acquisition (it is stateless): a unit of work
        // waiting for a connection does not keep a copy of it
        Mono<Connection> acquisition = this.acquisition;
        if (acquisition == null) {
            DatabaseSettings settings = this.runtime.database().settings();
            Mono<Connection> fromPool = Mono.defer(() -> pool().create());
            acquisition = settings.timesAcquisitions()
                    ? new AcquireTimeout(fromPool, settings.acquireTimeout, settings.name)
                    : fromPool; // no acquire timeout: waits as long as the pool makes it
            this.acquisition = acquisition;
        }
        return acquisition;
    }

    /**
     * Counts one user less; disposes the pool when the generation is retired and this was the last one.
     *
     * @return a {@link Mono} completing when done (including the disposal, if this call made it)
     */
    Mono<Void> leave() {
        return Mono.defer(() -> {
            this.runtime.inUseCounter().decrementAndGet();
            if (this.users.decrementAndGet() == 0 && this.retired && this.users.compareAndSet(0, -1)) {
                return disposePool();
            }
            return Mono.empty();
        });
    }

    /**
     * Serves no new users from now on; disposes the pool at once if nobody uses it.
     *
     * @return a {@link Mono} completing when done; the pool of a generation still in use is disposed
     * later, by the last {@link #leave()}
     */
    Mono<Void> retire() {
        return Mono.defer(() -> {
            this.retired = true;
            if (this.users.compareAndSet(0, -1)) {
                return disposePool();
            }
            return Mono.empty();
        });
    }

    Optional<PoolMetrics> metrics() {
        ConnectionPool pool = this.pool;
        return pool == null ? Optional.empty() : pool.getMetrics();
    }

    /** The (unpooled) factory of this host. */
    ConnectionFactory connectionFactory() {
        return this.connectionFactory;
    }

    private Mono<Void> disposePool() {
        ConnectionPool pool = this.pool;
        return pool == null ? Mono.empty() : pool.disposeLater();
    }

    private ConnectionPool pool() {
        ConnectionPool pool = this.pool;
        if (pool == null) {
            synchronized (this) {
                pool = this.pool;
                if (pool == null) {
                    pool = new ConnectionPool(
                            this.runtime.database().settings().poolConfiguration(this.connectionFactory));
                    this.pool = pool;
                }
            }
        }
        return pool;
    }
}
