package io.github.contextr2dbc.bench;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.DatabaseBuilder;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.spi.ConnectionFactory;

/**
 * The settings every benchmark shares: JMH forks, warm-up and measurement (used by the annotations of
 * each benchmark class, so they are compile-time constants), and the one pool configuration every
 * variant gets.
 *
 * <p>Override any of them on the command line as usual with JMH ({@code -f}, {@code -wi}, {@code -w},
 * {@code -i}, {@code -r}); the quick mode ({@link #QUICK_ARGS}) does exactly that.
 */
public final class BenchSettings {

    /** JMH forks per benchmark: one fresh JVM, with its own PostgreSQL pair, per benchmark and parameter set. */
    public static final int FORKS = 1;

    public static final int WARMUP_ITERATIONS = 3;

    public static final int WARMUP_SECONDS = 2;

    /**
     * Warm-up iterations of the HTTP benchmark: the WebFlux and Reactor Netty code on both ends of the
     * connection takes longer to compile than the database code alone (with 3 iterations its scores were
     * still rising from one iteration to the next).
     */
    public static final int HTTP_WARMUP_ITERATIONS = 10;

    public static final int MEASUREMENT_ITERATIONS = 5;

    public static final int MEASUREMENT_SECONDS = 2;

    public static final TimeUnit TIME_UNIT = TimeUnit.SECONDS;

    /** JVM options of every fork (appended to JMH's): a fixed heap and collector, so that runs compare. */
    public static final String HEAP_MIN = "-Xms1g";

    public static final String HEAP_MAX = "-Xmx1g";

    public static final String GC = "-XX:+UseParallelGC";

    /**
     * Units of work each invocation of a database benchmark runs (the {@code @OperationsPerInvocation}):
     * enough that the ramp-up and drain of 64 units of work in flight cost little of an invocation.
     */
    public static final int OPS_PER_INVOCATION = 1024;

    /** Connections in every variant's pool (initial size 0, warmed up to this before measuring). */
    public static final int POOL_SIZE = 16;

    /** The pool's acquire timeout, for every variant (the context-r2dbc default). */
    public static final Duration ACQUIRE_TIMEOUT = Duration.ofSeconds(10);

    /**
     * The system property choosing the acquire-timeout behaviour of every variant ({@link AcquireTimeoutMode}):
     * {@code -Dbench.acquire-timeout=waiting} (the default), {@code none} or {@code every}.
     */
    public static final String ACQUIRE_TIMEOUT_PROPERTY = "bench.acquire-timeout";

    /**
     * How the pools of the variants time their acquisitions. context-r2dbc's {@code Database} always times
     * only the acquisitions that wait (a timer is scheduled only when no idle connection is handed out during
     * the subscription); r2dbc-pool's {@code maxAcquireTime} schedules and cancels a timer on every
     * acquisition. The mode says what the other variants (raw, raw-pipelined, Spring) get.
     */
    public enum AcquireTimeoutMode {
        /**
         * The fair default: every variant times only the acquisitions that wait, with {@link #ACQUIRE_TIMEOUT}
         * (context-r2dbc by itself, the others through {@link WaitingAcquireTimeout} around a pool without
         * {@code maxAcquireTime}).
         */
        WAITING,
        /**
         * Spring Boot's default ({@code spring.r2dbc.pool.max-acquire-time} unset): no acquire timeout for
         * the r2dbc-pool variants, and none for context-r2dbc either ({@code noAcquireTimeout()}, Spring
         * {@code pool.acquire-timeout=0}).
         */
        NONE,
        /**
         * Round 2's configuration: r2dbc-pool's {@code maxAcquireTime(ACQUIRE_TIMEOUT)}, a timer on every
         * acquisition, for the r2dbc-pool variants (unfair to them; kept to compare with round 2).
         */
        EVERY;

        /** The mode of this JVM ({@link #ACQUIRE_TIMEOUT_PROPERTY}). */
        public static AcquireTimeoutMode current() {
            String value = System.getProperty(ACQUIRE_TIMEOUT_PROPERTY, "waiting");
            try {
                return valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException unknown) {
                throw new IllegalArgumentException("-D" + ACQUIRE_TIMEOUT_PROPERTY + "=" + value
                        + ": expected waiting, none or every", unknown);
            }
        }
    }

