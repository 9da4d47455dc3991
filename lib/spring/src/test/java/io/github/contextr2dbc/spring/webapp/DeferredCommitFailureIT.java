package io.github.contextr2dbc.spring.webapp;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A constraint checked at COMMIT fails after the handler has produced a 2xx: the client gets the mapped
 * problem status instead, whatever the shape of the body, and nothing is kept.
 */
class DeferredCommitFailureIT extends AbstractWebIT {

    @ParameterizedTest(name = "{0} violation, {1} body -> {2}")
    @CsvSource({
            "unique, mono, 409", "unique, empty, 409", "unique, entity, 409", "unique, entity-without-body, 409",
            "fk, mono, 409", "fk, empty, 409", "fk, entity, 409", "fk, entity-without-body, 409",
            "unmapped, mono, 500", "unmapped, empty, 500", "unmapped, entity, 500", "unmapped, entity-without-body, 500"})
    void aCommitThatFailsNeverAnswers2xx(String kind, String shape, int expected) {
        String name = unique("deferred-" + kind + "-" + shape);
        EntityExchangeResult<byte[]> result = this.client.post()
                .uri("/t/deferred/{kind}/{shape}?name={n}", kind, shape, name)
                .exchange()
                .expectStatus().isEqualTo(expected)
                .expectBody().returnResult();
        if (expected == 409) {
            assertThat(result.getResponseHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
            String body = new String(result.getResponseBodyContent());
            assertThat(body).contains("\"status\":409").contains("urn:context-r2dbc:problem:");
            // no SQL text, no bound value, no server message
            assertThat(body).doesNotContain(name).doesNotContainIgnoringCase("insert").doesNotContain("deferred_code");
        }
        String table = switch (kind) {
            case "unique" -> "deferred_code";
            case "fk" -> "child";
            default -> "checked";
        };
        assertThat(mainSql().queryLong("SELECT count(*) FROM " + table + " WHERE name = '" + name + "'")).isZero();
    }
}
