package io.github.contextr2dbc.data;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.launcher.DirectSql;
import io.github.contextr2dbc.launcher.PostgresPair;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.data.annotation.Id;
import org.springframework.data.relational.core.mapping.Table;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.util.RaceTestUtils;

import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code Repository.get(id)}, which renders its statement on the first call and only binds afterwards, and
 * {@code get()}'s one-row operator, on the real primary: the same answers and errors as the query set path,
 * on the first call and the later ones; cancelling frees the session.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PointReadIT {

    static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final PostgresPair pair = PostgresPair.shared();

    private final String url = this.pair.primaryUrl(this.pair.createDatabase("pointread"));

    private final DirectSql direct = new DirectSql(this.url);

    private final Database db = Database.builder("pointread").url(this.url).maxSize(2).build();

    @Table("thing")
    record Thing(@Id Long id, String name) {
    }

    @BeforeAll
    void schema() {
        this.direct.execute("DROP TABLE IF EXISTS thing",
                "CREATE TABLE thing (id bigint PRIMARY KEY, name text)",
                "INSERT INTO thing SELECT n, 'thing ' || n FROM generate_series(1, 50) n");
    }

    @AfterAll
    void close() {
        this.db.close().block(TIMEOUT);
    }

    private <T> T run(Mono<T> work) {
        return inNewUnitOfWork(work).block(TIMEOUT);
    }

    @Test
    void everyCallReadsItsOwnIdLikeTheQuerySet() {
        Repository<Thing, Long> things = Repository.of(this.db, Thing.class);
        for (long id = 1; id <= 50; id++) {
            assertThat(run(things.get(id))).isEqualTo(new Thing(id, "thing " + id))
                    .isEqualTo(run(things.objects().get("id", id)));
        }
        // an id of another numeric type is converted for the column, as filter("id", 7) does
        @SuppressWarnings({"unchecked", "rawtypes"})
        Repository<Thing, Object> loose = (Repository) things;
        assertThat(run(loose.get(7))).isEqualTo(new Thing(7L, "thing 7"));
        List<Thing> many = run(Flux.range(1, 20).concatMap(i -> things.get((long) i)).collectList());
        assertThat(many).extracting(Thing::id).containsExactlyElementsOf(
                Flux.range(1, 20).map(Integer::longValue).collectList().block());
    }

    @Test
    void missingIdAndNullIdFailAsGetDoes() {
        Repository<Thing, Long> things = Repository.of(this.db, Thing.class);
        for (int call = 0; call < 2; call++) { // the first call renders, the second only binds
            StepVerifier.create(inNewUnitOfWork(things.get(999L)))
                    .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(ObjectNotFoundException.class)
                            .hasMessage("No Thing matches [Q(id)]"))
                    .verify(TIMEOUT);
        }
        StepVerifier.create(inNewUnitOfWork(things.get(null))).expectError(ObjectNotFoundException.class)
                .verify(TIMEOUT);
    }

    @Test
    void moreThanOneRowFailsAndCancelsTheRest() {
        Repository<Thing, Long> things = Repository.of(this.db, Thing.class);
        StepVerifier.create(inNewUnitOfWork(things.objects().filter("id__lte", 10).get()))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(MultipleObjectsReturnedException.class)
                        .hasMessageContaining("More than one Thing matches"))
                .verify(TIMEOUT);
        // the session is usable after: the statement's remaining rows were cancelled
        assertThat(run(things.get(3L).then(things.get(4L)))).isEqualTo(new Thing(4L, "thing 4"));
    }

    @Test
    void cancellingPointReadsAtAnyMomentLeaksNoConnection() {
        Repository<Thing, Long> things = Repository.of(this.db, Thing.class);
        run(things.get(1L));
        for (int i = 0; i < 200; i++) {
            AtomicReference<Thing> seen = new AtomicReference<>();
            long id = 1 + i % 50;
            Disposable running = inNewUnitOfWork(things.get(id)).subscribe(seen::set);
            RaceTestUtils.race(running::dispose, () -> { });
            assertThat(seen.get() == null || seen.get().id() == id).isTrue();
        }
        // every connection came back: the pool's two connections serve two units of work at once
        Long sixth = run(Mono.zip(things.get(5L), things.get(6L)).map(both -> both.getT2().id()));
        assertThat(sixth).isEqualTo(6L);
        List<Thing> after = Flux.range(1, 4).flatMap(i -> inNewUnitOfWork(things.get((long) i)))
                .collectList().block(TIMEOUT);
        assertThat(after).hasSize(4);
    }
}
