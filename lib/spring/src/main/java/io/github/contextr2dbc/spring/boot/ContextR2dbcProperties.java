package io.github.contextr2dbc.spring.boot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.OutsideUnitOfWork;
import io.github.contextr2dbc.spring.ContextR2dbcWebFilter;
import io.github.contextr2dbc.spring.ReadAfterToken;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

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

    /** A fail-fast check at startup: SELECT 1 on every database. */
    private final StartupProbe startupProbe = new StartupProbe();

    /** The WebFlux filter that makes every request a unit of work. */
    private final Web web = new Web();

    /** The Actuator health check of every database. */
    private final Health health = new Health();

    /** Routing of reads to replicas (databases with replica-of) and the read-your-own-writes token. */
    private final RoutingProperties routing = new RoutingProperties();

    public RoutingProperties getRouting() {
        return this.routing;
    }

    public Map<String, DatabaseProperties> getDatabases() {
        return this.databases;
    }

    public void setDatabases(Map<String, DatabaseProperties> databases) {
        this.databases = databases;
    }

    public StartupProbe getStartupProbe() {
        return this.startupProbe;
    }

    public Health getHealth() {
        return this.health;
    }

    public Web getWeb() {
        return this.web;
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

    /** The WebFlux filter. */
    public static class Web {

        /** Whether every request is a unit of work (the filter, problem responses, argument resolvers). */
        private boolean enabled = true;

        /** Whether 3xx responses commit. */
        private boolean commitRedirects = true;

        /** Statuses that commit although they are 400 or above. */
        private List<Integer> commitStatuses = new ArrayList<>();

        /** Statuses that roll back although they are below 400. */
        private List<Integer> rollbackStatuses = new ArrayList<>();

        /** The filter's order (the default runs it before Spring Security, at -100). */
        private int filterOrder = ContextR2dbcWebFilter.DEFAULT_ORDER;

        /** Whether database errors (and failed commits) become RFC 9457 problem responses. */
        private boolean problemResponses = true;

        /**
         * The largest body of known length (e.g. a Resource) read and held until the unit of work
         * finishes, so that a failed commit still changes the status; a longer one is written after the
         * unit of work finished.
         */
        private DataSize holdLimit = DataSize.ofBytes(ContextR2dbcWebFilter.DEFAULT_HOLD_LIMIT);

        /**
         * Whether the Reactor Netty server re-arms the read of HTTP/1.1 keep-alive connections that Reactor
         * Netty before 1.3.8 stops reading (its issue 4361). Applies whether or not the filter is enabled.
         */
        private boolean rearmKeepAliveRead = true;

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public boolean isCommitRedirects() {
            return this.commitRedirects;
        }

        public void setCommitRedirects(boolean commitRedirects) {
            this.commitRedirects = commitRedirects;
        }

        public List<Integer> getCommitStatuses() {
            return this.commitStatuses;
        }

        public void setCommitStatuses(List<Integer> commitStatuses) {
            this.commitStatuses = commitStatuses;
        }

        public List<Integer> getRollbackStatuses() {
            return this.rollbackStatuses;
        }

        public void setRollbackStatuses(List<Integer> rollbackStatuses) {
            this.rollbackStatuses = rollbackStatuses;
        }

        public int getFilterOrder() {
            return this.filterOrder;
        }

        public void setFilterOrder(int filterOrder) {
            this.filterOrder = filterOrder;
        }

        public boolean isProblemResponses() {
            return this.problemResponses;
        }

        public void setProblemResponses(boolean problemResponses) {
            this.problemResponses = problemResponses;
        }

        public DataSize getHoldLimit() {
            return this.holdLimit;
        }

        public void setHoldLimit(DataSize holdLimit) {
            this.holdLimit = holdLimit;
        }

        public boolean isRearmKeepAliveRead() {
            return this.rearmKeepAliveRead;
        }

        public void setRearmKeepAliveRead(boolean rearmKeepAliveRead) {
            this.rearmKeepAliveRead = rearmKeepAliveRead;
        }
    }

    /** Routing of reads to replicas, their background checks, and the read-your-own-writes token. */
    public static class RoutingProperties {

        /** HTTP methods whose routed reads may go to replicas; other methods read from the primary. */
        private List<String> replicaMethods = new ArrayList<>(List.of("GET", "HEAD"));

        /** A replica lagging by more WAL than this leaves the rotation. */
        private DataSize maxLag = DataSize.ofMegabytes(16);

        /** How often replicas are checked (lag, errors), in the background. */
        private Duration checkInterval = Duration.ofSeconds(1);

        /** The longest one check query may take before its replica counts as failing. */
        private Duration checkTimeout = Duration.ofSeconds(2);

        /** The longest a request with a token waits for a replica to replay it before reading from the primary. */
        private Duration replayWait = Duration.ofMillis(50);

        /** The read-your-own-writes token. */
        private final Token token = new Token();

        public List<String> getReplicaMethods() {
            return this.replicaMethods;
        }

        public void setReplicaMethods(List<String> replicaMethods) {
            this.replicaMethods = replicaMethods;
        }

        public DataSize getMaxLag() {
            return this.maxLag;
        }

        public void setMaxLag(DataSize maxLag) {
            this.maxLag = maxLag;
        }

        public Duration getCheckInterval() {
            return this.checkInterval;
        }

        public void setCheckInterval(Duration checkInterval) {
            this.checkInterval = checkInterval;
        }

        public Duration getCheckTimeout() {
            return this.checkTimeout;
        }

        public void setCheckTimeout(Duration checkTimeout) {
            this.checkTimeout = checkTimeout;
        }

        public Duration getReplayWait() {
            return this.replayWait;
        }

        public void setReplayWait(Duration replayWait) {
            this.replayWait = replayWait;
        }

        public Token getToken() {
            return this.token;
        }
    }

    /** The read-your-own-writes token: the commit's WAL position, signed. */
    public static class Token {

        /** Whether the token is sent and honoured. */
        private boolean enabled = true;

        /** The response header carrying a new token, and the request header presenting one. */
        private String header = "Context-R2dbc-Read-After";

        /** A cookie carrying the token too (for browsers); none when unset. */
        @Nullable
        private String cookie;

        /**
         * The HMAC-SHA256 key signing tokens; every instance of the application must have the same one. When
         * unset, a random key is made at startup (tokens then work only on the instance that issued them).
         */
        @Nullable
        private String key;

        /**
         * How long a token is honoured after it was issued (also the cookie's Max-Age); an older one is ignored.
         */
        private Duration ttl = ReadAfterToken.DEFAULT_TTL;

        public Duration getTtl() {
            return this.ttl;
        }

        public void setTtl(Duration ttl) {
            this.ttl = ttl;
        }

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getHeader() {
            return this.header;
        }

        public void setHeader(String header) {
            this.header = header;
        }

        @Nullable
        public String getCookie() {
            return this.cookie;
        }

        public void setCookie(@Nullable String cookie) {
            this.cookie = cookie;
        }

        @Nullable
        public String getKey() {
            return this.key;
        }

        public void setKey(@Nullable String key) {
            this.key = key;
        }
    }
}
