package io.github.contextr2dbc;

import java.util.Optional;

import io.r2dbc.spi.Connection;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A commit that also reads the WAL position it reached, in one round trip: the connection's
 * {@code commitTransaction()} and {@code SELECT pg_current_wal_insert_lsn()} are sent together (pipelined,
 * the commit first). The insert position read after the commit is at or past the end of the commit record,
 * so a replica whose {@code pg_last_wal_replay_lsn()} has reached it shows the committed rows.
 *
 * <p>The commit goes through the SPI's {@code commitTransaction()}, never as SQL text, so a connection that
 * gives the commit another meaning (a test's savepoint, an instrumented connection) keeps it. If the commit
 * fails (a deferred constraint), the commit's error is the error; a failed position query only means no
 * position ({@link Lsn#NONE}).
 *
 * <p>Cancel: both messages leave when the result is subscribed; a cancel after that does not stop the commit, and
 * the driver drains both answers, so the connection stays in step for its next statement ({@code CommitLsnIT}
 * cancels at random points, 300 times on one connection). Sessions never cancel a commit that started.
 */
final class CommitLsn {

    static final String POSITION = "SELECT pg_current_wal_insert_lsn()::text";

    private CommitLsn() {
    }

    /** The highest position a commit of {@code unitOfWork} reported (also after it ended), if any. */
    static Optional<String> highest(UnitOfWork unitOfWork) {
        long highest = Lsn.NONE;
        for (ContextSession session : unitOfWork.sessionsEvenEnded()) {
            highest = Math.max(highest, session.commitLsn());
        }
        return highest == Lsn.NONE ? Optional.empty() : Optional.of(Lsn.format(highest));
    }

    /** Commits; the value is the WAL position after the commit ({@link Lsn#NONE} if none could be read). */
    static Mono<Long> commit(Connection connection) {
        Mono<Long> position = Flux.from(connection.createStatement(POSITION).execute())
                .concatMap(result -> result.map(row -> row.get(0, String.class)))
                .next()
                .map(Lsn::parse)
                .onErrorReturn(Lsn.NONE);
        return Flux.mergeSequential(Mono.from(connection.commitTransaction()).then(Mono.<Long>empty()), position)
                .last(Lsn.NONE);
    }
}
