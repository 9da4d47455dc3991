package io.github.contextr2dbc.spring.webapp;

import java.time.Duration;
import java.util.List;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.spring.TestSql;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpStatus;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;

import static org.assertj.core.api.Assertions.assertThat;

/** The filter commits or rolls back each request's unit of work by its outcome, and releases every connection. */
class CommitByStatusIT extends AbstractWebIT {

    @LocalServerPort
    int port;

    @ParameterizedTest
    @ValueSource(ints = {200, 201, 202})
    void commitsWhenTheStatusIsBelow400(int status) {
        String name = unique("commit-" + status);
        this.client.post().uri("/t/items?name={n}&status={s}", name, status).exchange()
                .expectStatus().isEqualTo(status);
        assertThat(items(name)).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(ints = {201, 400})
    void finishesFunctionalEndpointsByStatusToo(int status) {
        String name = unique("functional-" + status);
        this.client.post().uri("/fn/items?name={n}&status={s}", name, status).exchange()
                .expectStatus().isEqualTo(status);
        assertThat(items(name)).isEqualTo(status < 400 ? 1 : 0);
    }

    @Test
    void commitsAnEmptyBody() {
        String name = unique("commit-204");
        this.client.post().uri("/t/items/empty?name={n}", name).exchange()
                .expectStatus().isNoContent()
                .expectBody().isEmpty();
        assertThat(items(name)).isEqualTo(1);
    }

    @Test
    void commitsARedirect() {
        String name = unique("commit-303");
        this.client.post().uri("/t/items/redirect?name={n}", name).exchange()
                .expectStatus().isSeeOther();
        assertThat(items(name)).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 404, 409, 422, 500, 503})
    void rollsBackWhenTheStatusIs400OrAbove(int status) {
        String name = unique("rollback-" + status);
        this.client.post().uri("/t/items?name={n}&status={s}", name, status).exchange()
                .expectStatus().isEqualTo(status);
        assertThat(items(name)).isZero();
    }

    @Test
    void rollsBackWhenTheHandlerFails() {
        String name = unique("handler-error");
        this.client.post().uri("/t/items/failing?name={n}", name).exchange()
                .expectStatus().isEqualTo(HttpStatus.INTERNAL_SERVER_ERROR);
        assertThat(items(name)).isZero();
    }

    @Test
    void rollsBackOnAResponseStatusException() {
        String name = unique("status-exception");
        this.client.post().uri("/t/items/status-exception?name={n}", name).exchange()
                .expectStatus().isEqualTo(HttpStatus.CONFLICT);
        assertThat(items(name)).isZero();
    }

    @Test
    void answers404WhenNoHandlerMatches() {
        this.client.get().uri("/t/no-such-endpoint").exchange().expectStatus().isNotFound();
    }

    @Test
    void aRequestThatTouchesNoDatabaseAcquiresNoConnection() {
        List<Long> before = acquisitions();
        this.client.get().uri("/t/no-database").exchange().expectStatus().isOk();
        this.client.get().uri("/t/lazy").exchange().expectStatus().isOk();
        assertThat(acquisitions()).isEqualTo(before);
    }

    @Test
    void runsEveryRequestInAUnitOfWorkUnlessOptedOut() {
        this.client.get().uri("/t/presence").exchange()
                .expectStatus().isOk().expectBody().jsonPath("$.present").isEqualTo(true);
        this.client.get().uri("/t/presence/opted-out").exchange()
                .expectStatus().isOk().expectBody().jsonPath("$.present").isEqualTo(false);
        this.client.get().uri("/t/presence").header(WebTestApplication.SKIP_HEADER, "yes").exchange()
                .expectStatus().isOk().expectBody().jsonPath("$.present").isEqualTo(false);
    }

    @Test
    void anOptedOutHandlerKeepsWhatItsOwnUnitOfWorkCommitted() {
        String name = unique("opted-out");
        this.client.post().uri("/t/items/opted-out?name={n}", name).exchange().expectStatus().isBadRequest();
        assertThat(items(name)).isEqualTo(1);
    }

    @Test
    void rollsBackAndReleasesTheConnectionWhenTheClientGoesAway() throws InterruptedException {
        String name = unique("cancelled");
        Database main = main();
        long idleInTransactionBefore = idleInTransaction();
        Disposable request = WebClient.create("http://localhost:" + this.port)
                .post().uri("/t/items/slow?name={n}", name)
                .retrieve().bodyToMono(String.class)
                .subscribe(ignored -> { }, ignored -> { });
        try {
            // the insert has run: the session holds its connection, in a transaction
            TestSql.awaitConnectionsInUse(main, 1);
            assertThat(main.connectionsInUse()).isEqualTo(1);
            awaitIdleInTransaction(idleInTransactionBefore + 1);
        } finally {
            request.dispose();
        }
        TestSql.awaitNoConnectionsInUse(main);
        assertThat(main.connectionsInUse()).isZero();
        assertThat(items(name)).isZero();
    }

    private List<Long> acquisitions() {
        return this.databases.all().stream().map(Database::acquisitions).toList();
    }

    private static long idleInTransaction() {
        return mainSql().queryLong("SELECT count(*) FROM pg_stat_activity WHERE datname = '" + WebAppDatabases.MAIN
                + "' AND state LIKE 'idle in transaction%'");
    }

    private static void awaitIdleInTransaction(long count) throws InterruptedException {
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                .until(() -> idleInTransaction() >= count);
        assertThat(idleInTransaction()).isGreaterThanOrEqualTo(count);
    }
}
