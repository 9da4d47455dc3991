package io.github.contextr2dbc;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.UnaryOperator;

import io.r2dbc.pool.PoolMetrics;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A handle for one logical database: its name, how to connect to its current host, the pool options,
 * and the options of its sessions.
 *
 * <p>Nothing connects when the handle is built: the driver's {@link ConnectionFactory} for the first
 * host is made then (finding a driver may read jar files, so build handles at start-up, not on an event
 * loop), and the pool is created on the first acquisition, once, however many callers race for it. The
 * handle's identity keys its session in a unit of work, so one handle per database is shared by the
 * whole application (a Spring bean, a static field).
 *
 * <p>{@link #changeHost(String)} switches the host at run time: new connections come from a new pool at
 * once, while connections already taken from the old pool finish their work and are returned to it, and
 * the old pool is disposed after the last one. {@link #close()} disposes the pool the same way.
 *
 * <pre>{@code
 * Database main = Database.builder("main")
 *         .url("r2dbc:postgresql://app@db1.internal:5432/shop")
 *         .maxSize(20)
 *         .build();
 * }</pre>
 */
public final class Database {

    /** The pool's default {@linkplain DatabaseBuilder#initialSize(int) initial size}: 0, nothing opens before use. */
    public static final int DEFAULT_INITIAL_SIZE = 0;

    /** The pool's default {@linkplain DatabaseBuilder#maxSize(int) maximum size}: 10 connections. */
    public static final int DEFAULT_MAX_SIZE = 10;

    /** The default {@linkplain DatabaseBuilder#acquireTimeout(Duration) acquire timeout}: 10 seconds. */
    public static final Duration DEFAULT_ACQUIRE_TIMEOUT = Duration.ofSeconds(10);

    /** The default {@linkplain DatabaseBuilder#maxIdleTime(Duration) idle time} of a pooled connection: 30 min. */
    public static final Duration DEFAULT_MAX_IDLE_TIME = Duration.ofMinutes(30);

    /** The default {@linkplain DatabaseBuilder#maxLifeTime(Duration) life time} of a pooled connection: 30 min. */
    public static final Duration DEFAULT_MAX_LIFE_TIME = Duration.ofMinutes(30);

    private static final AtomicLong SEQUENCE = new AtomicLong();

    private final long order = SEQUENCE.incrementAndGet();

    /** The Reactor Context key of the innermost atomic block on this database. */
    private final Object atomicKey = new Object();

    private final DatabaseSettings settings;

    private final DatabaseRuntime runtime;

    private final SessionConnectionFactory sessionConnectionFactory;

    // ---- routing: the primary this database replicates, and whether any database replicates it ----

    @Nullable
    private final Database replicaOf;

    /** Set when a replica of this database is built: sessions that wrote then note their commit's WAL position. */
    private volatile boolean hasReplicas;

    // ---- test-support seam (context-r2dbc-test): where sessions' connections come from ----
    @Nullable
    private volatile UnaryOperator<Mono<Connection>> connectionSource;

    @Nullable
    private volatile UnaryOperator<Mono<Void>> onCommitHooks;

    Database(DatabaseSettings settings) {
        this.settings = settings;
        // for routing: a replica's sessions always begin READ ONLY; its primary learns it has replicas
        this.replicaOf = settings.replicaOf;
        if (settings.replicaOf != null) {
            settings.replicaOf.hasReplicas = true;
        }
        // the first host's factory is made now, on the building thread: finding a driver may read jar files
        this.runtime = new DatabaseRuntime(this, settings.host);
        this.sessionConnectionFactory = new SessionConnectionFactory(this);
    }

    /**
     * A builder for a database called {@code name} (used in logs, metrics and error messages).
     *
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public static DatabaseBuilder builder(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("A database needs a non-blank name, e.g. \"main\"");
        }
        return new DatabaseBuilder(name);
    }

    /** The database's name. */
    public String name() {
        return this.settings.name;
    }

    /** The host new connections go to (for a {@link DatabaseBuilder#url(String) URL}: {@code host:port}). */
    public String host() {
        return this.runtime.current().host();
    }

    /** The options sessions of this database start with. */
    public SessionOptions sessionOptions() {
        return this.settings.sessionOptions;
    }

    /**
     * A {@link ConnectionFactory} whose connections are the current unit of work's session for this
     * database: any R2DBC client built on it (Spring's {@code DatabaseClient}, Spring Data R2DBC, plain
     * SPI code) runs its statements in that session, on its connection, in its transaction. Creating a
     * connection opens nothing; closing it leaves the session open (the unit of work finishes it).
     * Outside a unit of work it fails with {@link NoUnitOfWorkException}, or hands out plain pooled
     * connections in auto-commit mode if the database was built with
     * {@link OutsideUnitOfWork#AUTOCOMMIT}; one closed inside a transaction is rolled back before the pool
     * hands it out again.
     *
     * <p>On a session's connection, {@code beginTransaction()} joins the session's transaction (opened by
     * its first statement). {@code beginTransaction(definition)} (Spring's {@code R2dbcTransactionManager}
     * passes isolation level and read-only this way) opens the session's next transaction, that one only,
     * with the definition's isolation level, {@code READ ONLY} if asked and its lock wait timeout (a
     * read-only {@code false} keeps the session's setting). If the session's transaction is already open,
     * it joins when that transaction (its settings read from the server) already satisfies the definition
     * — the same or a stronger isolation level, read-only when read-only is asked — and otherwise fails
     * with an {@link IllegalStateException}: settings are never silently weakened. Statements check their
     * arguments and bindings when the calls are made, as the R2DBC SPI says; {@code validate} answers
     * false once the connection is closed.
     */
    public ConnectionFactory connectionFactory() {
        return this.sessionConnectionFactory;
    }

    /**
     * Switches new connections to {@code host}. Connections in use finish on the old host and go back to
     * the old pool, which is disposed when the last one is back. Nothing happens if the host is the same.
     * The connection factory for the new host is made on a bounded-elastic thread.
     *
     * @return a cold {@link Mono}: complete once switched (and the old pool disposed, if it was idle);
     * error: {@link IllegalArgumentException} for a blank host, {@link IllegalStateException} if the
     * database was built from a fixed {@link ConnectionFactory} or is closed; cancel: the switch, once
     * started, still completes
     */
    public Mono<Void> changeHost(String host) {
        return Mono.defer(() -> {
            if (host == null || host.isBlank()) {
                return Mono.error(new IllegalArgumentException("changeHost needs a host, e.g. \"db2.internal:5432\""));
            }
            if (!this.settings.hostSwitchable) {
                return Mono.error(new IllegalStateException("Database '" + this.settings.name + "' was built from a "
                        + "fixed ConnectionFactory and cannot change host: build it with url(...) or "
                        + "connectionFactory(host -> ...) instead"));
            }
            return this.runtime.changeHost(host);
        });
    }

    /**
     * Closes the database: no new connection is handed out, and the pool is disposed once every
     * connection in use is back (at once if none is). Calling it again does nothing.
     *
     * @return a cold {@link Mono}: complete once closed (the pool disposed, if it was idle); error: the
     * pool failed to dispose; cancel: the close, once started, still completes
     */
    public Mono<Void> close() {
        return Mono.defer(this.runtime::close);
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return this.runtime.isClosed();
    }

    /** The current pool's metrics; empty until the pool is first used. */
    public Optional<PoolMetrics> poolMetrics() {
        return this.runtime.current().metrics();
    }

    /** How many connections sessions of this database have acquired from its pools since it was built. */
    public long acquisitions() {
        return this.runtime.acquisitions();
    }

    /**
     * How many connections sessions hold (or are acquiring) now, from the current pool and from pools
     * retired by {@link #changeHost(String)} that still have connections out.
     */
    public int connectionsInUse() {
        return this.runtime.inUseCounter().get();
    }

    /**
     * A session outside any unit of work (for background work), which the caller manages: it opens
     * nothing until its first statement, and the caller must {@link DbSession#commit() commit} or
     * {@link DbSession#rollback() roll back} and {@link DbSession#close() close} it, or the connection
     * stays acquired. Prefer {@link #inSession(Function)}, which does that for you.
     */
    public DbSession newSession() {
        return new ContextSession(this);
    }

    /**
     * Runs {@code work} with a new session outside any unit of work (it is not visible to
     * {@link UnitOfWork#dbSession(Database)}).
     *
     * @return a cold {@link Flux} of {@code work}'s elements: complete commits the session's transaction
     * and then completes (a failed commit is the error); error rolls back and passes the error on (a
     * failed rollback is added to it as suppressed); cancel rolls back. The connection is released on
     * every path.
     */
    public <T> Flux<T> inSession(Function<? super DbSession, ? extends Publisher<T>> work) {
        // the commit is part of the main sequence, so that its error reaches the subscriber unchanged
        return Flux.usingWhen(
                Mono.fromSupplier(() -> new ContextSession(this)),
                session -> Flux.<T>from(work.apply(session))
                        .concatWith(Mono.defer(() -> session.finish(Finish.COMMIT_AND_END)).then(Mono.empty())),
                session -> Mono.empty(),
                (session, error) -> session.finish(Finish.ROLLBACK_AND_END).then()
                        .onErrorResume(SuppressedFailure.into(error)),
                session -> session.finish(Finish.ROLLBACK_AND_END));
    }

    @Override
    public String toString() {
        return "Database{" + this.settings.name + " @ " + host() + "}";
    }

    /**
     * The primary this database is a streaming replica of ({@link DatabaseBuilder#replicaOf(Database)}), or null
     * for a primary or a database of its own.
     */
    @Nullable
    public Database replicaOf() {
        return this.replicaOf;
    }

    /**
     * For test support (context-r2dbc-test's rollback per test), not for applications: replaces where
     * sessions of this database, and connections of {@link #connectionFactory()} outside a unit of work,
     * take their connections from. {@code source} is given the pool's acquisition (cold: nothing is taken
     * from the pool unless it is subscribed) and returns the connection to use instead; that connection is
     * handed back by {@code close()}, after a {@code ROLLBACK} if {@code isAutoCommit()} answers false, as
     * a pooled one. {@code null} restores the pool. Connections already handed out are not affected.
     */
    public void connectionSource(@Nullable UnaryOperator<Mono<Connection>> source) {
        this.connectionSource = source;
    }

    /**
     * For test support (context-r2dbc-test's capture of on-commit hooks), not for applications: every
     * {@link Atomic#onCommit(Database, Mono, boolean) on-commit hook} registered on this database from now
     * on is registered as {@code wrapper} applied to it (the wrapper's result runs where the hook would
     * have, only if its transaction commits). {@code null} registers hooks as they are.
     */
    public void onCommitHooks(@Nullable UnaryOperator<Mono<Void>> wrapper) {
        this.onCommitHooks = wrapper;
    }

    /** {@code hook} as registered: through the {@link #onCommitHooks} wrapper if one is set. */
    Mono<Void> registeredOnCommitHook(Mono<Void> hook) {
        UnaryOperator<Mono<Void>> wrapper = this.onCommitHooks;
        return wrapper == null ? hook : wrapper.apply(hook);
    }

    /** The pool's acquisition from {@code entered}, through the {@link #connectionSource} if one is set. */
    Mono<Connection> acquireThroughSource(PoolGeneration entered) {
        UnaryOperator<Mono<Connection>> source = this.connectionSource;
        return source == null ? entered.acquire() : source.apply(entered.acquire());
    }

    // ---- package-private: used by sessions and pools ----

    /** Routing: whether a replica of this database was built. */
    boolean hasReplicas() {
        return this.hasReplicas;
    }

    /** A fixed order across databases: the order in which they were built. */
    long order() {
        return this.order;
    }

    Object atomicKey() {
        return this.atomicKey;
    }

    /** The settings it was built with. */
    DatabaseSettings settings() {
        return this.settings;
    }

    DatabaseRuntime runtime() {
        return this.runtime;
    }

    /** How many connections were given back inside a transaction and reset (see {@link Lease#release()}). */
    long connectionResets() {
        return this.runtime.connectionResets();
    }

    ConnectionFactoryMetadata connectionFactoryMetadata() {
        return this.runtime.current().connectionFactory().getMetadata();
    }
}
