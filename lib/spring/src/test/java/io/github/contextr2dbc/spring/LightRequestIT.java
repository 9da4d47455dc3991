package io.github.contextr2dbc.spring;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.launcher.PostgresPair;
import io.github.contextr2dbc.spring.UnitOfWorkListener.Outcome;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseCookie;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilterChain;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.util.RaceTestUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The filter's per-request path (one object, no {@code usingWhen}): a request that opens nothing ends at once,
 * and every guarantee holds when it does open something after all, late — in a streamed body, while the
 * response is being written — or fails, or is cancelled racing its end. Driven on a mock exchange (whose
 * commit runs the {@code beforeCommit} actions as a server's does), completed as the server completes it.
 */
class LightRequestIT {

    private static final PostgresPair PAIR = PostgresPair.shared();

    private static Database db;

    private static TestSql sql;

    private final List<Outcome> outcomes = new CopyOnWriteArrayList<>();

    private final List<Throwable> dropped = new CopyOnWriteArrayList<>();

    private ContextR2dbcWebFilter filter;

    @BeforeAll
    static void database() {
        String name = PAIR.createDatabase("spring_light_request");
        sql = new TestSql(PAIR.primaryUrl(name));
        sql.execute("CREATE TABLE note (text text NOT NULL)");
        db = Database.builder("light").url(PAIR.primaryUrl(name)).maxSize(2).build();
        db.inSession(session -> session.sql("SELECT 1").execute()).blockLast(TestSql.TIMEOUT);
    }

    @AfterAll
    static void close() {
        db.close().block(TestSql.TIMEOUT);
    }

    @BeforeEach
    void filter() {
        this.filter = ContextR2dbcWebFilter.builder().listener(finished -> this.outcomes.add(finished.outcome()))
                .build();
        Hooks.onErrorDropped(this.dropped::add);
    }

    @AfterEach
    void hooks() {
        Hooks.resetOnErrorDropped();
    }

    private static Mono<Void> insert(String text) {
        return UnitOfWork.dbSession(db).flatMap(session -> session.sql("INSERT INTO note (text) VALUES ($1)")
                .bind(0, text).execute()).then();
    }

    private static long notes(String text) {
        return sql.queryLong("SELECT count(*) FROM note WHERE text = '" + text + "'");
    }

    private static DataBuffer text(String text) {
        return DefaultDataBufferFactory.sharedInstance.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The filter, then the response completed, as {@code HttpWebHandlerAdapter} does. */
    private Mono<Void> request(ServerWebExchange exchange, WebFilterChain chain) {
        return this.filter.filter(exchange, chain).then(Mono.defer(() -> exchange.getResponse().setComplete()));
    }

    private static MockServerWebExchange exchange() {
        return MockServerWebExchange.from(MockServerHttpRequest.post("/notes"));
    }

    @Test
    void aRequestThatOpensNothingEndsBeforeItsResponseIsCommittedAndReportsOnce() {
        MockServerWebExchange exchange = exchange();
        AtomicReference<Boolean> endedAtCommit = new AtomicReference<>();
        request(exchange, chained -> {
            UnitOfWork unitOfWork = chained.getAttribute(ContextR2dbcWebFilter.UNIT_OF_WORK_ATTRIBUTE);
            chained.getResponse().beforeCommit(() -> Mono.fromRunnable(() -> endedAtCommit.set(unitOfWork.isEnded())));
            return chained.getResponse().writeWith(Mono.fromSupplier(() -> text("pong")));
        }).block(TestSql.TIMEOUT);
        assertThat(exchange.getResponse().getBodyAsString().block(TestSql.TIMEOUT)).isEqualTo("pong");
        assertThat(endedAtCommit.get()).as("ended before the response committed").isTrue();
        assertThat(this.outcomes).containsExactly(Outcome.COMMITTED);
        assertThat(this.dropped).isEmpty();
    }

    @Test
    void aSessionOpenedLateInAStreamedBodyIsCommittedAtTheEndOfTheStream() throws InterruptedException {
        MockServerWebExchange exchange = exchange();
        request(exchange, chained -> chained.getResponse().writeWith(Flux.just("a", "b")
                .concatMap(part -> insert("streamed-" + part).thenReturn(text(part)))))
                .block(TestSql.TIMEOUT);
        assertThat(exchange.getResponse().getBodyAsString().block(TestSql.TIMEOUT)).isEqualTo("ab");
        assertThat(notes("streamed-a") + notes("streamed-b")).isEqualTo(2);
        assertThat(this.outcomes).containsExactly(Outcome.COMMITTED);
        TestSql.awaitNoConnectionsInUse(db);
        assertThat(db.connectionsInUse()).isZero();
    }

    @Test
    void aSessionOpenedWhileTheResponseIsWrittenIsCommittedBeforeTheStatusIsSent() throws InterruptedException {
        MockServerWebExchange exchange = exchange();
        long[] inUseAtCommit = {-1};
        request(exchange, chained -> {
            // registered after the filter's: sees the unit of work's commit done
            chained.getResponse().beforeCommit(() -> Mono.fromRunnable(() -> inUseAtCommit[0] = db.connectionsInUse()));
            return chained.getResponse().writeWith(Mono.defer(() -> insert("while-writing").thenReturn(text("done"))));
        }).block(TestSql.TIMEOUT);
        assertThat(notes("while-writing")).isEqualTo(1);
        assertThat(inUseAtCommit[0]).as("connections in use when the response committed").isZero();
        assertThat(this.outcomes).containsExactly(Outcome.COMMITTED);
    }

    @Test
    void aFailedCommitOfALateSessionIsTheRequestsErrorAndTheResponseIsNotCommitted() throws InterruptedException {
        this.filter = ContextR2dbcWebFilter.builder().listener(finished -> this.outcomes.add(finished.outcome()))
                .beforeCommit(session -> Mono.error(new IllegalStateException("vetoed"))).build();
        MockServerWebExchange exchange = exchange();
        assertThatThrownBy(() -> this.filter.filter(exchange, chained -> {
            chained.getResponse().getHeaders().setLocation(URI.create("/notes/1"));
            return chained.getResponse().writeWith(Mono.defer(() -> insert("late-vetoed").thenReturn(text("x"))));
        }).block(TestSql.TIMEOUT)).hasMessageContaining("vetoed");
        assertThat(notes("late-vetoed")).isZero();
        assertThat(exchange.getResponse().isCommitted()).as("the error response can still be written").isFalse();
        assertThat(exchange.getResponse().getHeaders().getLocation()).as("success header put back").isNull();
        assertThat(this.outcomes).containsExactly(Outcome.ROLLED_BACK_VETO);
        TestSql.awaitNoConnectionsInUse(db);
        assertThat(db.connectionsInUse()).isZero();
    }

    @Test
    void anErrorAfterOpeningNothingRollsBackAndPutsTheSuccessHeadersBack() {
        MockServerWebExchange exchange = exchange();
        exchange.getResponse().addCookie(ResponseCookie.from("before", "1").build());
        IllegalStateException failure = new IllegalStateException("handler failed");
        assertThatThrownBy(() -> request(exchange, chained -> {
            chained.getResponse().getHeaders().set(HttpHeaders.ETAG, "\"v2\"");
            chained.getResponse().addCookie(ResponseCookie.from("session", "2").build());
            return Mono.error(failure);
        }).block(TestSql.TIMEOUT)).isSameAs(failure);
        assertThat(exchange.getResponse().getHeaders().getETag()).isNull();
        assertThat(exchange.getResponse().getCookies().keySet()).containsExactly("before");
        assertThat(this.outcomes).containsExactly(Outcome.ROLLED_BACK_ERROR);
        assertThat(this.dropped).isEmpty();
    }

    @Test
    void anErrorAfterALateInsertRollsItBack() throws InterruptedException {
        MockServerWebExchange exchange = exchange();
        assertThatThrownBy(() -> request(exchange, chained -> insert("error-after-insert")
                .then(Mono.error(new IllegalStateException("after the insert")))).block(TestSql.TIMEOUT))
                .hasMessage("after the insert");
        assertThat(notes("error-after-insert")).isZero();
        assertThat(this.outcomes).containsExactly(Outcome.ROLLED_BACK_ERROR);
        TestSql.awaitNoConnectionsInUse(db);
        assertThat(db.connectionsInUse()).isZero();
    }

    @Test
    void aStatusThatRollsBackRollsBackALateSessionWrittenWithTheBody() throws InterruptedException {
        MockServerWebExchange exchange = exchange();
        request(exchange, chained -> {
            chained.getResponse().setRawStatusCode(409);
            return chained.getResponse().writeWith(Mono.defer(() -> insert("conflict").thenReturn(text("no"))));
        }).block(TestSql.TIMEOUT);
        assertThat(notes("conflict")).isZero();
        assertThat(this.outcomes).containsExactly(Outcome.ROLLED_BACK_STATUS);
        TestSql.awaitNoConnectionsInUse(db);
        assertThat(db.connectionsInUse()).isZero();
    }

    @Test
    void aCancelRacingTheEndOfARequestThatOpensNothingEndsItOnce() {
        for (int round = 0; round < 500; round++) {
            this.outcomes.clear();
            MockServerWebExchange exchange = exchange();
            Sinks.Empty<Void> release = Sinks.empty();
            AtomicInteger completed = new AtomicInteger();
            Disposable request = request(exchange, chained -> release.asMono())
                    .subscribe(null, error -> completed.addAndGet(100), completed::incrementAndGet);
            UnitOfWork unitOfWork = exchange.getAttribute(ContextR2dbcWebFilter.UNIT_OF_WORK_ATTRIBUTE);
            RaceTestUtils.race(release::tryEmitEmpty, request::dispose);
            assertThat(unitOfWork.isEnded()).as("round %d: ended", round).isTrue();
            assertThat(this.outcomes).as("round %d: told once", round).hasSize(1);
            assertThat(this.outcomes.get(0)).isIn(Outcome.COMMITTED, Outcome.ROLLED_BACK_CANCEL);
            assertThat(completed.get()).as("round %d: no error, at most one completion", round).isLessThanOrEqualTo(1);
            if (completed.get() == 1) {
                assertThat(this.outcomes.get(0)).isEqualTo(Outcome.COMMITTED);
            }
        }
        assertThat(this.dropped).isEmpty();
    }

    @Test
    void aCancelRacingTheResponseCommitOfALateWriteLeavesTheDatabaseAsReported() {
        for (int round = 0; round < 30; round++) {
            this.outcomes.clear();
            String text = "race-" + round;
            MockServerWebExchange exchange = exchange();
            Sinks.One<DataBuffer> body = Sinks.one();
            Disposable request = request(exchange, chained -> chained.getResponse()
                    .writeWith(insert(text).then(body.asMono()))).subscribe();
            Awaitility.await().atMost(TestSql.TIMEOUT).until(() -> db.connectionsInUse() == 1);
            RaceTestUtils.race(() -> body.tryEmitValue(text("ok")), request::dispose);
            Awaitility.await().atMost(TestSql.TIMEOUT).until(() -> this.outcomes.size() == 1
                    && db.connectionsInUse() == 0);
            Outcome outcome = this.outcomes.get(0);
            assertThat(outcome).as("round %d", round).isIn(Outcome.COMMITTED, Outcome.ROLLED_BACK_CANCEL);
            assertThat(notes(text)).as("round %d: the database agrees with %s", round, outcome)
                    .isEqualTo(outcome == Outcome.COMMITTED ? 1 : 0);
        }
        assertThat(this.dropped).isEmpty();
    }

    @Test
    void aCancelBeforeTheChainRunsClosesTheUnitOfWorkAndRunsNothing() {
        MockServerWebExchange exchange = exchange();
        AtomicInteger ran = new AtomicInteger();
        this.filter.filter(exchange, chained -> Mono.fromRunnable(ran::incrementAndGet))
                .subscribe(new BaseSubscriber<Void>() {
                    @Override
                    protected void hookOnSubscribe(Subscription subscription) {
                        subscription.cancel();
                    }
                });
        UnitOfWork unitOfWork = exchange.getAttribute(ContextR2dbcWebFilter.UNIT_OF_WORK_ATTRIBUTE);
        assertThat(unitOfWork.isEnded()).isTrue();
        assertThat(ran.get()).isZero();
        assertThat(this.outcomes).containsExactly(Outcome.ROLLED_BACK_CANCEL);
    }

    @Test
    void aRequestInsideAnotherUnitOfWorkIsLeftToIt() {
        UnitOfWork outer = UnitOfWork.create();
        MockServerWebExchange exchange = exchange();
        request(exchange, chained -> UnitOfWork.current()
                .doOnNext(current -> assertThat(current).isSameAs(outer)).then())
                .contextWrite(outer.bind()).block(TestSql.TIMEOUT);
        assertThat(outer.isEnded()).isFalse();
        assertThat(exchange.<Object>getAttribute(ContextR2dbcWebFilter.UNIT_OF_WORK_ATTRIBUTE)).isNull();
        assertThat(this.outcomes).isEmpty();
    }
}
