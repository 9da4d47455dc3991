package io.github.contextr2dbc.spring.webapp;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ordinary Spring Data R2DBC code — a repository, R2dbcEntityTemplate, DatabaseClient — built by Spring
 * Boot on the default database's session-aware ConnectionFactory, runs in the request's session.
 */
class SpringDataIT extends AbstractWebIT {

    @ParameterizedTest(name = "{0} answering {1}")
    @CsvSource({"repository, 201", "repository, 400", "repository, 422", "template, 200", "template, 422",
            "client, 200", "client, 409"})
    void commitsOrRollsBackWithTheRequest(String api, int status) {
        String name = unique(api + "-" + status);
        this.client.post().uri("/t/{api}?name={n}&status={s}", api, name, status).exchange()
                .expectStatus().isEqualTo(status);
        assertThat(items(name)).isEqualTo(status < 400 ? 1 : 0);
    }

    @org.junit.jupiter.api.Test
    void seesTheToolkitsUncommittedWritesInTheSameSession() {
        String name = unique("mixed");
        long committed = mainSql().queryLong("SELECT count(*) FROM item");
        Long seen = this.client.post().uri("/t/mixed?name={n}", name).exchange()
                .expectStatus().isOk()
                .expectBody(Long.class).returnResult().getResponseBody();
        assertThat(seen).isGreaterThanOrEqualTo(committed + 1);
        assertThat(items(name)).isEqualTo(1);
    }
}
