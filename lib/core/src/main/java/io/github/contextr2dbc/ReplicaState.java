package io.github.contextr2dbc;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * What routing knows of one replica: in rotation or not (decided by the background check), the last WAL
 * position it was seen to have replayed, and a coalesced probe of that position for requests waiting on a
 * read-your-own-writes token.
 */
final class ReplicaState {

    static final String REPLAY_SQL = "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text";

    private static final Duration PROBE_PAUSE = Duration.ofMillis(5);

    final Database replica;

    private volatile boolean inRotation = true;

    private volatile long replayLsn = Lsn.NONE;

    private volatile long lagBytes = -1;

    @Nullable
    private volatile String reason;

    @Nullable
    private volatile Instant checkedAt;

    /** The probe in flight, shared by every request waiting for this replica; null when none is. */
    private final AtomicReference<Mono<Long>> probe = new AtomicReference<>();

    ReplicaState(Database replica) {
        this.replica = replica;
    }

    boolean inRotation() {
        return this.inRotation;
    }

    long replayLsn() {
        return this.replayLsn;
    }

    ReplicaStatus status() {
        long replayed = this.replayLsn;
        return new ReplicaStatus(this.replica, this.inRotation, this.lagBytes,
                replayed == Lsn.NONE ? null : Lsn.format(replayed), this.reason, this.checkedAt);
    }

    /** The background check's verdict. */
    void checked(boolean inRotation, long replayLsn, long lagBytes, @Nullable String reason) {
        noteReplayed(replayLsn);
        this.lagBytes = lagBytes;
        this.reason = reason;
        this.checkedAt = Instant.now();
        this.inRotation = inRotation;
    }

    private void noteReplayed(long lsn) {
        if (lsn > this.replayLsn) {
            this.replayLsn = lsn;
        }
    }

    /**
     * Whether the replica has replayed {@code lsn}, waiting at most {@code wait}: the cached position first,
     * then probes of the replica (one at a time, shared by all waiting requests) every few milliseconds.
     *
     * @return a {@link Mono} of true once replayed, false if not within {@code wait} or if the probe fails;
     * never errors
     */
    Mono<Boolean> reached(long lsn, Duration wait) {
        if (this.replayLsn >= lsn) {
            return Mono.just(true);
        }
        if (wait.isZero()) {
            return Mono.just(false);
        }
        return Mono.defer(this::sharedProbe)
                .filter(replayed -> replayed >= lsn)
                .repeatWhenEmpty(attempts -> attempts.delayElements(PROBE_PAUSE))
                .map(replayed -> true)
                .timeout(wait, Mono.just(false))
                .onErrorReturn(false);
    }

    private Mono<Long> sharedProbe() {
        Mono<Long> current = this.probe.get();
        if (current != null) {
            return current;
        }
        AtomicReference<Mono<Long>> self = new AtomicReference<>();
        Mono<Long> created = this.replica.inSession(session -> session.sql(REPLAY_SQL)
                        .one(row -> {
                            String replayed = row.get(1, String.class);
                            return replayed == null ? Lsn.NONE : Lsn.parse(replayed);
                        }))
                .next()
                .defaultIfEmpty(Lsn.NONE)
                .doOnNext(this::noteReplayed)
                .doOnTerminate(() -> this.probe.compareAndSet(self.get(), null))
                .cache();
        self.set(created);
        return this.probe.compareAndSet(null, created) ? created : Mono.defer(this::sharedProbe);
    }
}
