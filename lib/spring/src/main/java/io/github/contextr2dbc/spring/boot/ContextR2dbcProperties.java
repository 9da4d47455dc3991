package io.github.contextr2dbc.spring.boot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.OutsideUnitOfWork;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;

/**
 * Settings of context-r2dbc, under {@code context-r2dbc}.
 *
 * <pre>{@code
 * context-r2dbc:
 *   databases:
 *     main:
 *       url: r2dbc:postgresql://app:secret@db-primary:5432/shop
 *       default: true
 *       pool:
 *         max-size: 20
 *     replica:
 *       url: r2dbc:postgresql://app:secret@db-replica:5432/shop
 *       replica-of: main
 * }</pre>
 */
@ConfigurationProperties("context-r2dbc")
public class ContextR2dbcProperties {

    /**
     * The databases, by name. Each becomes a Database bean named "<name>Database" and a session-aware
     * ConnectionFactory bean named "<name>ConnectionFactory"; the default database's beans are @Primary.
     * Units of work commit them in the order they are declared here.
     */
    private Map<String, DatabaseProperties> databases = new LinkedHashMap<>();

    /**
     * Which event loops the driver of the databases built here runs on, in a reactive web application on Reactor
     * Netty: the web server's (server, the default: a request does not hop between two sets of threads for each
     * statement) or the driver's own (driver, r2dbc-postgresql's reactor-tcp-* loops, as elsewhere).
     */
    private EventLoops eventLoops = EventLoops.SERVER;

    /** A fail-fast check at startup: SELECT 1 on every database. */
    private final StartupProbe startupProbe = new StartupProbe();

    /** The WebFlux filter that makes every request a unit of work. */
    @NestedConfigurationProperty
    private final ContextR2dbcWebProperties web = new ContextR2dbcWebProperties();

    /** The Actuator health check of every database. */
    private final Health health = new Health();

    /** Routing of reads to replicas (databases with replica-of) and the read-your-own-writes token. */
    @NestedConfigurationProperty
    private final ContextR2dbcRoutingProperties routing = new ContextR2dbcRoutingProperties();

    public ContextR2dbcRoutingProperties getRouting() {
        return this.routing;
    }

    public Map<String, DatabaseProperties> getDatabases() {
        return this.databases;
    }

    public void setDatabases(Map<String, DatabaseProperties> databases) {
        this.databases = databases;
    }

    public EventLoops getEventLoops() {
        return this.eventLoops;
    }

    public void setEventLoops(EventLoops eventLoops) {
        this.eventLoops = eventLoops;
    }

    public StartupProbe getStartupProbe() {
        return this.startupProbe;
    }

    public Health getHealth() {
        return this.health;
    }

    public ContextR2dbcWebProperties getWeb() {
        return this.web;
    }

    /** Which event loops the driver runs on ({@code context-r2dbc.event-loops}). */
    public enum EventLoops {

        /** The Reactor Netty web server's (the ReactorResourceFactory bean's) where there is one, else the driver's. */
        SERVER,

        /** The driver's own. */
        DRIVER
    }

    /** One database: where it is, its pool, its role. */
    public static class DatabaseProperties {

        /** The R2DBC URL, e.g. r2dbc:postgresql://app:secret@db1:5432/shop. */
        @Nullable
        private String url;

        /** Whether this is the default database (its beans are @Primary and it is used where no name is given). */
        private boolean isDefault;

        /**
         * The name of the database this one is a streaming replica of: its sessions are read-only, routing sends
         * reads to it, and health reports its replication lag.
         */
        @Nullable
        private String replicaOf;

        /**
         * Candidate hosts (host:port) of this primary for failover: the one where pg_is_in_recovery() is false is
         * used, found again when the primary cannot be reached. Empty: the URL's host only.
         */
        private List<String> failoverHosts = new ArrayList<>();

        /**
         * What the session-aware ConnectionFactory does outside a unit of work: fail (the default), or hand
         * out plain auto-commit connections.
         */
        private OutsideUnitOfWork outsideUnitOfWork = OutsideUnitOfWork.FAIL;

        /** The connection pool. */
        private final Pool pool = new Pool();

        /** How sessions open their transactions. */
        private final Session session = new Session();

        @Nullable
        public String getUrl() {
            return this.url;
        }

        public void setUrl(@Nullable String url) {
            this.url = url;
        }

        public boolean isDefault() {
            return this.isDefault;
        }

        public void setDefault(boolean isDefault) {
            this.isDefault = isDefault;
        }

        @Nullable
        public String getReplicaOf() {
            return this.replicaOf;
        }

        public void setReplicaOf(@Nullable String replicaOf) {
            this.replicaOf = replicaOf;
        }

