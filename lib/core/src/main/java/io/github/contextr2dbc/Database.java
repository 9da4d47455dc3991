package io.github.contextr2dbc;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.pool.PoolMetrics;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Wrapped;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import org.jspecify.annotations.Nullable;

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

    private static final Logger log = LoggerFactory.getLogger(Database.class);

    private static final AtomicLong SEQUENCE = new AtomicLong();

    private final long order = SEQUENCE.incrementAndGet();

    /** The Reactor Context key of the innermost atomic block on this database. */
    private final Object atomicKey = new Object();

    private final String name;

    private final Function<String, ConnectionFactory> connectionFactoryCreator;

    private final boolean hostSwitchable;

    private final int initialSize;

    private final int maxSize;

    private final Duration acquireTimeout;

    private final Duration maxIdleTime;

    private final Duration maxLifeTime;

    @Nullable
    private final String validationQuery;

    @Nullable
    private final Function<? super Database, ? extends Mono<Void>> beforeSession;

    private final SessionOptions sessionOptions;

    private final OutsideUnitOfWork outsideUnitOfWork;

    private final AtomicLong acquisitions = new AtomicLong();

    private final AtomicInteger inUse = new AtomicInteger();

    private final AtomicLong connectionResets = new AtomicLong();

    private final AtomicReference<PoolGeneration> generation;

    private final SessionConnectionFactory sessionConnectionFactory;

    private volatile boolean closed;

    private Database(Builder builder) {
        this.name = builder.name;
        this.connectionFactoryCreator = builder.connectionFactoryCreator;
        this.hostSwitchable = builder.hostSwitchable;
        this.initialSize = builder.initialSize;
        this.maxSize = builder.maxSize;
        this.acquireTimeout = builder.acquireTimeout;
        this.maxIdleTime = builder.maxIdleTime;
        this.maxLifeTime = builder.maxLifeTime;
        this.validationQuery = builder.validationQuery;
        this.beforeSession = builder.beforeSession;
        this.sessionOptions = builder.sessionOptions;
        this.outsideUnitOfWork = builder.outsideUnitOfWork;
        // the first host's factory is made now, on the building thread: finding a driver may read jar files
        this.generation = new AtomicReference<>(
                new PoolGeneration(this, builder.host, this.connectionFactoryCreator.apply(builder.host)));
        this.sessionConnectionFactory = new SessionConnectionFactory(this);
    }

    /**
     * A builder for a database called {@code name} (used in logs, metrics and error messages).
     *
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public static Builder builder(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("A database needs a non-blank name, e.g. \"main\"");
        }
        return new Builder(name);
    }

    /** The database's name. */
    public String name() {
        return this.name;
    }

    /** The host new connections go to (for a {@link Builder#url(String) URL}: {@code host:port}). */
    public String host() {
        return this.generation.get().host();
    }

    /** The options sessions of this database start with. */
    public SessionOptions sessionOptions() {
        return this.sessionOptions;
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
            if (!this.hostSwitchable) {
                return Mono.error(new IllegalStateException("Database '" + this.name + "' was built from a fixed "
                        + "ConnectionFactory and cannot change host: build it with url(...) or "
                        + "connectionFactory(host -> ...) instead"));
            }
            if (this.closed) {
                return Mono.error(closedError());
            }
            if (this.generation.get().host().equals(host)) {
                return Mono.empty();
            }
            // the creator may block (a driver lookup reads jar files): it runs on a thread that may block
            return Mono.fromCallable(() -> this.connectionFactoryCreator.apply(host))
                    .subscribeOn(Schedulers.boundedElastic())
                    .flatMap(factory -> {
                        for (;;) {
                            PoolGeneration current = this.generation.get();
                            if (current.host().equals(host)) {
                                return Mono.<Void>empty();
                            }
                            PoolGeneration next = new PoolGeneration(this, host, factory);
                            if (this.generation.compareAndSet(current, next)) {
                                return Uncancellable.run("Retiring the pool of", this.name + " at " + current.host(),
                                        current.retire());
                            }
                        }
                    });
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
        return Mono.defer(() -> {
            if (this.closed) {
                return Mono.empty();
            }
            this.closed = true;
            return Uncancellable.run("Closing database", this.name, this.generation.get().retire());
        });
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return this.closed;
    }

    /** The current pool's metrics; empty until the pool is first used. */
    public Optional<PoolMetrics> poolMetrics() {
        return this.generation.get().metrics();
    }

    /** How many connections sessions of this database have acquired from its pools since it was built. */
    public long acquisitions() {
        return this.acquisitions.get();
    }

    /**
     * How many connections sessions hold (or are acquiring) now, from the current pool and from pools
     * retired by {@link #changeHost(String)} that still have connections out.
     */
    public int connectionsInUse() {
        return this.inUse.get();
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
                (session, error) -> session.finish(Finish.ROLLBACK_AND_END).then().onErrorResume(SuppressedFailure.into(error)),
                session -> session.finish(Finish.ROLLBACK_AND_END));
    }

    @Override
    public String toString() {
        return "Database{" + this.name + " @ " + host() + "}";
    }

    // ---- package-private: used by sessions and pools ----

    /** A fixed order across databases: the order in which they were built. */
    long order() {
        return this.order;
    }

    Object atomicKey() {
        return this.atomicKey;
    }

    AtomicInteger inUseCounter() {
        return this.inUse;
    }

    OutsideUnitOfWork outsideUnitOfWork() {
        return this.outsideUnitOfWork;
    }

    /**
     * A connection for a session, from the current pool, after the {@code beforeSession} hook.
     *
     * @return a {@link Mono} of the connection and the generation it must be given back to
     */
    Mono<Lease> lease() {
        Mono<Lease> acquire = Mono.defer(this::acquireFromCurrent);
        return this.beforeSession == null ? acquire : Mono.defer(() -> this.beforeSession.apply(this)).then(acquire);
    }

    /**
     * {@link #lease()} for a caller that never cancels the acquisition (a session runs it uncancellably and
     * stores the connection): the pool generation is given back on error only.
     */
    Mono<Lease> leaseForSession() {
        Mono<Lease> acquire = Mono.defer(this::acquireUncancelled);
        return this.beforeSession == null ? acquire : Mono.defer(() -> this.beforeSession.apply(this)).then(acquire);
    }

    private Mono<Lease> acquireUncancelled() {
        if (this.closed) {
            return Mono.error(closedError());
        }
        PoolGeneration entered = enterCurrent();
        return entered.acquire()
                .map(connection -> leased(connection, entered))
                .onErrorResume(error -> entered.leave().then(Mono.error(error)));
    }

    private Mono<Lease> acquireFromCurrent() {
        if (this.closed) {
            return Mono.error(closedError());
        }
        // the entry is kept by the lease on success, and given back on error or cancel
        return Mono.usingWhen(
                Mono.just(enterCurrent()),
                entered -> entered.acquire().map(connection -> leased(connection, entered)),
                entered -> Mono.empty(),
                (entered, error) -> entered.leave(),
                PoolGeneration::leave);
    }

    private Lease leased(Connection connection, PoolGeneration generation) {
        this.acquisitions.incrementAndGet();
        return new Lease(connection, generation);
    }

    /** The current pool generation, entered (the caller must {@link PoolGeneration#leave() leave} it). */
    private PoolGeneration enterCurrent() {
        for (;;) {
            PoolGeneration current = this.generation.get();
            if (current.enter()) {
                return current;
            }
            // that generation was disposed between get() and enter(): a newer one is current now
        }
    }

    Duration acquireTimeout() {
        return this.acquireTimeout;
    }

    /** How many connections were given back inside a transaction and reset (see {@link Lease#release()}). */
    long connectionResets() {
        return this.connectionResets.get();
    }

    /**
     * Rolls back the transaction a connection is given back in and puts it back in auto-commit mode (see
     * {@link Lease#release()}).
     */
    private Mono<Void> reset(Connection connection) {
        this.connectionResets.incrementAndGet();
        log.debug("A connection of database '{}' was given back inside a transaction: rolling it back", this.name);
        // a ROLLBACK statement rather than rollbackTransaction(): the driver skips that call unless the transaction
        // was opened through beginTransaction(), while a statement always takes effect
        return Flux.from(connection.createStatement("ROLLBACK").execute())
                .concatMap(Result::getRowsUpdated)
                .then(Mono.defer(() -> connection.isAutoCommit() ? Mono.<Void>empty()
                        : Mono.from(connection.setAutoCommit(true))));
    }

    ConnectionFactoryMetadata connectionFactoryMetadata() {
        return this.generation.get().connectionFactory().getMetadata();
    }

    /**
     * The pool's configuration. The acquire timeout is not r2dbc-pool's {@code maxAcquireTime}, which times
     * every acquisition: {@link AcquireTimeout} times only those that wait.
     */
    ConnectionPoolConfiguration poolConfiguration(ConnectionFactory connectionFactory) {
        ConnectionPoolConfiguration.Builder builder = ConnectionPoolConfiguration
                .builder(connectionFactory)
                .name("context-r2dbc-" + this.name)
                .initialSize(this.initialSize)
                .maxSize(this.maxSize)
                .maxIdleTime(this.maxIdleTime)
                .maxLifeTime(this.maxLifeTime);
        if (this.validationQuery != null) {
            builder.validationQuery(this.validationQuery);
        }
        return builder.build();
    }

    private IllegalStateException closedError() {
        return new IllegalStateException("Database '" + this.name + "' is closed: no new connections are handed "
                + "out. Build a new Database, or stop using this one after close()");
    }

    /** A pooled connection and the pool generation it goes back to. */
    static final class Lease {

        final Connection connection;

        final PoolGeneration generation;

        Lease(Connection connection, PoolGeneration generation) {
            this.connection = connection;
            this.generation = generation;
        }

        /**
         * Gives the connection back; counts the user out even if closing fails. Call it when the connection is
         * to go back: it reads the connection's state then.
         *
         * <p>A connection given back inside a transaction (a plain pooled connection closed after {@code BEGIN},
         * a savepoint or {@code setAutoCommit(false)}) is first rolled back and put back in auto-commit mode, so
         * that the pool never hands out a connection inside someone else's transaction, as HikariCP resets what
         * a connection was dirtied with. A connection in auto-commit mode and outside a transaction (every
         * session's: it commits or rolls back before release) costs one {@code isAutoCommit()} call, the driver's
         * last transaction status: no round trip, no allocation. If the reset fails, the driver's connection is
         * closed before it goes back, so that the pool's validation discards it instead of handing it out.
         */
        Mono<Void> release() {
            Mono<Void> giveBack = Mono.from(this.connection.close())
                    .onErrorResume(error -> this.generation.leave().then(Mono.error(error)))
                    .then(this.generation.leave());
            if (this.connection.isAutoCommit()) {
                return giveBack;
            }
            return this.generation.database().reset(this.connection)
                    .onErrorResume(failure -> discard()
                            .onErrorResume(SuppressedFailure.into(failure))
                            .then(giveBack)
                            .onErrorResume(SuppressedFailure.into(failure))
                            .then(Mono.error(failure)))
                    .then(giveBack);
        }

        /** Closes the driver's connection under the pool's, so that the pool's validation discards it. */
        private Mono<Void> discard() {
            if (this.connection instanceof Wrapped) {
                Object unwrapped = ((Wrapped<?>) this.connection).unwrap();
                if (unwrapped instanceof Connection) {
                    return Mono.from(((Connection) unwrapped).close());
                }
            }
            return Mono.empty();
        }
    }

    /**
     * Builds a {@link Database}. Set where to connect ({@link #url(String)} or one of the
     * {@code connectionFactory} methods); everything else has a documented default.
     */
    public static final class Builder {

        private final String name;

        @Nullable
        private Function<String, ConnectionFactory> connectionFactoryCreator;

        @Nullable
        private String host;

        private boolean hostSwitchable;

        private int initialSize = 0;

        private int maxSize = 10;

        private Duration acquireTimeout = Duration.ofSeconds(10);

        private Duration maxIdleTime = Duration.ofMinutes(30);

        private Duration maxLifeTime = Duration.ofMinutes(30);

        @Nullable
        private String validationQuery;

        @Nullable
        private Function<? super Database, ? extends Mono<Void>> beforeSession;

        private SessionOptions sessionOptions = SessionOptions.DEFAULTS;

        private OutsideUnitOfWork outsideUnitOfWork = OutsideUnitOfWork.FAIL;

        private Builder(String name) {
            this.name = name;
        }

        /**
         * Connects with an R2DBC URL, e.g. {@code r2dbc:postgresql://user:secret@db1:5432/shop}; the
         * driver is found on the class path. {@link Database#changeHost(String)} then takes
         * {@code host} or {@code host:port} and keeps every other part of the URL.
         *
         * @throws IllegalArgumentException if the URL cannot be parsed or names no host
         */
        public Builder url(String url) {
            if (url == null) {
                throw new IllegalArgumentException("url(...) needs an R2DBC URL, e.g. "
                        + "r2dbc:postgresql://app@localhost:5432/shop");
            }
            ConnectionFactoryOptions options;
            try {
                options = ConnectionFactoryOptions.parse(url);
            } catch (RuntimeException e) {
                // the SPI's message repeats the URL as given, password included: neither it nor the
                // exception is passed on
                throw new IllegalArgumentException("Not an R2DBC URL: " + RedactedUrl.of(url) + "; expected "
                        + "r2dbc:DRIVER://[user[:password]@]host[:port]/database, e.g. "
                        + "r2dbc:postgresql://app@localhost:5432/shop");
            }
            Object host = options.getValue(ConnectionFactoryOptions.HOST);
            if (host == null || host.toString().isBlank()) {
                throw new IllegalArgumentException("The R2DBC URL " + RedactedUrl.of(url) + " names no host; add "
                        + "one, e.g. r2dbc:postgresql://app@localhost:5432/shop");
            }
            Object port = options.getValue(ConnectionFactoryOptions.PORT);
            this.host = port == null ? host.toString() : host + ":" + port;
            this.connectionFactoryCreator = target -> {
                try {
                    return ConnectionFactories.get(withHost(options, target));
                } catch (RuntimeException e) {
                    // a driver's message may quote the options it refused (some print their values)
                    throw new IllegalArgumentException("No R2DBC driver accepts " + RedactedUrl.of(url) + " ("
                            + e.getClass().getSimpleName() + "); check the driver name after r2dbc: (is its jar on "
                            + "the class path?) and the URL's options, e.g. r2dbc:postgresql://app@localhost:5432/shop");
                }
            };
            this.hostSwitchable = true;
            return this;
        }

        /**
         * Connects through {@code creator}, which makes a {@link ConnectionFactory} for a host; starts on
         * {@code host}. The creator runs for the first host when the database is built, and again for each
         * {@link Database#changeHost(String) new host}, on a thread that may block (a driver lookup may
         * read jar files). It must not connect: the pool connects when first used.
         */
        public Builder connectionFactory(String host, Function<String, ConnectionFactory> creator) {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("connectionFactory(host, creator) needs the initial host");
            }
            this.host = host;
            this.connectionFactoryCreator = Objects.requireNonNull(creator, "creator");
            this.hostSwitchable = true;
            return this;
        }

        /**
         * Connects through a fixed, unpooled {@link ConnectionFactory} (the database pools it). Such a
         * database cannot {@link Database#changeHost(String) change host}.
         */
        public Builder connectionFactory(ConnectionFactory connectionFactory) {
            Objects.requireNonNull(connectionFactory, "connectionFactory");
            this.host = connectionFactory.getMetadata().getName();
            this.connectionFactoryCreator = ignored -> connectionFactory;
            this.hostSwitchable = false;
            return this;
        }

        /** Connections the pool opens when it is created. Default: 0 (nothing opens before first use). */
        public Builder initialSize(int initialSize) {
            if (initialSize < 0) {
                throw new IllegalArgumentException("initialSize must be 0 or more (got " + initialSize + ")");
            }
            this.initialSize = initialSize;
            return this;
        }

        /** The most connections the pool holds. Default: 10. */
        public Builder maxSize(int maxSize) {
            if (maxSize < 1) {
                throw new IllegalArgumentException("maxSize must be at least 1 (got " + maxSize + ")");
            }
            this.maxSize = maxSize;
            return this;
        }

        /**
         * The longest a session waits for a connection before its statement fails with an
         * {@code R2dbcTimeoutException}. Only an acquisition that has to wait is timed: one served at once
         * by an idle connection schedules no timer. Default: 10 seconds.
         */
        public Builder acquireTimeout(Duration acquireTimeout) {
            this.acquireTimeout = positive("acquireTimeout", acquireTimeout);
            return this;
        }

        /** How long an idle connection stays in the pool. Default: 30 minutes. */
        public Builder maxIdleTime(Duration maxIdleTime) {
            this.maxIdleTime = positive("maxIdleTime", maxIdleTime);
            return this;
        }

        /**
         * The longest a connection lives before the pool replaces it (it is never cut while in use).
         * Default: 30 minutes.
         */
        public Builder maxLifeTime(Duration maxLifeTime) {
            this.maxLifeTime = positive("maxLifeTime", maxLifeTime);
            return this;
        }

        /**
         * A query the pool runs to validate a connection before handing it out. Default: {@code null}: the
         * driver's local check (is the socket open), no round trip; {@code maxLifeTime} and idle eviction
         * keep the pool fresh.
         */
        public Builder validationQuery(@Nullable String validationQuery) {
            this.validationQuery = validationQuery;
            return this;
        }

        /**
         * Work to run before each session acquires its connection, e.g. finding out which host is the
         * primary now and calling {@link Database#changeHost(String)}. Its error fails the statement that
         * needed the connection. Default: none.
         */
        public Builder beforeSession(@Nullable Function<? super Database, ? extends Mono<Void>> beforeSession) {
            this.beforeSession = beforeSession;
            return this;
        }

        /** The options every session of this database starts with. Default: {@link SessionOptions#DEFAULTS}. */
        public Builder sessionOptions(SessionOptions sessionOptions) {
            this.sessionOptions = Objects.requireNonNull(sessionOptions, "sessionOptions");
            return this;
        }

        /**
         * What {@link Database#connectionFactory()} does outside a unit of work. Default:
         * {@link OutsideUnitOfWork#FAIL}.
         */
        public Builder outsideUnitOfWork(OutsideUnitOfWork outsideUnitOfWork) {
            this.outsideUnitOfWork = Objects.requireNonNull(outsideUnitOfWork, "outsideUnitOfWork");
            return this;
        }

        /**
         * The database. Nothing connects yet.
         *
         * @throws IllegalStateException if no connection was configured
         */
        public Database build() {
            if (this.connectionFactoryCreator == null || this.host == null) {
                throw new IllegalStateException("Database '" + this.name + "' has nowhere to connect: call url(...) "
                        + "or connectionFactory(...) on its builder");
            }
            return new Database(this);
        }

        private static Duration positive(String name, Duration value) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + " must be a positive duration (got " + value + ")");
            }
            return value;
        }

        private static ConnectionFactoryOptions withHost(ConnectionFactoryOptions options, String target) {
            ConnectionFactoryOptions.Builder builder = options.mutate();
            int colon = target.lastIndexOf(':');
            boolean bracketedIpv6 = target.startsWith("[");
            if (colon > 0 && (!bracketedIpv6 || target.lastIndexOf(']') < colon)) {
                builder.option(ConnectionFactoryOptions.HOST, target.substring(0, colon));
                try {
                    builder.option(ConnectionFactoryOptions.PORT, Integer.parseInt(target.substring(colon + 1)));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("Not a host:port: " + target, e);
                }
            } else {
                builder.option(ConnectionFactoryOptions.HOST, target);
            }
            return builder.build();
        }
    }
}
