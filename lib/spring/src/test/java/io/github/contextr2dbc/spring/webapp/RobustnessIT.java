package io.github.contextr2dbc.spring.webapp;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import io.github.contextr2dbc.spring.RawHttp;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an adversarial client does to the filter: HEAD and 1 MB bodies on a failed commit, an unread
 * request body, a filter that fails after ours, and hundreds of concurrent requests with random statuses
 * and cancels. Every connection is back at the end of each (see {@link AbstractWebIT}).
 */
class RobustnessIT extends AbstractWebIT {

    private static final int TIMEOUT_MILLIS = 30_000;

    @LocalServerPort
    int port;

    @Test
    void aHeadRequestWhoseCommitFailsAnswersTheProblemStatus() {
        String name = unique("deferred-head");
        this.client.head().uri("/t/deferred/unique/get?name={n}", name).exchange()
                .expectStatus().isEqualTo(409)
                .expectBody().isEmpty();
        assertThat(mainSql().queryLong("SELECT count(*) FROM deferred_code WHERE name = '" + name + "'")).isZero();
    }

    @Test
    void a1MbSingleValueWhoseCommitFailsAnswersTheProblemStatus() {
        String name = unique("deferred-1mb");
        String body = this.client.post().uri("/t/deferred/unique/mono-1mb?name={n}", name).exchange()
                .expectStatus().isEqualTo(409)
                .expectBody(String.class).returnResult().getResponseBody();
        assertThat(body).contains("unique-violation").hasSizeLessThan(1000);
        assertThat(mainSql().queryLong("SELECT count(*) FROM deferred_code WHERE name = '" + name + "'")).isZero();
    }

    @Test
    void aBodyLongerThanItsDeclaredLengthIsAnErrorAndRollsBack() {
        String name = unique("too-long");
        this.client.post().uri("/t/items/too-long?name={n}", name).exchange()
                .expectStatus().isEqualTo(500);
        assertThat(items(name)).isZero();
    }

    @Test
    void anUnreadRequestBodyLeavesTheConnectionUsable() throws IOException {
        String name = unique("unread-body");
        try (RawHttp connection = new RawHttp(this.port, TIMEOUT_MILLIS)) {
            connection.sendWithBody("POST", "/t/items?name=" + name, 1024 * 1024);
            assertThat(connection.read().status()).isEqualTo(200);
            assertThat(connection.exchange("GET", "/t/no-database").status()).isEqualTo(200);
        }
        assertThat(items(name)).isEqualTo(1);
    }

    @Test
    void aFilterThatFailsAfterOursRollsBackWhatItWrote() {
        String name = unique("failing-filter");
        this.client.get().uri("/t/no-database").header(WebTestApplication.FAIL_HEADER, name).exchange()
                .expectStatus().isEqualTo(500);
        assertThat(items(name)).isZero();
    }

    /**
     * 300 concurrent requests, each answering a random status, 30 % of them given up by the client after
     * a random few milliseconds: every answered 2xx kept its row, every answered 4xx/5xx kept none.
     * (A request given up may have committed if its commit had started: it is not asserted.)
     */
    @Test
    void concurrentRequestsWithRandomStatusesAndCancelsKeepExactlyTheCommittedRows() {
        int[] statuses = {200, 201, 202, 400, 404, 409, 422, 500, 503};
        WebClient web = WebClient.create("http://localhost:" + this.port);
        ThreadLocalRandom random = ThreadLocalRandom.current();
        List<Mono<Map.Entry<String, Integer>>> requests = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String name = unique("concurrent-" + i);
            int status = statuses[random.nextInt(statuses.length)];
            Mono<Map.Entry<String, Integer>> request = web.post().uri("/t/items?name={n}&status={s}", name, status)
                    .exchangeToMono(response -> response.releaseBody().thenReturn(response.statusCode()))
                    .map(HttpStatusCode::value)
                    .map(code -> Map.entry(name, code));
            if (random.nextInt(100) < 30) {
                request = request.take(Duration.ofMillis(1 + random.nextInt(40)));
            }
            requests.add(request.defaultIfEmpty(Map.entry(name, -1)));
        }
        List<Map.Entry<String, Integer>> outcomes = Flux.merge(Flux.fromIterable(requests), 300)
                .collectList().block(Duration.ofMillis(TIMEOUT_MILLIS * 4L));
        assertThat(outcomes).hasSize(300);
        List<String> committed = new ArrayList<>();
        List<String> rolledBack = new ArrayList<>();
        for (Map.Entry<String, Integer> outcome : outcomes) {
            int status = outcome.getValue();
            if (status >= 0) {
                (status < 400 ? committed : rolledBack).add(outcome.getKey());
            }
        }
        int answered = committed.size() + rolledBack.size();
        assertThat(rows(committed)).as("rows of the answered 2xx").isEqualTo(committed.size());
        assertThat(rows(rolledBack)).as("rows of the answered 4xx/5xx").isZero();
        assertThat(answered).isGreaterThan(100);
    }

    private static long rows(List<String> names) {
        if (names.isEmpty()) {
            return 0;
        }
        return mainSql().queryLong("SELECT count(*) FROM item WHERE name IN ('" + String.join("', '", names) + "')");
    }
}
