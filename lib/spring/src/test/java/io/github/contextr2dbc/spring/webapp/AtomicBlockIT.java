package io.github.contextr2dbc.spring.webapp;

import java.util.concurrent.atomic.AtomicLong;

import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.spring.TestSql;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code @AtomicBlock} bean methods: the outermost block commits at its end, whatever the request or unit
 * of work does next; nested ones are savepoints.
 */
class AtomicBlockIT extends AbstractWebIT {

    @Autowired
    AtomicItems items;

    @Autowired
    AtomicOrders orders;

    /** Runs {@code work} in a unit of work that is then closed (rolled back): only what blocks committed stays. */
    private static <T> Flux<T> inUnitOfWorkRolledBack(Flux<T> work) {
        return Flux.usingWhen(Mono.fromSupplier(UnitOfWork::create), unitOfWork -> work.contextWrite(unitOfWork.bind()),
                UnitOfWork::close);
    }

    @Test
    void theBlockCommitsAtItsEndEvenWhenTheRequestThenAnswers400() {
        String name = unique("block-400");
        this.client.post().uri("/atomic/then-400?name={n}", name).exchange().expectStatus().isBadRequest();
        assertThat(items(name)).as("the block's row").isEqualTo(1);
        assertThat(items(name + "-plain")).as("the request's row, after the block").isZero();
    }

    @Test
    void aNestedBlockIsASavepoint() {
        String name = unique("nested");
        this.client.post().uri("/atomic/nested?name={n}", name).exchange().expectStatus().isOk();
        assertThat(items(name + "-outer")).isEqualTo(1);
        assertThat(items(name + "-inner")).as("rolled back to the inner block's savepoint").isZero();
        assertThat(items(name + "-after")).isEqualTo(1);
    }

    @Test
    void usingRunsTheBlockOnTheNamedDatabase() {
        String note = unique("audit-block");
        this.client.post().uri("/atomic/audit?note={n}", note).exchange().expectStatus().isBadRequest();
        assertThat(auditSql().queryLong("SELECT count(*) FROM audit WHERE note = '" + note + "'")).isEqualTo(1);
    }

    @Test
    void aDurableBlockCommitsAloneAndIsRefusedWhenNested() {
        String alone = unique("durable");
        StepVerifier.create(inUnitOfWorkRolledBack(this.items.insertDurably(alone).flux()))
                .expectComplete().verify(TestSql.TIMEOUT);
        assertThat(items(alone)).isEqualTo(1);

        String nested = unique("durable-nested");
        StepVerifier.create(inUnitOfWorkRolledBack(this.orders.placeWithADurableBlockInside(nested).flux()))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("durable atomic block").hasMessageContaining("cannot be nested"))
                .verify(TestSql.TIMEOUT);
        assertThat(items(nested)).as("the outer block rolled back").isZero();
    }

    @Test
    void aFluxStreamsInsideTheBlockWhichCommitsAfterTheLastRow() {
        String name = unique("block-stream");
        AtomicLong streamed = new AtomicLong();
        // in the middle of the stream, another unit of work (another connection) does not see the block's row yet
        Flux<Long> seenFromOutside = this.items.insertThenStream(name)
                .doOnNext(n -> streamed.incrementAndGet())
                .filter(n -> n == 5_000)
                .concatMap(n -> UnitOfWork.inNewUnitOfWork(dbSession(main()).flatMap(s -> s
                        .sql("SELECT count(*) FROM item WHERE name = $1").bind(0, name)
                                .one(row -> row.get(0, Long.class)))));
        StepVerifier.create(inUnitOfWorkRolledBack(seenFromOutside)).expectNext(0L).expectComplete()
                .verify(TestSql.TIMEOUT);
        assertThat(streamed).hasValue(10_000);
        assertThat(items(name)).as("committed by the block, although the unit of work then rolled back").isEqualTo(1);
    }
}