    /** Idle time and life time of pooled connections, for every variant (the context-r2dbc defaults). */
    public static final Duration MAX_IDLE_TIME = Duration.ofMinutes(30);

    public static final Duration MAX_LIFE_TIME = Duration.ofMinutes(30);

    /** Rows in the point-read table; reads pick a random id in {@code 1..ROWS}. */
    public static final int ROWS = 10_000;

    /** The system property that turns the quick mode on ({@code -Dbench.quick=true}). */
    public static final String QUICK_PROPERTY = "bench.quick";

    /**
     * The JMH options of the quick mode: every benchmark, in this JVM, for one short iteration with no
     * warm-up. With {@link #QUICK_PROPERTY} set, database benchmarks also run {@link #QUICK_UNITS} units of
     * work per invocation instead of {@link #OPS_PER_INVOCATION} and skip the pool warm-up, so their scores
     * are meaningless: a smoke test that the benchmarks run, never a measurement.
     */
    public static final String[] QUICK_ARGS = {"-f", "0", "-wi", "0", "-i", "1", "-r", "100ms", "-foe", "true"};

    /** Units of work per invocation of a database benchmark in the quick mode. */
    public static final int QUICK_UNITS = 64;

    private BenchSettings() {
    }

    /** Whether the quick mode is on ({@link #QUICK_PROPERTY}). */
    public static boolean quick() {
        return Boolean.getBoolean(QUICK_PROPERTY);
    }

    /**
     * Units of work per invocation of a database benchmark: {@link #OPS_PER_INVOCATION}, or fewer in the quick mode.
     */
    static int unitsPerInvocation() {
        return quick() ? QUICK_UNITS : OPS_PER_INVOCATION;
    }

    /**
     * The pool every non-context-r2dbc variant uses: the same settings {@link Database} gives its own
     * r2dbc-pool (see {@link #database(String, String)}); no validation query (the driver's local check).
     * r2dbc-pool's {@code maxAcquireTime} only in {@link AcquireTimeoutMode#EVERY}: in the default mode the
     * acquisitions are timed by {@link CountingConnectionFactory} (only those that wait), in
     * {@link AcquireTimeoutMode#NONE} not at all.
     */
    public static ConnectionPoolConfiguration pool(ConnectionFactory connectionFactory, String name) {
        ConnectionPoolConfiguration.Builder builder = ConnectionPoolConfiguration.builder(connectionFactory)
                .name(name)
                .initialSize(0)
                .maxSize(POOL_SIZE)
                .maxIdleTime(MAX_IDLE_TIME)
                .maxLifeTime(MAX_LIFE_TIME);
        if (AcquireTimeoutMode.current() == AcquireTimeoutMode.EVERY) {
            builder.maxAcquireTime(ACQUIRE_TIMEOUT);
        }
        return builder.build();
    }

    /** The context-r2dbc database handle, with the same pool settings as {@link #pool(ConnectionFactory, String)}. */
    public static Database database(String name, String url) {
        return settings(Database.builder(name).url(url)).build();
    }

    /** The same settings for a database on a given connection factory (the in-memory stub). */
    public static Database database(String name, ConnectionFactory connectionFactory) {
        return settings(Database.builder(name).connectionFactory(connectionFactory)).build();
    }

    /** The same settings for a replica of {@code primary} on a given connection factory (routing benchmarks). */
    public static Database replica(String name, ConnectionFactory connectionFactory, Database primary) {
        return settings(Database.builder(name).connectionFactory(connectionFactory)).replicaOf(primary).build();
    }

    private static DatabaseBuilder settings(DatabaseBuilder builder) {
        return builder.initialSize(0)
                .maxSize(POOL_SIZE)
                .acquireTimeout(AcquireTimeoutMode.current() == AcquireTimeoutMode.NONE ? Duration.ZERO
                        : ACQUIRE_TIMEOUT)
                .maxIdleTime(MAX_IDLE_TIME)
                .maxLifeTime(MAX_LIFE_TIME);
    }
}
