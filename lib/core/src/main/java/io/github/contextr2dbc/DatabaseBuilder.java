package io.github.contextr2dbc;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.r2dbc.spi.Option;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Builds a {@link Database} ({@link Database#builder(String)}). Set where to connect ({@link #url(String)} or one
 * of the {@code connectionFactory} methods); everything else has a documented default. Each setter checks its
 * value at once; {@link #build()} fixes the settings (a package-private {@code DatabaseSettings}, as r2dbc-pool's
 * {@code ConnectionPoolConfiguration} is to its pool), so changing the builder afterwards changes no database.
 */
public final class DatabaseBuilder {

    final String name;

    /** Set by {@code url(...)}; the connection factories are made from it with {@link #driverOptions}. */
    @Nullable
    UrlConnectionFactories url;

    /** Set by {@code connectionFactory(...)}. */
    @Nullable
    Function<String, ConnectionFactory> connectionFactoryCreator;

    /** {@link #option(Option, Object)}, in the order given (a later value of an option replaces the earlier). */
    final Map<Option<?>, Object> driverOptions = new LinkedHashMap<>();

    @Nullable
    String host;

    boolean hostSwitchable;

    int initialSize = Database.DEFAULT_INITIAL_SIZE;

    int maxSize = Database.DEFAULT_MAX_SIZE;

    Duration acquireTimeout = Database.DEFAULT_ACQUIRE_TIMEOUT;

    Duration maxIdleTime = Database.DEFAULT_MAX_IDLE_TIME;

    Duration maxLifeTime = Database.DEFAULT_MAX_LIFE_TIME;

    @Nullable
    String validationQuery;

    @Nullable
    Function<? super Database, ? extends Mono<Void>> beforeSession;

    SessionOptions sessionOptions = SessionOptions.DEFAULTS;

    OutsideUnitOfWork outsideUnitOfWork = OutsideUnitOfWork.FAIL;

    @Nullable
    Database replicaOf;

    DatabaseBuilder(String name) {
        this.name = name;
    }

    /**
     * Connects with an R2DBC URL, e.g. {@code r2dbc:postgresql://user:secret@db1:5432/shop}; the
     * driver is found on the class path. {@link Database#changeHost(String)} then takes
     * {@code host} or {@code host:port} and keeps every other part of the URL.
     *
     * @throws IllegalArgumentException if the URL cannot be parsed or names no host
     */
    public DatabaseBuilder url(String url) {
        return url(UrlConnectionFactories.parse(url));
    }

    /**
     * Like {@link #url(String)}, with a password asked for each new connection (and only then): for
     * credentials that rotate (a secret manager's current value, a cloud IAM token). The driver is given the
     * supplier as its {@code password} option (r2dbc-postgresql calls it per connection); a password in the
     * URL is replaced. The supplier runs where connections are made (a Reactor thread): it must not block;
     * keep the current value in memory and refresh it in the background.
     *
     * @throws IllegalArgumentException if the URL cannot be parsed or names no host
     */
    public DatabaseBuilder url(String url, Supplier<? extends CharSequence> password) {
        Objects.requireNonNull(password, "password");
        return url(UrlConnectionFactories.parse(url).withPassword(password));
    }

    private DatabaseBuilder url(UrlConnectionFactories parsed) {
        this.url = parsed;
        this.host = parsed.host();
        this.connectionFactoryCreator = null;
        this.hostSwitchable = true;
        return this;
    }

    /**
     * An option for the driver on top of the URL's (given to {@link #url(String)}, before or after this call): what
     * a URL cannot say, such as r2dbc-postgresql's {@code PostgresqlConnectionFactoryProvider.LOOP_RESOURCES}, which
     * runs the driver's connections on the event loops given (an application's web server's, instead of the
     * driver's own). Every connection factory of the database gets it, including those made for a
     * {@link Database#changeHost(String) new host}. It replaces the URL's value of the same option, and an earlier
     * {@code option} call's; a driver that does not know the option ignores it. The driver reads the options when
     * it makes a connection factory ({@link #build()}, and {@code changeHost}): a value it refuses (of the wrong
     * type) fails there with an {@code IllegalArgumentException} naming the options given here.
     *
     * <p>Only for {@code url(...)}: {@link #build()} refuses a builder with options that connects through
     * {@code connectionFactory(...)} (give the option to the factory you make there instead).
     *
     * @throws IllegalArgumentException if {@code option} or {@code value} is null, or the option is the host or
     *         the port (they come from the URL and {@link Database#changeHost(String)})
     */
    public <T> DatabaseBuilder option(Option<T> option, T value) {
        if (option == null || value == null) {
            throw new IllegalArgumentException("option(option, value) needs both (got " + option + ", "
                    + (value == null ? "null" : "a value") + ")");
        }
        if (option.equals(ConnectionFactoryOptions.HOST) || option.equals(ConnectionFactoryOptions.PORT)) {
            throw new IllegalArgumentException("The " + option.name() + " comes from the URL given to url(...) (and "
                    + "Database.changeHost(...) changes it), not from option(...)");
        }
        this.driverOptions.put(option, value);
        return this;
    }

    /**
     * Connects through {@code creator}, which makes a {@link ConnectionFactory} for a host; starts on
     * {@code host}. The creator runs for the first host when the database is built, and again for each
     * {@link Database#changeHost(String) new host}, on a thread that may block (a driver lookup may
     * read jar files). It must not connect: the pool connects when first used.
     */
    public DatabaseBuilder connectionFactory(String host, Function<String, ConnectionFactory> creator) {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("connectionFactory(host, creator) needs the initial host");
        }
        this.host = host;
        this.connectionFactoryCreator = Objects.requireNonNull(creator, "creator");
        this.url = null;
        this.hostSwitchable = true;
        return this;
    }

    /**
     * Connects through a fixed, unpooled {@link ConnectionFactory} (the database pools it). Such a
     * database cannot {@link Database#changeHost(String) change host}.
     */
    public DatabaseBuilder connectionFactory(ConnectionFactory connectionFactory) {
        Objects.requireNonNull(connectionFactory, "connectionFactory");
        this.host = connectionFactory.getMetadata().getName();
        this.connectionFactoryCreator = ignored -> connectionFactory;
        this.url = null;
        this.hostSwitchable = false;
        return this;
    }

    /** Connections the pool opens when it is created. Default: 0 (nothing opens before first use). */
    public DatabaseBuilder initialSize(int initialSize) {
        if (initialSize < 0) {
            throw new IllegalArgumentException("initialSize must be 0 or more (got " + initialSize + ")");
        }
        this.initialSize = initialSize;
        return this;
    }

    /** The most connections the pool holds. Default: 10. */
    public DatabaseBuilder maxSize(int maxSize) {
        if (maxSize < 1) {
            throw new IllegalArgumentException("maxSize must be at least 1 (got " + maxSize + ")");
        }
        this.maxSize = maxSize;
        return this;
    }

    /**
     * The longest a session waits for a connection before its statement fails with an
     * {@code R2dbcTimeoutException}. Only an acquisition that has to wait is timed: one served at once
     * by an idle connection schedules no timer. {@link Duration#ZERO} switches the timeout off (as
     * {@link #noAcquireTimeout()}): a session then waits as long as the pool makes it, which is Spring Boot's
     * default for its pool. Default: 10 seconds.
     *
     * @throws IllegalArgumentException if null or negative
     */
    public DatabaseBuilder acquireTimeout(Duration acquireTimeout) {
        if (acquireTimeout == null || acquireTimeout.isNegative()) {
            throw new IllegalArgumentException("acquireTimeout must be a positive duration, or Duration.ZERO for "
                    + "none (got " + acquireTimeout + ")");
        }
        this.acquireTimeout = acquireTimeout;
        return this;
    }

    /**
     * No acquire timeout: a session waits for a connection as long as the pool makes it (a statement then
     * waits behind a full pool until a connection is released, or until its subscriber cancels). The same
     * as {@code acquireTimeout(Duration.ZERO)}.
     */
    public DatabaseBuilder noAcquireTimeout() {
        this.acquireTimeout = Duration.ZERO;
        return this;
    }

    /** How long an idle connection stays in the pool. Default: 30 minutes. */
    public DatabaseBuilder maxIdleTime(Duration maxIdleTime) {
        this.maxIdleTime = positive("maxIdleTime", maxIdleTime);
        return this;
    }

    /**
     * The longest a connection lives before the pool replaces it (it is never cut while in use).
     * Default: 30 minutes.
     */
    public DatabaseBuilder maxLifeTime(Duration maxLifeTime) {
        this.maxLifeTime = positive("maxLifeTime", maxLifeTime);
        return this;
    }

    /**
     * A query the pool runs to validate a connection before handing it out. Default: {@code null}: the
     * driver's local check (is the socket open), no round trip; {@code maxLifeTime} and idle eviction
     * keep the pool fresh.
     */
    public DatabaseBuilder validationQuery(@Nullable String validationQuery) {
        this.validationQuery = validationQuery;
        return this;
    }

    /**
     * Work to run before each session acquires its connection, e.g. finding out which host is the
     * primary now and calling {@link Database#changeHost(String)}. Its error fails the statement that
     * needed the connection. Default: none.
     */
    public DatabaseBuilder beforeSession(@Nullable Function<? super Database, ? extends Mono<Void>> beforeSession) {
        this.beforeSession = beforeSession;
        return this;
    }

    /** The options every session of this database starts with. Default: {@link SessionOptions#DEFAULTS}. */
    public DatabaseBuilder sessionOptions(SessionOptions sessionOptions) {
        this.sessionOptions = Objects.requireNonNull(sessionOptions, "sessionOptions");
        return this;
    }

    /**
     * What {@link Database#connectionFactory()} does outside a unit of work. Default:
     * {@link OutsideUnitOfWork#FAIL}.
     */
    public DatabaseBuilder outsideUnitOfWork(OutsideUnitOfWork outsideUnitOfWork) {
        this.outsideUnitOfWork = Objects.requireNonNull(outsideUnitOfWork, "outsideUnitOfWork");
        return this;
    }

    /**
     * Declares this database a streaming replica of {@code primary} (for {@link Routing}): its sessions
     * begin {@code READ ONLY} whatever {@link #sessionOptions(SessionOptions)} says, and a statement that
     * may write is refused before it reaches the server (see {@link Routing}). Sessions of
     * {@code primary} that wrote then read the WAL position of their commit in the same round trip as
     * {@code COMMIT} (for read-your-own-writes tokens). Default: null, not a replica.
     *
     * @throws IllegalArgumentException if {@code primary} is itself a replica
     */
    public DatabaseBuilder replicaOf(@Nullable Database primary) {
        if (primary != null && primary.replicaOf() != null) {
            throw new IllegalArgumentException("Database '" + primary.name() + "' is itself a replica of '"
                    + primary.replicaOf().name() + "': declare replicas of the primary, replicaOf("
                    + primary.replicaOf().name() + "Database)");
        }
        this.replicaOf = primary;
        return this;
    }

    /**
     * The database. Nothing connects yet.
     *
     * @throws IllegalStateException if no connection was configured, or {@link #option(Option, Object) options}
     *         were given with {@code connectionFactory(...)}
     */
    public Database build() {
        return new Database(new DatabaseSettings(this));
    }

    private static Duration positive(String name, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration (got " + value + ")");
        }
        return value;
    }
}
