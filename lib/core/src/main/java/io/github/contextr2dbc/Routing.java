package io.github.contextr2dbc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * Sends reads to replicas and writes to primaries, in the current unit of work: Django's database routers,
 * Rails' database selector and read-your-own-writes, for a primary with streaming replicas (declared with
 * {@link DatabaseBuilder#replicaOf(Database)}).
 *
 * <pre>{@code
 * Database main = Database.builder("main").url(primaryUrl).build();
 * Database r1 = Database.builder("r1").url(replica1Url).replicaOf(main).build();
 * Database r2 = Database.builder("r2").url(replica2Url).replicaOf(main).build();
 * Routing routing = Routing.builder(main).databases(r1, r2).build();
 *
 * Mono<Item> item = routing.readSession(RoutingHint.of(Item.class))
 *         .flatMap(session -> session.sql("SELECT ...").one(Item::from));
 * }</pre>
 *
 * <p><b>A routed read</b> ({@link #readSession(RoutingHint)}) goes, in this order, to:
 * <ol>
 *   <li>the database forced by {@link RoutingHint#using(Database)} or by an enclosing {@link #using(Database, Mono)}
 *       (exactly that database: nothing below applies);</li>
 *   <li>otherwise the first answer of the {@link Router}s, or the default database; call it the target. If the
 *       target has no replicas (and is none), the read goes to it. Otherwise, with P the target's primary:</li>
 *   <li>P, if the unit of work reads from primaries ({@link #readFromPrimary()}; the web filter's default for
 *       methods other than GET and HEAD);</li>
 *   <li>P, if P's session in this unit of work may have written: read-your-own-writes. "May have written"
 *       means a statement that may write ran on it (decided from its SQL, see {@link ReplicaWriteRefusedException}'s
 *       rules in the README), in this or an earlier transaction of the unit of work;</li>
 *   <li>P, if no replica of P is in rotation (background checks take replicas that fail or lag out);</li>
 *   <li>if the unit of work carries a read-your-own-writes position ({@link #readAfter(String)}, from a token):
 *       a replica in rotation known to have replayed it; else the balancer's pick if it replays it within the
 *       {@linkplain Builder#replayWait(Duration) replay wait}; else P;</li>
 *   <li>otherwise the replica the {@link ReplicaBalancer} picks among those in rotation (round-robin by default),
 *       or the target itself when the routers named a replica.</li>
 * </ol>
 * A routed write ({@link #writeSession(RoutingHint)}) goes to the forced database, else to the routers' or the
 * default database, and when that is a replica, to its primary.
 *
 * <p>Nothing connects when a session is routed: as with {@link UnitOfWork#dbSession(Database)}, the connection
 * comes with the first statement, so a request that routes but runs nothing takes no connection anywhere. Only a
 * read with a read-your-own-writes position not yet known to be replayed may probe a replica (once every few
 * milliseconds, shared by every waiting request, within the replay wait).
 *
 * <p><b>Background checks</b> ({@link #startChecks()}): every {@linkplain Builder#checkInterval(Duration) interval}
 * each primary's WAL position and each replica's replay position are read, on sessions of their own; a replica
 * that fails, is no longer in recovery (promoted), or lags by more than
 * {@linkplain Builder#maxLagBytes(long) max lag} leaves the rotation until a later check finds it well. No check
 * runs on a request's path.
 */
public final class Routing {

    /** The Reactor Context key of the {@link ReadScope}. */
    private static final Class<ReadScope> SCOPE_KEY = ReadScope.class;

    private final Database defaultDatabase;

    /** Where a routed read or write goes, and the count of each decision. */
    private final RoutingRules rules;

    private final ReplicaChecks checks;

    private Routing(Builder builder) {
        this.defaultDatabase = builder.defaultDatabase;
        this.rules = new RoutingRules(builder.defaultDatabase, builder.databases.keySet(), builder.routers,
                builder.balancer, builder.replayWait);
        this.checks = new ReplicaChecks(this.rules.replicaSets(), builder.maxLagBytes, builder.checkInterval,
                builder.checkTimeout);
    }

    /** A builder routing, by default, to {@code defaultDatabase} (a primary, usually). */
    public static Builder builder(Database defaultDatabase) {
        return new Builder(Objects.requireNonNull(defaultDatabase, "defaultDatabase"));
    }

    /** The database routed to when no router has an opinion. */
    public Database defaultDatabase() {
        return this.defaultDatabase;
    }

    /** {@link #readSession(RoutingHint)} with {@link RoutingHint#NONE}. */
    public Mono<DbSession> readSession() {
        return readSession(RoutingHint.NONE);
    }

    /**
     * The current unit of work's session to read {@code hint} from (see the class description). Opens nothing.
     *
     * @return a cold {@link Mono} of the session; error: {@link NoUnitOfWorkException} with no unit of work in the
     * Context, {@link IllegalStateException} if the unit of work has ended; cancel: nothing to undo (a probe of a
     * replica already running finishes for the requests still waiting on it)
     */
    public Mono<DbSession> readSession(RoutingHint hint) {
        Objects.requireNonNull(hint, "hint");
        return inUnitOfWork("readSession", hint, this.rules::read);
    }

    private static Mono<DbSession> inUnitOfWork(String method, RoutingHint hint, RoutingRules.Route route) {
        return Mono.deferContextual(context -> {
            UnitOfWork unitOfWork = context.getOrDefault(UnitOfWork.class, null);
            return unitOfWork == null ? Mono.error(new NoUnitOfWorkException("Routing." + method + "(" + hint + ")"))
                    : route.session(unitOfWork, scope(context), hint);
        });
    }

    /** {@link #writeSession(RoutingHint)} with {@link RoutingHint#NONE}. */
    public Mono<DbSession> writeSession() {
        return writeSession(RoutingHint.NONE);
    }

    /**
     * The current unit of work's session to write {@code hint} to: the forced database, else the routers' or the
     * default database, a replica replaced by its primary. Opens nothing.
     *
     * @return a cold {@link Mono} of the session; error: {@link NoUnitOfWorkException} with no unit of work in the
     * Context; cancel: nothing to undo
     */
    public Mono<DbSession> writeSession(RoutingHint hint) {
        Objects.requireNonNull(hint, "hint");
        return inUnitOfWork("writeSession", hint, this.rules::write);
    }

    /**
     * The database a write of {@code hint} goes to when nothing is forced: the routers', else the default; a
     * replica's primary for a replica.
     */
    public Database dbForWrite(RoutingHint hint) {
        return this.rules.dbForWrite(hint);
    }

    /** How many routed reads were decided {@code decision} since this routing was built. */
    public long decisions(RoutingDecision decision) {
        return this.rules.decisions(decision);
    }

    /**
     * Runs {@code work} with every routed read and write inside it going to exactly {@code db} (Django's
     * {@code using} for a block); the routers, replicas and read-your-own-writes are skipped.
     *
     * @return {@code work}, with {@code db} in its Context: complete, error and cancel are {@code work}'s
     */
    public static <T> Mono<T> using(Database db, Mono<T> work) {
        return work.contextWrite(forcing(db));
    }

    /** Like {@link #using(Database, Mono)}, for a {@link Flux}. */
    public static <T> Flux<T> using(Database db, Flux<T> work) {
        return work.contextWrite(forcing(db));
    }

    private static Function<Context, Context> forcing(Database db) {
        Objects.requireNonNull(db, "db");
        return context -> context.put(SCOPE_KEY, scope(context).with(db));
    }

    /**
     * A Context writer: routed reads upstream go to primaries (the web filter's policy for requests other than
     * GET and HEAD).
     */
    public static Function<Context, Context> readFromPrimary() {
        return context -> context.put(SCOPE_KEY, scope(context).primaryOnly(true));
    }

    /** A Context writer: routed reads upstream may go to replicas (the default). */
    public static Function<Context, Context> readFromReplicas() {
        return context -> context.put(SCOPE_KEY, scope(context).primaryOnly(false));
    }

    /**
     * A Context writer: routed reads upstream go to a replica only once it has replayed the WAL position
     * {@code lsn} (as PostgreSQL prints a {@code pg_lsn}, e.g. {@code 16/B374D848}; a read-your-own-writes token's
     * content), waiting at most the replay wait, else to the primary.
     *
     * @throws IllegalArgumentException if {@code lsn} is not a WAL position
     */
    public static Function<Context, Context> readAfter(String lsn) {
        long position = Lsn.parse(lsn);
        return context -> context.put(SCOPE_KEY, scope(context).after(position));
    }

    private static ReadScope scope(ContextView context) {
        return context.getOrDefault(SCOPE_KEY, ReadScope.DEFAULT);
    }

    /**
     * The highest WAL position reached by a commit, after a write, of a primary with replicas in this unit of
     * work (also after it has ended): the content of a read-your-own-writes token. Empty if nothing was written
     * on such a primary, or the commits did not report one.
     */
    public static Optional<String> commitLsn(UnitOfWork unitOfWork) {
        return CommitLsn.highest(unitOfWork);
    }

    /** Whether {@code a} is at or past {@code b}, both WAL positions as PostgreSQL prints them. */
    public static boolean lsnAtOrPast(String a, String b) {
        return Long.compareUnsigned(Lsn.parse(a), Lsn.parse(b)) >= 0;
    }

    /** Every replica and what the last check found, in declaration order. */
    public List<ReplicaStatus> replicas() {
        return this.checks.replicas();
    }

    /**
     * One round of checks, now: each primary's WAL position, then each replica's state, every query within the
     * check timeout on a session of its own. Puts replicas in or out of rotation.
     *
     * @return a cold {@link Mono}: complete once every replica was checked (a failing check only takes its
     * replica out); never errors; cancel: the checks still running are cancelled, states keep their last value
     */
    public Mono<Void> checkReplicas() {
        return this.checks.checkReplicas();
    }

    /**
     * Starts the background checks: {@link #checkReplicas()} every check interval on Reactor's parallel
     * scheduler, a round never overlapping the previous one. Nothing runs when there are no replicas.
     *
     * @return what stops them ({@code dispose()}); stop them before closing the databases
     */
    public Disposable startChecks() {
        return this.checks.startChecks();
    }

    @Override
    public String toString() {
        return "Routing{default " + this.defaultDatabase.name() + ", " + this.rules.replicaCount() + " replicas, "
                + this.rules.routerCount() + " routers}";
    }

    /** Builds a {@link Routing}; every setter names its default. */
    public static final class Builder {

        private final Database defaultDatabase;
        private final Map<Database, Boolean> databases = new LinkedHashMap<>();
        private final List<Router> routers = new ArrayList<>();
        private ReplicaBalancer balancer = ReplicaBalancer.roundRobin();
        private long maxLagBytes = 16L * 1024 * 1024;
        private Duration checkInterval = Duration.ofSeconds(1);
        private Duration checkTimeout = Duration.ofSeconds(2);
        private Duration replayWait = Duration.ofMillis(50);

        private Builder(Database defaultDatabase) {
            this.defaultDatabase = defaultDatabase;
            this.databases.put(defaultDatabase, Boolean.TRUE);
        }

        /**
         * Databases routing knows of, besides the default one; replicas among them (built with
         * {@link DatabaseBuilder#replicaOf(Database)}) are grouped by primary, in the order given.
         */
        public Builder databases(Database... databases) {
            return databases(Arrays.asList(databases));
        }

        /** Like {@link #databases(Database...)}. */
        public Builder databases(Iterable<Database> databases) {
            for (Database db : databases) {
                this.databases.put(Objects.requireNonNull(db, "database"), Boolean.TRUE);
            }
            return this;
        }

        /** Adds a router, asked after those added before it. Default: none (everything to the default database). */
        public Builder router(Router router) {
            this.routers.add(Objects.requireNonNull(router, "router"));
            return this;
        }

        /** How a replica is picked among those in rotation. Default: {@link ReplicaBalancer#roundRobin()}. */
        public Builder balancer(ReplicaBalancer balancer) {
            this.balancer = Objects.requireNonNull(balancer, "balancer");
            return this;
        }

        /** A replica lagging by more WAL than this leaves the rotation. Default: 16 MiB. */
        public Builder maxLagBytes(long maxLagBytes) {
            if (maxLagBytes < 0) {
                throw new IllegalArgumentException("maxLagBytes must be 0 or more (got " + maxLagBytes + ")");
            }
            this.maxLagBytes = maxLagBytes;
            return this;
        }

        /** How often {@link #startChecks()} checks the replicas. Default: 1 second. */
        public Builder checkInterval(Duration checkInterval) {
            this.checkInterval = positive("checkInterval", checkInterval);
            return this;
        }

        /** The longest one check query may take before its replica counts as failing. Default: 2 seconds. */
        public Builder checkTimeout(Duration checkTimeout) {
            this.checkTimeout = positive("checkTimeout", checkTimeout);
            return this;
        }

        /**
         * The longest a read with a read-your-own-writes position waits for a replica to replay it before going to
         * the primary; zero: never wait. Default: 50 ms.
         */
        public Builder replayWait(Duration replayWait) {
            if (replayWait == null || replayWait.isNegative()) {
                throw new IllegalArgumentException("replayWait must be zero or positive (got " + replayWait + ")");
            }
            this.replayWait = replayWait;
            return this;
        }

        /**
         * The routing.
         *
         * @throws IllegalArgumentException if a replica's primary is not among the databases
         */
        public Routing build() {
            for (Database db : this.databases.keySet()) {
                Database primary = db.replicaOf();
                if (primary != null && !this.databases.containsKey(primary)) {
                    throw new IllegalArgumentException("Replica '" + db.name() + "' replicates '" + primary.name()
                            + "', which routing does not know: add it with databases(...) or make it the default");
                }
            }
            return new Routing(this);
        }

        private static Duration positive(String name, Duration value) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + " must be a positive duration (got " + value + ")");
            }
            return value;
        }
    }
}
