package io.github.contextr2dbc.spring.boot;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

import io.github.contextr2dbc.Database;
import io.r2dbc.spi.R2dbcTimeoutException;
import io.r2dbc.spi.Readable;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import reactor.core.publisher.Mono;

/**
 * The health of one database, checked in a session of its own ({@link Database#inSession}), never inside
 * a request's unit of work. A primary is up when it answers; a replica (one with a primary) also reports
 * its replication lag: {@code lagBytes} (WAL the primary has written that the replica has not replayed)
 * and {@code lagSeconds} (age of the last replayed transaction, 0 when everything received is replayed).
 *
 * <p>A busy pool is not a database that is down. When every pooled connection is in use (at the start of
 * the check, or when the check's turn for a connection timed out), the check does not wait for one: the
 * database is reported up with {@code checked: false} and the pool's state ({@code poolAcquired},
 * {@code poolIdle}, {@code poolPending}, {@code poolMaxSize}), so a probe with a short timeout neither
 * waits behind the application's requests nor takes a connection from them. The check as a whole has its
 * own time limit ({@code context-r2dbc.health.timeout}, 5 s by default); a database that does not answer in
 * it is down.
 */
final class DatabaseHealthIndicator implements ReactiveHealthIndicator {

    private static final String REPLICA_SQL = "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, "
            + "CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
            + "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END::float8, "
            + "pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::float8";

    private final Database database;

    @Nullable
    private final Database primary;

    private final Duration timeout;

    DatabaseHealthIndicator(Database database, @Nullable Database primary, Duration timeout) {
        this.database = database;
        this.primary = primary;
        this.timeout = timeout;
    }

    /**
     * Checks the database.
     *
     * @return a cold {@link Mono} of the health: up with details, or down with the error (never an error
     * signal); cancel: the check's session is rolled back and released
     */
    @Override
    public Mono<Health> health() {
        return Mono.defer(() -> {
            if (poolBusy(this.database) || (this.primary != null && poolBusy(this.primary))) {
                return Mono.just(busy());
            }
            Mono<Health> check = this.primary == null ? primaryHealth() : replicaHealth(this.primary);
            return check
                    .timeout(this.timeout)
                    .onErrorResume(error -> Mono.just(isAcquireTimeout(error) ? busy() : Health.down()
                            .withDetail("database", this.database.name())
                            .withDetail("host", this.database.host())
                            .withDetail("error", error.getClass().getName())
                            .build()));
        });
    }

    /** Every connection the pool may hold is in use, or requests already wait for one. */
    private static boolean poolBusy(Database database) {
        return database.poolMetrics()
                .map(pool -> pool.pendingAcquireSize() > 0
                        || (pool.idleSize() == 0 && pool.acquiredSize() >= pool.getMaxAllocatedSize()))
                .orElse(false);
    }

    /** The pool's acquire timeout (r2dbc-pool: an R2dbcTimeoutException caused by a TimeoutException). */
    private static boolean isAcquireTimeout(Throwable error) {
        return error instanceof R2dbcTimeoutException timeout && timeout.getSqlState() == null
                && timeout.getCause() instanceof TimeoutException;
    }

    private Health busy() {
        return details(Health.up())
                .withDetail("checked", false)
                .withDetail("reason",
                        "every pooled connection is in use: not checked, to leave them to the application")
                .build();
    }

    private Mono<Health> primaryHealth() {
        return this.database.inSession(session -> session.sql("SELECT pg_is_in_recovery()")
                        .one(row -> row.get(0, Boolean.class)))
                .single()
                .map(inRecovery -> details(Health.up()).withDetail("checked", true).withDetail("inRecovery",
                        inRecovery).build());
    }

    private Mono<Health> replicaHealth(Database primary) {
        return primary.inSession(session -> session.sql("SELECT pg_current_wal_lsn()::text")
                        .one(row -> row.get(0, String.class)))
                .single()
                .flatMap(primaryLsn -> this.database.inSession(session -> session.sql(REPLICA_SQL)
                                .bind(0, primaryLsn)
                                .one(DatabaseHealthIndicator::replicaState))
                        .single())
                .map(state -> {
                    Health.Builder builder = details(Health.up()).withDetail("checked", true)
                            .withDetail("replicaOf", primary.name())
                            .withDetail("inRecovery", state.inRecovery);
                    if (state.inRecovery) {
                        builder.withDetail("replayLsn", state.replayLsn == null ? "none" : state.replayLsn)
                                .withDetail("lagBytes", Math.max(0L, Math.round(state.lagBytes)))
                                .withDetail("lagSeconds", state.lagSeconds);
                    } else {
                        builder.withDetail("warning", "not in recovery: this replica has been promoted");
                    }
                    return builder.build();
                });
    }

    private Health.Builder details(Health.Builder builder) {
        builder.withDetail("database", this.database.name()).withDetail("host", this.database.host());
        this.database.poolMetrics().ifPresent(pool -> builder
                .withDetail("poolAcquired", pool.acquiredSize())
                .withDetail("poolIdle", pool.idleSize())
                .withDetail("poolPending", pool.pendingAcquireSize())
                .withDetail("poolMaxSize", pool.getMaxAllocatedSize()));
        return builder;
    }

    private static ReplicaState replicaState(Readable row) {
        Boolean inRecovery = row.get(0, Boolean.class);
        Double lagSeconds = row.get(2, Double.class);
        Double lagBytes = row.get(3, Double.class);
        return new ReplicaState(Boolean.TRUE.equals(inRecovery), row.get(1, String.class),
                lagSeconds == null ? 0.0 : lagSeconds, lagBytes == null ? 0.0 : lagBytes);
    }

    private record ReplicaState(boolean inRecovery, @Nullable String replayLsn, double lagSeconds, double lagBytes) {
    }
}
