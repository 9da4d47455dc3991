package io.github.contextr2dbc.spring.webapp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.http.MediaType;

import static org.assertj.core.api.Assertions.assertThat;

/** Database errors become RFC 9457 problem responses with no SQL text or bound values. */
class ProblemResponsesIT extends AbstractWebIT {

    @ParameterizedTest(name = "SQLSTATE {0} -> {1}")
    @CsvSource({"40001, 409, serialization-failure", "40P01, 409, deadlock"})
    void mapsConcurrencyFailuresToARetryableConflict(String sqlState, int status, String type) {
        this.client.post().uri("/t/problem/{s}", sqlState).exchange()
                .expectStatus().isEqualTo(status)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.type").isEqualTo("urn:context-r2dbc:problem:" + type)
                .jsonPath("$.retryable").isEqualTo(true)
                .jsonPath("$.instance").isEqualTo("/t/problem/" + sqlState);
    }

    @Test
    void leavesUnmappedErrorsToSpringBoot() {
        this.client.post().uri("/t/problem/22012").exchange().expectStatus().isEqualTo(500);
    }

    @Test
    void mapsAUniqueViolationToAConflict() {
        String name = unique("duplicate");
        String body = this.client.post().uri("/t/problem/duplicate?name={n}", name).exchange()
                .expectStatus().isEqualTo(409)
                .expectBody(String.class).returnResult().getResponseBody();
        assertThat(body).contains("unique-violation").doesNotContain(name).doesNotContainIgnoringCase("insert")
                .doesNotContain("item_name_key");
        assertThat(items(name)).isZero();
    }

    @Test
    void mapsARowNotFoundToNotFoundAndRollsBack() {
        String name = unique("missing");
        String body = this.client.post().uri("/t/problem/missing?name={n}", name).exchange()
                .expectStatus().isNotFound()
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody(String.class).returnResult().getResponseBody();
        assertThat(body).contains("urn:context-r2dbc:problem:not-found").doesNotContainIgnoringCase("select")
                .doesNotContain("item").doesNotContain(name);
        assertThat(items(name)).isZero();
    }

    @Test
    void mapsAWriteOnAReplicaToServiceUnavailable() {
        this.client.post().uri("/t/problem/replica-write?name={n}", unique("replica")).exchange()
                .expectStatus().isEqualTo(503)
                .expectHeader().valueEquals("Retry-After", "1")
                .expectBody().jsonPath("$.type").isEqualTo("urn:context-r2dbc:problem:read-only");
    }

    @Test
    void mapsAPoolAcquireTimeoutToServiceUnavailable() {
        this.client.post().uri("/t/problem/busy").exchange()
                .expectStatus().isEqualTo(503)
                .expectBody().jsonPath("$.type").isEqualTo("urn:context-r2dbc:problem:database-busy");
    }
}
