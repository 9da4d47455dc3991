package io.github.contextr2dbc.spring;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.launcher.PostgresPair;
import io.github.contextr2dbc.spring.UnitOfWorkListener.Outcome;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import reactor.core.Disposable;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Sinks;
import reactor.test.util.RaceTestUtils;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web filter's unit of work, ended through core's {@code UnitOfWorkEnd} (the mechanism
 * {@code inNewUnitOfWork} uses): the handler chain's completion racing the request's cancel. Whoever wins, the
 * listener is told exactly once, the outcome matches the database (committed, or rolled back on cancel), a
 * completed request was committed before its completion, and nothing is left held or dropped.
 */
class FilterEndRaceIT {

    private static final PostgresPair PAIR = PostgresPair.shared();

    private static final int ROUNDS = 50;

    private static Database db;

    private static TestSql sql;

    @BeforeAll
    static void database() {
        String name = PAIR.createDatabase("spring_filter_race");
        sql = new TestSql(PAIR.primaryUrl(name));
        sql.execute("CREATE TABLE note (id int PRIMARY KEY)");
        db = Database.builder("filterrace").url(PAIR.primaryUrl(name)).maxSize(2).build();
        // first use creates the pool (a blocking driver lookup): here, on the test thread
        db.inSession(session -> session.sql("SELECT 1").execute()).blockLast(TestSql.TIMEOUT);
    }

    @AfterAll
    static void close() {
        db.close().block(TestSql.TIMEOUT);
    }

    @Test
    void theHandlersCompletionRacingTheCancelEndsTheUnitOfWorkOnce() throws Exception {
        List<Throwable> dropped = new CopyOnWriteArrayList<>();
        Hooks.onErrorDropped(dropped::add);
        try {
            for (int id = 0; id < ROUNDS; id++) {
                round(id);
            }
        } finally {
            Hooks.resetOnErrorDropped();
        }
        assertThat(dropped).as("errors dropped").isEmpty();
    }

    private void round(int id) throws InterruptedException {
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        ContextR2dbcWebFilter filter = ContextR2dbcWebFilter.builder()
                .listener(finished -> outcomes.add(finished.outcome())).build();
        MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.post("/notes"));
        Sinks.Empty<Void> release = Sinks.empty();
        CountDownLatch inserted = new CountDownLatch(1);
        String[] signal = {"none"};
        int[] inUseAtSignal = {-1};
        Disposable request = filter.filter(exchange, chained -> UnitOfWork.dbSession(db)
                        .flatMap(session -> session.sql("INSERT INTO note (id) VALUES ($1)").bind(0, id)
                                .rowsUpdated())
                        .doOnNext(n -> inserted.countDown())
                        .then(release.asMono()))
                .subscribe(null, error -> signal[0] = "error " + error, () -> {
                    inUseAtSignal[0] = db.connectionsInUse();
                    signal[0] = "complete";
                });
        assertThat(inserted.await(TestSql.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();

        RaceTestUtils.race(release::tryEmitEmpty, request::dispose);

        Awaitility.await().atMost(TestSql.TIMEOUT).until(() -> !outcomes.isEmpty() && db.connectionsInUse() == 0);
        long rows = sql.queryLong("SELECT count(*) FROM note WHERE id = " + id);
        assertThat(outcomes).as("round %d: told once", id).hasSize(1);
        assertThat(outcomes.get(0)).as("round %d", id).isIn(Outcome.COMMITTED, Outcome.ROLLED_BACK_CANCEL);
        assertThat(rows).as("round %d: the database agrees with %s", id, outcomes.get(0))
                .isEqualTo(outcomes.get(0) == Outcome.COMMITTED ? 1 : 0);
        assertThat(signal[0]).as("round %d", id).doesNotStartWith("error");
        if (signal[0].equals("complete")) {
            assertThat(outcomes.get(0)).isEqualTo(Outcome.COMMITTED);
            assertThat(inUseAtSignal[0]).as("round %d: released before the completion", id).isZero();
        }
    }
}
