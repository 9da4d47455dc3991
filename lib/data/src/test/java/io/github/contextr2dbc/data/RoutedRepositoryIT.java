package io.github.contextr2dbc.data;

import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.ReplicaWriteRefusedException;
import io.github.contextr2dbc.Routing;
import io.github.contextr2dbc.launcher.DirectSql;
import io.github.contextr2dbc.launcher.PostgresPair;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Mono;

import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A repository built on a {@link Routing}: reads go to the replica, writes and locking reads to the primary,
 * reads after a write in the same unit of work to the primary, {@code using(db)} wins. Checked with replay
 * paused on the replica, so the database that answered is visible in the rows.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RoutedRepositoryIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final PostgresPair pair = PostgresPair.shared();

    private final String name = this.pair.createDatabase("routed");

    private final DirectSql direct = new DirectSql(this.pair.primaryUrl(this.name));

    private final Database primary = Database.builder("main").url(this.pair.primaryUrl(this.name)).build();

    private final Database replica = Database.builder("replica").url(this.pair.replicaUrl(this.name))
            .replicaOf(this.primary).build();

    private final Routing routing = Routing.builder(this.primary).databases(this.replica).build();

    private final Repository<Author, Long> authors = Repository.of(this.routing, Author.class);

    @BeforeAll
    void schema() {
        this.direct.execute("CREATE TABLE author (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, born date)",
                "INSERT INTO author (name) VALUES ('on both')");
        this.pair.awaitReplicaCaughtUp();
    }

    @AfterAll
    void close() {
        this.primary.close().then(this.replica.close()).block(TIMEOUT);
    }

    /** Runs {@code work} with a row, named by the argument, that the primary has and the replica has not. */
    private <T> T withReplayPaused(Function<String, Mono<T>> work) {
        this.pair.awaitReplicaCaughtUp();
        String marker = "primary only " + System.nanoTime();
        this.pair.pauseReplay();
        try {
            this.direct.execute("INSERT INTO author (name) VALUES ('" + marker + "')");
            return inNewUnitOfWork(work.apply(marker).contextWrite(Routing.readFromReplicas())).block(TIMEOUT);
        } finally {
            this.pair.resumeReplay();
        }
    }

    @Test
    void readsGoToTheReplica() {
        long seen = withReplayPaused(marker -> this.authors.objects().filter("name", marker).count());
        long replicaReads = this.replica.acquisitions();
        assertThat(seen).as("rows only the primary has").isZero();
        assertThat(replicaReads).isPositive();
    }

    @Test
    void lockingReadsAndWritesGoToThePrimaryAndLaterReadsFollowThem() {
        List<Long> counts = withReplayPaused(marker -> this.authors.objects().filter("name", marker)
                .selectForUpdate().all().count()
                .flatMap(locked -> this.authors.create(new Author("written " + System.nanoTime(), LocalDate.now()))
                        .then(this.authors.objects().filter("name", marker).count())
                        .map(afterWrite -> List.of(locked, afterWrite))));
        assertThat(counts).as("locking read on the primary, then a read after a write on the primary's session")
                .containsExactly(1L, 1L);
    }

    @Test
    void usingPicksTheDatabase() {
        long seen = withReplayPaused(marker -> this.authors.objects().using(this.primary)
                .filter("name", marker).count());
        assertThat(seen).isEqualTo(1);
    }

    @Test
    void aWriteForcedOntoTheReplicaIsRefusedBeforeTheServer() {
        assertThatThrownBy(() -> inNewUnitOfWork(this.authors.objects().using(this.replica)
                .filter("name", "on both").update(Map.of("name", "renamed"))).block(TIMEOUT))
                .isInstanceOf(ReplicaWriteRefusedException.class);
    }
}
