package io.github.contextr2dbc.spring.webapp;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/** Streamed bodies are read inside the unit of work, which finishes when the stream ends. */
class StreamingIT extends AbstractWebIT {

    private static final ParameterizedTypeReference<Map<String, Integer>> ROW = new ParameterizedTypeReference<>() {
    };

    @Test
    void streams10000RowsAsAJsonArray() {
        List<Map<String, Integer>> rows = this.client.get().uri("/t/stream").accept(MediaType.APPLICATION_JSON)
                .exchange()
                .expectStatus().isOk()
                .expectBodyList(ROW).returnResult().getResponseBody();
        assertThat(rows).hasSize(10_000);
        assertThat(rows.get(9_999)).containsEntry("n", 10_000);
    }

    @Test
    void streams10000RowsAsNdjson() {
        Flux<Map<String, Integer>> rows = this.client.get().uri("/t/stream").accept(MediaType.APPLICATION_NDJSON)
                .exchange()
                .expectStatus().isOk()
                .returnResult(ROW).getResponseBody();
        StepVerifier.create(rows.map(row -> row.get("n")).reduce(0L, Long::sum))
                .expectNext(10_000L * 10_001L / 2)
                .verifyComplete();
    }

    @Test
    void commitsWhatTheRequestWroteOnceTheStreamEnds() {
        String name = unique("stream-commit");
        Flux<Map<String, Integer>> rows = this.client.post().uri("/t/stream/writing?name={n}", name)
                .accept(MediaType.APPLICATION_NDJSON)
                .exchange()
                .expectStatus().isOk()
                .returnResult(ROW).getResponseBody();
        StepVerifier.create(rows.count()).expectNext(10_000L).expectComplete().verify(Duration.ofSeconds(30));
        assertThat(items(name)).isEqualTo(1);
    }

    @Test
    void rollsBackWhenTheStreamFailsInTheMiddle() {
        String name = unique("stream-failure");
        Flux<Map<String, Integer>> rows = this.client.post().uri("/t/stream/failing?name={n}", name)
                .accept(MediaType.APPLICATION_NDJSON)
                .exchange()
                .expectStatus().isOk()
                .returnResult(ROW).getResponseBody();
        // the status was sent with the first rows; the failure cuts the response short, never a clean end
        StepVerifier.create(rows.count()).expectError().verify(Duration.ofSeconds(30));
        assertThat(items(name)).isZero();
    }
}
