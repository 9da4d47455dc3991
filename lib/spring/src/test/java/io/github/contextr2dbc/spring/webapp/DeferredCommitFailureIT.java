package io.github.contextr2dbc.spring.webapp;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A constraint checked at COMMIT fails after the handler has produced a 2xx (or 3xx): the client gets the
 * mapped problem status instead (or a 500 when unmapped), whatever the shape of the body, as long as the
 * body is a single value or of known length; nothing is kept, and the error response carries none of the
 * headers that described the lost success. A streamed body (no length) has sent its status already: it is
 * cut short instead, never ended cleanly.
 */
class DeferredCommitFailureIT extends AbstractWebIT {

    private static final String[] SUCCESS_HEADERS = {HttpHeaders.LOCATION,
            HttpHeaders.CONTENT_LOCATION, HttpHeaders.ETAG,
            HttpHeaders.LAST_MODIFIED, HttpHeaders.SET_COOKIE};

    @ParameterizedTest(name = "{0} violation, {1} body -> {2}")
    @CsvSource({
            "unique, mono, 409", "unique, empty, 409", "unique, entity, 409", "unique, entity-without-body, 409",
            "unique, resource, 409", "unique, large-resource, 409", "unique, entity-resource, 409",
                    "unique, bytes, 409",
            "unique, write-mono, 409", "unique, write-flux-length, 409", "unique, created, 409",
                    "unique, redirect, 409",
            "fk, mono, 409", "fk, empty, 409", "fk, entity, 409", "fk, entity-without-body, 409",
            "fk, resource, 409", "fk, large-resource, 409", "fk, entity-resource, 409", "fk, bytes, 409",
            "fk, write-mono, 409", "fk, write-flux-length, 409", "fk, created, 409", "fk, redirect, 409",
            "unmapped, mono, 500", "unmapped, empty, 500", "unmapped, entity, 500",
                    "unmapped, entity-without-body, 500",
            "unmapped, resource, 500", "unmapped, large-resource, 500", "unmapped, entity-resource, 500",
            "unmapped, bytes, 500", "unmapped, write-mono, 500", "unmapped, write-flux-length, 500",
            "unmapped, created, 500", "unmapped, redirect, 500"})
    void aCommitThatFailsNeverAnswers2xx(String kind, String shape, int expected) {
        String name = unique("deferred-" + kind + "-" + shape);
        EntityExchangeResult<byte[]> result = this.client.post()
                .uri("/t/deferred/{kind}/{shape}?name={n}", kind, shape, name)
                .exchange()
                .expectStatus().isEqualTo(expected)
                .expectBody().returnResult();
        assertReplaced(result, expected, name);
        assertThat(rows(kind, name)).isZero();
    }

    @ParameterizedTest(name = "functional endpoint, {0} body -> 409")
    @ValueSource(strings = {"value", "resource", "created"})
    void aFunctionalEndpointWhoseCommitFailsNeverAnswers2xx(String shape) {
        String name = unique("deferred-fn-" + shape);
        EntityExchangeResult<byte[]> result = this.client.post().uri("/fn/deferred/{shape}?name={n}", shape, name)
                .exchange()
                .expectStatus().isEqualTo(409)
                .expectBody().returnResult();
        assertReplaced(result, 409, name);
        assertThat(rows("unique", name)).isZero();
    }

    @ParameterizedTest(name = "{0} stream")
    @CsvSource({"write-flux, */*", "flux, application/json", "flux, application/x-ndjson", "flux, text/event-stream"})
    void aStreamWhoseCommitFailsIsCutShort(String shape, String accept) {
        String name = unique("deferred-stream-" + shape);
        Flux<byte[]> body = this.client.post().uri("/t/deferred/unique/{shape}?name={n}", shape, name)
                .accept(MediaType.parseMediaType(accept))
                .exchange()
                .expectStatus().isOk()
                .returnResult(byte[].class).getResponseBody();
        StepVerifier.create(body.then()).expectError().verify(Duration.ofSeconds(30));
        assertThat(rows("unique", name)).isZero();
    }

    @Test
    void aBodyOfKnownLengthReadFromTheDatabaseIsHeldThenCommitted() {
        String name = unique("held");
        String body = this.client.post().uri("/t/held/ok?name={n}", name).exchange()
                .expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
        assertThat(body).isEqualTo("00001 00002 00003 00004 00005 ");
        assertThat(items(name)).isEqualTo(1);
    }

    @Test
    void aBodyOfKnownLengthReadFromTheDatabaseIsHeldThenAnswersTheFailedCommit() {
        String name = unique("held-failing");
        EntityExchangeResult<byte[]> result = this.client.post().uri("/t/held/unique?name={n}", name).exchange()
                .expectStatus().isEqualTo(409)
                .expectBody().returnResult();
        assertReplaced(result, 409, name);
        assertThat(rows("unique", name)).isZero();
    }

    private static void assertReplaced(EntityExchangeResult<byte[]> result, int expected, String name) {
        String body = new String(
                result.getResponseBodyContent() == null ? new byte[0] : result.getResponseBodyContent());
        if (expected == 409) {
            assertThat(result.getResponseHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
            assertThat(body).contains("\"status\":409").contains("urn:context-r2dbc:problem:");
            assertThat(result.getResponseHeaders().getContentLength())
                    .isEqualTo(result.getResponseBodyContent().length);
        }
        // no SQL text, no bound value, no server message
        assertThat(body).doesNotContain(name).doesNotContainIgnoringCase("insert").doesNotContain("deferred_code");
        for (String header : SUCCESS_HEADERS) {
            assertThat(result.getResponseHeaders().containsHeader(header)).as("%s on the %d", header,
                    expected).isFalse();
        }
    }

    private static long rows(String kind, String name) {
        String table = switch (kind) {
            case "unique" -> "deferred_code";
            case "fk" -> "child";
            default -> "checked";
        };
        return mainSql().queryLong("SELECT count(*) FROM " + table + " WHERE name = '" + name + "'");
    }
}
