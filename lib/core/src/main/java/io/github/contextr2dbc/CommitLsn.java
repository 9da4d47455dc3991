package io.github.contextr2dbc;

import io.r2dbc.spi.Connection;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A {@code COMMIT} that also reads the WAL position the commit reached, in one round trip: one simple query
 * {@code COMMIT; SELECT pg_current_wal_insert_lsn()}. The insert position read after the commit is at or
 * past the end of the commit record, so a replica whose {@code pg_last_wal_replay_lsn()} has reached it
 * shows the committed rows. If {@code COMMIT} fails (a deferred constraint), the server skips the rest of the
 * query and the commit's error is the error.
 */
final class CommitLsn {

    static final String SQL = "COMMIT; SELECT pg_current_wal_insert_lsn()::text";

    private CommitLsn() {
    }

    /** Commits; the value is the WAL position after the commit ({@link Lsn#NONE} if the server sent none). */
    static Mono<Long> commit(Connection connection) {
        return Flux.from(connection.createStatement(SQL).execute())
                .concatMap(result -> result.map(row -> row.get(0, String.class)))
                .reduce((first, last) -> last)
                .map(Lsn::parse)
                .defaultIfEmpty(Lsn.NONE);
    }
}