        public List<String> getFailoverHosts() {
            return this.failoverHosts;
        }

        public void setFailoverHosts(List<String> failoverHosts) {
            this.failoverHosts = failoverHosts;
        }

        public OutsideUnitOfWork getOutsideUnitOfWork() {
            return this.outsideUnitOfWork;
        }

        public void setOutsideUnitOfWork(OutsideUnitOfWork outsideUnitOfWork) {
            this.outsideUnitOfWork = outsideUnitOfWork;
        }

        public Pool getPool() {
            return this.pool;
        }

        public Session getSession() {
            return this.session;
        }
    }

    /** A database's connection pool; the defaults are {@link Database}'s ({@code Database.DEFAULT_*}). */
    public static class Pool {

        /** The most connections the pool holds. */
        private int maxSize = Database.DEFAULT_MAX_SIZE;

        /** Connections opened when the pool is created (0: nothing opens before first use). */
        private int initialSize = Database.DEFAULT_INITIAL_SIZE;

        /**
         * The longest a statement waits for a connection before it fails (answered 503); {@code 0} switches the
         * timeout off (a statement waits as long as the pool makes it, Spring Boot's default for its pool).
         */
        private Duration acquireTimeout = Database.DEFAULT_ACQUIRE_TIMEOUT;

        /** How long an idle connection stays in the pool. */
        private Duration maxIdleTime = Database.DEFAULT_MAX_IDLE_TIME;

        /** The longest a connection lives before the pool replaces it. */
        private Duration maxLifeTime = Database.DEFAULT_MAX_LIFE_TIME;

        /** A query run to validate a connection before handing it out; unset: the driver's local check only. */
        @Nullable
        private String validationQuery;

        public int getMaxSize() {
            return this.maxSize;
        }

        public void setMaxSize(int maxSize) {
            this.maxSize = maxSize;
        }

        public int getInitialSize() {
            return this.initialSize;
        }

        public void setInitialSize(int initialSize) {
            this.initialSize = initialSize;
        }

        public Duration getAcquireTimeout() {
            return this.acquireTimeout;
        }

        public void setAcquireTimeout(Duration acquireTimeout) {
            this.acquireTimeout = acquireTimeout;
        }

        public Duration getMaxIdleTime() {
            return this.maxIdleTime;
        }

        public void setMaxIdleTime(Duration maxIdleTime) {
            this.maxIdleTime = maxIdleTime;
        }

        public Duration getMaxLifeTime() {
            return this.maxLifeTime;
        }

        public void setMaxLifeTime(Duration maxLifeTime) {
            this.maxLifeTime = maxLifeTime;
        }

        @Nullable
        public String getValidationQuery() {
            return this.validationQuery;
        }

        public void setValidationQuery(@Nullable String validationQuery) {
            this.validationQuery = validationQuery;
        }
    }

    /** How a database's sessions open their transactions; unset values keep the server's settings. */
    public static class Session {

        /** Whether transactions are opened READ ONLY. */
        private boolean readOnly;

        /** The longest a statement may run (SET LOCAL statement_timeout). */
        @Nullable
        private Duration statementTimeout;

        /** The longest a statement may wait for a lock (SET LOCAL lock_timeout). */
        @Nullable
        private Duration lockTimeout;

        public boolean isReadOnly() {
            return this.readOnly;
        }

        public void setReadOnly(boolean readOnly) {
            this.readOnly = readOnly;
        }

        @Nullable
        public Duration getStatementTimeout() {
            return this.statementTimeout;
        }

        public void setStatementTimeout(@Nullable Duration statementTimeout) {
            this.statementTimeout = statementTimeout;
        }

        @Nullable
        public Duration getLockTimeout() {
            return this.lockTimeout;
        }

        public void setLockTimeout(@Nullable Duration lockTimeout) {
            this.lockTimeout = lockTimeout;
        }
    }

    /** The Actuator health check. */
    public static class Health {

        /** How long one database's check may take before the database is reported down. */
        private Duration timeout = Duration.ofSeconds(5);

        public Duration getTimeout() {
            return this.timeout;
        }

        public void setTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("context-r2dbc.health.timeout must be a positive duration, e.g. 5s "
                        + "(got " + timeout + ")");
            }
            this.timeout = timeout;
        }
    }

    /** The startup probe. */
    public static class StartupProbe {

        /**
         * Whether to run SELECT 1 on every database at startup, before the web server starts, and fail the
         * startup (non-zero exit, "APPLICATION FAILED TO START") if one does not answer within the timeout.
         */
        private boolean enabled;

        /** How long the probe waits for each database. */
        private Duration timeout = Duration.ofSeconds(10);

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public Duration getTimeout() {
            return this.timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }
    }
}
