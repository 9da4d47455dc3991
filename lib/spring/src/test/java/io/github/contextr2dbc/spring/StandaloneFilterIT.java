package io.github.contextr2dbc.spring;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.launcher.PostgresPair;
import io.github.contextr2dbc.spring.UnitOfWorkListener.Outcome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The filter built in code, without Spring Boot, on a functional route: a before-commit check that vetoes,
 * a custom policy, a pre-seeded unit of work, and the listener told of each outcome.
 */
class StandaloneFilterIT {

    private static final PostgresPair PAIR = PostgresPair.shared();

    private static Database db;

    private static TestSql sql;

    private final List<Outcome> outcomes = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void database() {
        String name = PAIR.createDatabase("spring_standalone");
        sql = new TestSql(PAIR.primaryUrl(name));
        sql.execute("CREATE TABLE note (text text NOT NULL)");
        db = Database.builder("standalone").url(PAIR.primaryUrl(name)).maxSize(2).build();
        // first use creates the pool, which (in the core, for now) discovers the R2DBC driver with a blocking
        // ServiceLoader scan: do it here, on the test thread, not on a non-blocking one (see CORE-REQUESTS.md)
        db.inSession(session -> session.sql("SELECT 1").execute()).blockLast(TestSql.TIMEOUT);
    }

    @AfterAll
    static void close() {
        db.close().block(TestSql.TIMEOUT);
    }

    private RouterFunction<ServerResponse> routes() {
        return RouterFunctions.route()
                .POST("/notes", request -> UnitOfWork.dbSession(db)
                        .flatMap(session -> session.sql("INSERT INTO note (text) VALUES ($1)")
                                .bind(0, request.queryParam("text").orElseThrow()).execute())
                        .then(ServerResponse.status(Integer.parseInt(request.queryParam("status")
                                .orElse("200"))).build()))
                .POST("/notes/file", request -> UnitOfWork.dbSession(db)
                        .flatMap(session -> session.sql("INSERT INTO note (text) VALUES ($1)")
                                .bind(0, request.queryParam("text").orElseThrow()).execute())
                        .then(ServerResponse.ok()
                                .body(BodyInserters.fromResource(new ByteArrayResource(new byte[100])))))
                .build();
    }

    private WebTestClient client(ContextR2dbcWebFilter.Builder filter) {
        return WebTestClient.bindToRouterFunction(routes())
                .webFilter(filter.listener(finished -> this.outcomes.add(finished.outcome())).build())
                .build();
    }

    private static long notes(String text) {
        return sql.queryLong("SELECT count(*) FROM note WHERE text = '" + text + "'");
    }

    @Test
    void aBeforeCommitCheckCanVetoTheCommit() throws InterruptedException {
        WebTestClient client = client(ContextR2dbcWebFilter.builder()
                .beforeCommit(session -> Mono.error(new IllegalStateException("vetoed"))));
        client.post().uri("/notes?text=vetoed").exchange().expectStatus().is5xxServerError();
        assertThat(notes("vetoed")).isZero();
        assertThat(this.outcomes).containsExactly(Outcome.ROLLED_BACK_VETO);
        TestSql.awaitNoConnectionsInUse(db);
        assertThat(db.connectionsInUse()).isZero();
    }

    @Test
    void aBodyAboveTheHoldLimitIsWrittenAfterTheUnitOfWorkCommitted() throws InterruptedException {
        WebTestClient client = client(ContextR2dbcWebFilter.builder().holdLimit(10));
        byte[] body = client.post().uri("/notes/file?text=file-committed").exchange()
                .expectStatus().isOk()
                .expectBody().returnResult().getResponseBodyContent();
        assertThat(body).hasSize(100);
        assertThat(notes("file-committed")).isEqualTo(1);
        assertThat(this.outcomes).containsExactly(Outcome.COMMITTED);
        TestSql.awaitNoConnectionsInUse(db);
        assertThat(db.connectionsInUse()).isZero();
    }

    @Test
    void aBodyAboveTheHoldLimitIsNeverWrittenWhenTheCommitFails() throws InterruptedException {
        WebTestClient client = client(ContextR2dbcWebFilter.builder().holdLimit(10)
                .beforeCommit(session -> Mono.error(new IllegalStateException("vetoed"))));
        client.post().uri("/notes/file?text=file-vetoed").exchange()
                .expectStatus().is5xxServerError()
                .expectBody().isEmpty();
        assertThat(notes("file-vetoed")).isZero();
        assertThat(this.outcomes).containsExactly(Outcome.ROLLED_BACK_VETO);
        TestSql.awaitNoConnectionsInUse(db);
        assertThat(db.connectionsInUse()).isZero();
    }

    @Test
    void theHoldLimitMustFitInABuffer() {
        assertThatThrownBy(() -> ContextR2dbcWebFilter.builder().holdLimit(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("holdLimit");
        assertThatThrownBy(() -> ContextR2dbcWebFilter.builder().holdLimit(Integer.MAX_VALUE + 1L))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("holdLimit");
    }

    @Test
    void aCustomPolicyDecidesByStatus() {
        WebTestClient client = client(ContextR2dbcWebFilter.builder()
                .commitPolicy(CommitPolicy.builder().commitStatuses(404).rollbackStatuses(202).build()));
        client.post().uri("/notes?text=kept-404&status=404").exchange().expectStatus().isNotFound();
        client.post().uri("/notes?text=dropped-202&status=202").exchange().expectStatus().isAccepted();
        assertThat(notes("kept-404")).isEqualTo(1);
        assertThat(notes("dropped-202")).isZero();
        assertThat(this.outcomes).containsExactly(Outcome.COMMITTED, Outcome.ROLLED_BACK_STATUS);
    }

    @Test
    void leavesAPreSeededUnitOfWorkToWhoeverSeededIt() {
        UnitOfWork seeded = UnitOfWork.create();
        ContextR2dbcWebFilter filter = ContextR2dbcWebFilter.standard();
        WebTestClient client = WebTestClient.bindToRouterFunction(routes())
                .webFilter((exchange, chain) -> chain.filter(exchange).contextWrite(seeded.bind()), filter)
                .build();
        client.post().uri("/notes?text=seeded&status=400").exchange().expectStatus().isBadRequest();
        // the filter neither committed nor rolled back the seeded unit of work: it is still open, uncommitted
        assertThat(seeded.sessions()).hasSize(1);
        assertThat(seeded.sessions().get(0).inTransaction()).isTrue();
        seeded.commit().then(seeded.close()).block(TestSql.TIMEOUT);
        assertThat(notes("seeded")).isEqualTo(1);
    }
}
