package io.github.contextr2dbc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * {@link Routing}'s rules: which database a routed read or write goes to (the order in {@link Routing}'s
 * description), the replica sets and their states, and how often each {@link RoutingDecision} was taken.
 */
final class RoutingRules {

    private final Database defaultDatabase;

    private final List<Router> routers;

    private final ReplicaBalancer balancer;

    /** Each primary with replicas, and its replicas' states. */
    private final Map<Database, List<ReplicaState>> replicaSets;

    /** Every replica's state. */
    private final Map<Database, ReplicaState> replicaStates;

    private final Duration replayWait;

    private final LongAdder[] decisions = new LongAdder[RoutingDecision.values().length];

    RoutingRules(Database defaultDatabase, Set<Database> databases, List<Router> routers, ReplicaBalancer balancer,
            Duration replayWait) {
        this.defaultDatabase = defaultDatabase;
        this.routers = List.copyOf(routers);
        this.balancer = balancer;
        this.replayWait = replayWait;
        Map<Database, List<ReplicaState>> sets = new LinkedHashMap<>();
        Map<Database, ReplicaState> states = new LinkedHashMap<>();
        for (Database db : databases) {
            Database primary = db.replicaOf();
            if (primary != null) {
                ReplicaState state = new ReplicaState(db);
                states.put(db, state);
                sets.computeIfAbsent(primary, p -> new ArrayList<>()).add(state);
            }
        }
        sets.replaceAll((primary, list) -> List.copyOf(list));
        this.replicaSets = sets;
        this.replicaStates = states;
        for (int i = 0; i < this.decisions.length; i++) {
            this.decisions[i] = new LongAdder();
        }
    }

    /** Each primary with replicas, and its replicas' states (for the background checks). */
    Map<Database, List<ReplicaState>> replicaSets() {
        return this.replicaSets;
    }

    int replicaCount() {
        return this.replicaStates.size();
    }

    int routerCount() {
        return this.routers.size();
    }

    /** A way to pick the session of a unit of work for a hint, within a scope: a read or a write. */
    interface Route {
        Mono<DbSession> session(UnitOfWork unitOfWork, ReadScope scope, RoutingHint hint);
    }

    /** The session of {@code unitOfWork} a write of {@code hint} goes to: the forced database, else dbForWrite. */
    Mono<DbSession> write(UnitOfWork unitOfWork, ReadScope scope, RoutingHint hint) {
        Database forced = hint.using() != null ? hint.using() : scope.using;
        return Mono.fromCallable(() -> unitOfWork.session(forced != null ? forced : dbForWrite(hint)));
    }

    /** The session of {@code unitOfWork} a read of {@code hint} goes to, within {@code scope}. */
    Mono<DbSession> read(UnitOfWork unitOfWork, ReadScope scope, RoutingHint hint) {
        Database forced = hint.using() != null ? hint.using() : scope.using;
        if (forced != null) {
            return Mono.just(decided(RoutingDecision.USING, unitOfWork, forced));
        }
        Database target = readTarget(hint);
        Database primary = target.replicaOf() != null ? target.replicaOf() : target;
        List<ReplicaState> replicas = this.replicaSets.get(primary);
        if (replicas == null) {
            return Mono.just(decided(RoutingDecision.PRIMARY, unitOfWork, target));
        }
        if (scope.primaryOnly) {
            return Mono.just(decided(RoutingDecision.PRIMARY, unitOfWork, primary));
        }
        ContextSession primarySession = unitOfWork.existingSession(primary);
        if (primarySession != null && primarySession.mayHaveWritten()) {
            return Mono.just(decided(RoutingDecision.PRIMARY_AFTER_WRITE, unitOfWork, primary));
        }
        ReplicaState chosen = target == primary ? pick(replicas, hint, scope.minLsn)
                : inRotation(this.replicaStates.get(target));
        if (chosen == null) {
            return Mono.just(decided(RoutingDecision.FALLBACK_NO_REPLICA, unitOfWork, primary));
        }
        if (scope.minLsn == Lsn.NONE || chosen.replayLsn() >= scope.minLsn) {
            return Mono.just(decided(RoutingDecision.REPLICA, unitOfWork, chosen.replica));
        }
        return chosen.reached(scope.minLsn, this.replayWait).map(reached -> reached
                ? decided(RoutingDecision.REPLICA, unitOfWork, chosen.replica)
                : decided(RoutingDecision.FALLBACK_LAGGING, unitOfWork, primary));
    }

    /**
     * The database a write of {@code hint} goes to when nothing is forced: the routers', else the default; a
     * replica's primary for a replica.
     */
    Database dbForWrite(RoutingHint hint) {
        Database target = null;
        for (Router router : this.routers) {
            target = router.dbForWrite(hint);
            if (target != null) {
                break;
            }
        }
        if (target == null) {
            target = this.defaultDatabase;
        }
        return target.replicaOf() != null ? target.replicaOf() : target;
    }

    private Database readTarget(RoutingHint hint) {
        for (Router router : this.routers) {
            Database target = router.dbForRead(hint);
            if (target != null) {
                return target;
            }
        }
        return this.defaultDatabase;
    }

    @Nullable
    private ReplicaState pick(List<ReplicaState> replicas, RoutingHint hint, long minLsn) {
        List<Database> candidates = null;
        ReplicaState caughtUp = null;
        int count = 0;
        ReplicaState only = null;
        for (ReplicaState state : replicas) {
            if (state.inRotation()) {
                count++;
                only = state;
                if (caughtUp == null && minLsn != Lsn.NONE && state.replayLsn() >= minLsn) {
                    caughtUp = state;
                }
            }
        }
        if (caughtUp != null) {
            return caughtUp;
        }
        if (count <= 1) {
            return only;
        }
        candidates = new ArrayList<>(count);
        for (ReplicaState state : replicas) {
            if (state.inRotation()) {
                candidates.add(state.replica);
            }
        }
        return this.replicaStates.get(this.balancer.pick(candidates, hint));
    }

    @Nullable
    private static ReplicaState inRotation(@Nullable ReplicaState state) {
        return state != null && state.inRotation() ? state : null;
    }

    private DbSession decided(RoutingDecision decision, UnitOfWork unitOfWork, Database db) {
        this.decisions[decision.ordinal()].increment();
        return unitOfWork.session(db);
    }

    long decisions(RoutingDecision decision) {
        return this.decisions[decision.ordinal()].sum();
    }
}
