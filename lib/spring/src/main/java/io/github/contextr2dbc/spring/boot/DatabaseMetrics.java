package io.github.contextr2dbc.spring.boot;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToDoubleFunction;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.spring.Databases;
import io.github.contextr2dbc.spring.UnitOfWorkListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.r2dbc.pool.PoolMetrics;

/**
 * The Micrometer meters of context-r2dbc (names in {@link #UNIT_OF_WORK} and the other constants):
 * per request unit of work, per session, per outcome, and gauges of every database's pool.
 */
final class DatabaseMetrics implements MeterBinder, UnitOfWorkListener {

    /** Timer of request units of work, tags {@code action}, {@code reason}, {@code connected}. */
    static final String UNIT_OF_WORK = "context.r2dbc.unit.of.work";

    /** Counter of sessions finished, tags {@code database} and {@code connected} (false: never needed a connection). */
    static final String SESSIONS = "context.r2dbc.sessions";

    /** Counter of committed units of work. */
    static final String COMMITS = "context.r2dbc.commits";

    /** Counter of rolled back units of work, tag {@code reason}: status, error, cancel, veto, commit-failed. */
    static final String ROLLBACKS = "context.r2dbc.rollbacks";

    /** Pool gauges, tag {@code database}; 0 until the pool is first used. */
    static final String POOL = "context.r2dbc.pool.";

    /** Gauge of the connections sessions hold now, tag {@code database}. */
    static final String IN_USE = "context.r2dbc.connections.in.use";

    /** Counter of connections sessions acquired from the pool, tag {@code database}. */
    static final String ACQUISITIONS = "context.r2dbc.connections.acquisitions";

    private final Databases databases;

    private final List<Meters> bound = new CopyOnWriteArrayList<>();

    DatabaseMetrics(Databases databases) {
        this.databases = databases;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (Database database : this.databases.all()) {
            String name = database.name();
            pool(registry, database, "acquired", PoolMetrics::acquiredSize, "connections handed out by the pool");
            pool(registry, database, "allocated", PoolMetrics::allocatedSize, "connections the pool holds");
            pool(registry, database, "idle", PoolMetrics::idleSize, "idle connections in the pool");
            pool(registry, database, "pending", PoolMetrics::pendingAcquireSize,
                    "acquisitions waiting for a connection");
            pool(registry, database, "max.allocated", PoolMetrics::getMaxAllocatedSize,
                    "the most connections the pool opens");
            Gauge.builder(IN_USE, database, Database::connectionsInUse)
                    .tag("database", name)
                    .description("connections sessions of the database hold (or are acquiring) now")
                    .register(registry);
            FunctionCounter.builder(ACQUISITIONS, database, Database::acquisitions)
                    .tag("database", name)
                    .description("connections sessions acquired from the pool")
                    .register(registry);
        }
        this.bound.add(new Meters(registry, this.databases.all()));
    }

    private static void pool(MeterRegistry registry, Database database, String what,
            ToDoubleFunction<PoolMetrics> value,
            String description) {
        Gauge.builder(POOL + what, database, db -> db.poolMetrics().map(value::applyAsDouble).orElse(0.0))
                .tag("database", database.name())
                .description(description)
                .register(registry);
    }

    @Override
    public void finished(Finished finished) {
        for (Meters meters : this.bound) {
            meters.record(finished);
        }
    }

    /** The request meters of one registry, created once. */
    private static final class Meters {

        private final Timer[][] unitOfWork = new Timer[Outcome.values().length][2];

        private final Counter commits;

        private final Counter[] rollbacks = new Counter[Outcome.values().length];

        private final Map<Database, Counter[]> sessions = new HashMap<>();

        Meters(MeterRegistry registry, List<Database> databases) {
            for (Outcome outcome : Outcome.values()) {
                for (int connected = 0; connected < 2; connected++) {
                    this.unitOfWork[outcome.ordinal()][connected] = Timer.builder(UNIT_OF_WORK)
                            .tag("action", outcome.action())
                            .tag("reason", outcome.reason())
                            .tag("connected", String.valueOf(connected == 1))
                            .description("request units of work, from the start of the request to the end of the "
                                    + "commit or rollback (an upper bound of connection hold time when connected)")
                            .register(registry);
                }
                if (outcome != Outcome.COMMITTED) {
                    this.rollbacks[outcome.ordinal()] = Counter.builder(ROLLBACKS)
                            .tag("reason", outcome.reason())
                            .description("request units of work rolled back, by reason")
                            .register(registry);
                }
            }
            this.commits = Counter.builder(COMMITS).description("request units of work committed").register(registry);
            for (Database database : databases) {
                Counter[] pair = new Counter[2];
                for (int connected = 0; connected < 2; connected++) {
                    pair[connected] = Counter.builder(SESSIONS)
                            .tag("database", database.name())
                            .tag("connected", String.valueOf(connected == 1))
                            .description(
                                    "sessions of request units of work; connected=false: never needed a connection")
                            .register(registry);
                }
                this.sessions.put(database, pair);
            }
        }

        void record(Finished finished) {
            Outcome outcome = finished.outcome();
            this.unitOfWork[outcome.ordinal()][finished.connected().isEmpty() ? 0 : 1].record(finished.duration());
            if (outcome == Outcome.COMMITTED) {
                this.commits.increment();
            } else {
                this.rollbacks[outcome.ordinal()].increment();
            }
            count(finished.connected(), 1);
            count(finished.unconnected(), 0);
        }

        private void count(List<Database> databases, int connected) {
            for (Database database : databases) {
                Counter[] pair = this.sessions.get(database);
                if (pair != null) {
                    pair[connected].increment();
                }
            }
        }
    }
}
