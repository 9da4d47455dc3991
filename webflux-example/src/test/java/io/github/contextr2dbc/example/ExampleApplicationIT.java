package io.github.contextr2dbc.example;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.github.contextr2dbc.test.RollbackPerTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The application on a random port, on the embedded default database (a real PostgreSQL pair). Each test runs
 * in a transaction rolled back after it (@RollbackPerTest), requests included: tests do not see each other's
 * items, and nothing is left in the database.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
@RollbackPerTest
class ExampleApplicationIT {

    @Autowired
    private WebTestClient client;

    @Test
    void pingAnswersOk() {
        client.get().uri("/api/ping")
                .exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.status").isEqualTo("ok");
    }

    @Test
    void dbPingRunsSelectOneOnTheDatabase() {
        client.get().uri("/api/db/ping")
                .exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.status").isEqualTo("ok")
                .jsonPath("$.value").isEqualTo(1);
    }

    @Test
    void createsListsAndFindsItems() {
        String name = "item-" + UUID.randomUUID();
        Map<?, ?> created = client.post().uri("/api/items").bodyValue(Map.of("name", name))
                .exchange()
                .expectStatus().isCreated()
                .expectBody(Map.class).returnResult().getResponseBody();
        Object id = created.get("id");
        assertThat(created.get("createdAt")).isNotNull();
        client.get().uri("/api/items/{id}", id).exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.name").isEqualTo(name).jsonPath("$.createdAt").exists();
        List<Map<String, Object>> all = client.get().uri("/api/items").accept(MediaType.APPLICATION_NDJSON)
                .exchange()
                .expectStatus().isOk()
                .returnResult(new ParameterizedTypeReference<Map<String, Object>>() { })
                .getResponseBody().collectList().block();
        assertThat(all).extracting(item -> item.get("name")).contains(name);
    }

    @Test
    void aDuplicateNameIsAConflictProblem() {
        String name = "dup-" + UUID.randomUUID();
        client.post().uri("/api/items").bodyValue(Map.of("name", name)).exchange().expectStatus().isCreated();
        client.post().uri("/api/items").bodyValue(Map.of("name", name)).exchange()
                .expectStatus().isEqualTo(409)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.type").isEqualTo("urn:context-r2dbc:problem:unique-violation");
    }

    @Test
    void aTestStartsWithNoItemsOfTheOthers() {
        List<Map<String, Object>> all = client.get().uri("/api/items").accept(MediaType.APPLICATION_NDJSON)
                .exchange()
                .expectStatus().isOk()
                .returnResult(new ParameterizedTypeReference<Map<String, Object>>() { })
                .getResponseBody().collectList().block();
        assertThat(all).isEmpty();
    }

    @Test
    void anUnknownItemIsNotFound() {
        client.get().uri("/api/items/{id}", Long.MAX_VALUE).exchange().expectStatus().isNotFound();
    }

    @Test
    void healthShowsThePrimaryAndTheReplica() {
        client.get().uri("/actuator/health").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.components.r2dbc.components.main.status").isEqualTo("UP")
                .jsonPath("$.components.r2dbc.components.replica.details.replicaOf").isEqualTo("main");
    }
}
