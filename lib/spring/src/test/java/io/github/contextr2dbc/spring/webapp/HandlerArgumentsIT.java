package io.github.contextr2dbc.spring.webapp;

import org.junit.jupiter.api.Test;

/** DbSession and Database handler method arguments. */
class HandlerArgumentsIT extends AbstractWebIT {

    @Test
    void injectsTheRequestsSessionsAndTheDefaultDatabase() {
        this.client.get().uri("/t/arguments").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.session").isEqualTo("main")
                .jsonPath("$.audit").isEqualTo("audit")
                .jsonPath("$.database").isEqualTo("main")
                .jsonPath("$.sameSession").isEqualTo(true);
    }
}
