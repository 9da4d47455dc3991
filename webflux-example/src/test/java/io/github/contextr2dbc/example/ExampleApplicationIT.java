package io.github.contextr2dbc.example;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.web.reactive.server.WebTestClient;

/** The application on a random port, on the embedded default database (a real PostgreSQL pair). */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
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
}
