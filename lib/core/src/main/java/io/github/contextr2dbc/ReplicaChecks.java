package io.github.contextr2dbc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@link Routing}'s background checks of its replicas: each primary's WAL position and each replica's replay
 * position and recovery state, read on sessions of their own (never on a request's path), putting replicas in
 * or out of rotation ({@link ReplicaState}).
 */
final class ReplicaChecks {

    private static final Logger log = LoggerFactory.getLogger(Routing.class);

    private final Map<Database, List<ReplicaState>> replicaSets;

    private final long maxLagBytes;

    private final Duration checkInterval;

    private final Duration checkTimeout;

    ReplicaChecks(Map<Database, List<ReplicaState>> replicaSets, long maxLagBytes, Duration checkInterval,
            Duration checkTimeout) {
        this.replicaSets = replicaSets;
        this.maxLagBytes = maxLagBytes;
        this.checkInterval = checkInterval;
        this.checkTimeout = checkTimeout;
    }

    /** Every replica and what the last check found, in declaration order. */
    List<ReplicaStatus> replicas() {
        List<ReplicaStatus> all = new ArrayList<>();
        for (List<ReplicaState> set : this.replicaSets.values()) {
            for (ReplicaState state : set) {
                all.add(state.status());
            }
        }
        return all;
    }

    /**
     * One round of checks, now: each primary's WAL position, then each replica's state, every query within the
     * check timeout on a session of its own. Puts replicas in or out of rotation.
     *
     * @return a cold {@link Mono}: complete once every replica was checked (a failing check only takes its
     * replica out); never errors; cancel: the checks still running are cancelled, states keep their last value
     */
    Mono<Void> checkReplicas() {
        return Flux.fromIterable(this.replicaSets.entrySet())
                .concatMap(set -> primaryLsn(set.getKey())
                        .flatMapMany(primaryLsn -> Flux.fromIterable(set.getValue())
                                .concatMap(state -> check(state, primaryLsn))))
                .then();
    }

    private Mono<Long> primaryLsn(Database primary) {
        return primary.inSession(session -> session.sql("SELECT pg_current_wal_lsn()::text")
                        .one(row -> Lsn.parse(row.get(0, String.class))))
                .next()
                .timeout(this.checkTimeout)
                .onErrorResume(error -> {
                    log.debug("Routing check: WAL position of primary '{}' unknown: {}", primary.name(),
                            error.toString());
                    return Mono.just(Lsn.NONE);
                });
    }

    private Mono<Void> check(ReplicaState state, long primaryLsn) {
        return state.replica.inSession(session -> session.sql(ReplicaState.REPLAY_SQL)
                        .one(row -> new Object[] {row.get(0, Boolean.class), row.get(1, String.class)}))
                .next()
                .timeout(this.checkTimeout)
                .doOnNext(answer -> {
                    boolean inRecovery = Boolean.TRUE.equals(answer[0]);
                    long replayed = answer[1] == null ? Lsn.NONE : Lsn.parse((String) answer[1]);
                    long lag = primaryLsn == Lsn.NONE || replayed == Lsn.NONE ? -1 : Math.max(0, primaryLsn - replayed);
                    String reason = !inRecovery ? "not in recovery (promoted?)"
                            : lag > this.maxLagBytes ? "lags by " + lag + " bytes (max " + this.maxLagBytes + ")"
                            : null;
                    changed(state, reason);
                    state.checked(reason == null, replayed, lag, reason);
                })
                .onErrorResume(error -> {
                    String reason = "check failed: " + error.getClass().getSimpleName();
                    changed(state, reason);
                    state.checked(false, Lsn.NONE, -1, reason);
                    return Mono.empty();
                })
                .then();
    }

    private static void changed(ReplicaState state, @Nullable String reason) {
        if (state.inRotation() && reason != null) {
            log.warn("Replica '{}' leaves the rotation: {}", state.replica.name(), reason);
        } else if (!state.inRotation() && reason == null) {
            log.info("Replica '{}' is back in rotation", state.replica.name());
        }
    }

    /**
     * Starts the background checks: {@link #checkReplicas()} every check interval on Reactor's parallel
     * scheduler, a round never overlapping the previous one. Nothing runs when there are no replicas.
     *
     * @return what stops them ({@code dispose()}); stop them before closing the databases
     */
    Disposable startChecks() {
        if (this.replicaSets.isEmpty()) {
            return () -> { };
        }
        return Flux.interval(Duration.ZERO, this.checkInterval)
                .onBackpressureDrop()
                .concatMap(tick -> checkReplicas(), 1)
                .subscribe(done -> { }, error -> log.error("Routing checks stopped", error));
    }
}
