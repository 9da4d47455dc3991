package io.github.contextr2dbc.test.spring;

import io.github.contextr2dbc.spring.Databases;
import io.github.contextr2dbc.test.CapturedOnCommitHooks;
import io.github.contextr2dbc.test.CommitAndCleanUp;
import io.github.contextr2dbc.test.RollbackPerTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/** A WebTestClient bound to the application context (no server), under @RollbackPerTest. */
@SpringBootTest(classes = ItemsApplication.class, webEnvironment = SpringBootTest.WebEnvironment.MOCK)
@AutoConfigureWebTestClient(timeout = "PT30S")
@RollbackPerTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BoundClientRollbackIT {

    @DynamicPropertySource
    static void databases(DynamicPropertyRegistry registry) {
        ItemsApplication.register(registry);
    }

    @Autowired
    WebTestClient client;

    @Autowired
    Databases databases;

    void post(String name, int status) {
        this.client.post().uri("/items?name={name}&status={status}", name, status).exchange()
                .expectStatus().isEqualTo(status);
    }

    String count(String path) {
        return this.client.get().uri(path).exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
    }

    @Test
    @Order(1)
    void aPostIsVisibleToALaterGetInTheSameTest() {
        post("first", 201);
        post("second", 201);
        assertThat(count("/items/count")).isEqualTo("2");
        assertThat(ItemsApplication.DIRECT.queryLong("SELECT count(*) FROM item")).isZero();
    }

    @Test
    @Order(2)
    void andIsGoneInTheNextTest() {
        assertThat(count("/items/count")).isEqualTo("0");
        // the same name again: no unique violation, the first test's row is gone
        post("first", 201);
    }

    @Test
    @Order(3)
    void aClientErrorsWritesAreUndoneWithinTheTest() {
        post("kept", 201);
        post("undone", 409);
        post("undone too", 400);
        assertThat(count("/items/count")).isEqualTo("1");
    }

    @Test
    @Order(4)
    void readsRoutedToTheReplicaSeeTheTestsWrites() {
        post("replicated?", 201);
        assertThat(count("/items/count/replica")).isEqualTo("1");
    }

    @Test
    @Order(5)
    void onCommitHooksAreCapturedAndRunOnDemand() {
        int before = ItemsApplication.HOOKS_RUN.get();
        try (CapturedOnCommitHooks hooks = CapturedOnCommitHooks.capture(this.databases.get("main"))) {
            post("hooked", 201);
            post("rolled back", 422);
            assertThat(hooks.count()).isEqualTo(1);
            assertThat(ItemsApplication.HOOKS_RUN.get()).isEqualTo(before);
            hooks.run().block();
            assertThat(ItemsApplication.HOOKS_RUN.get()).isEqualTo(before + 1);
        }
    }

    @Test
    @Order(10)
    @CommitAndCleanUp
    void theOptOutReallyCommits() {
        post("committed", 201);
        assertThat(ItemsApplication.DIRECT.queryLong("SELECT count(*) FROM item")).isEqualTo(1);
    }

    @Test
    @Order(11)
    void andTheTablesItWroteAreEmptyAfterwards() {
        assertThat(ItemsApplication.DIRECT.queryLong("SELECT count(*) FROM item")).isZero();
        assertThat(count("/items/count")).isEqualTo("0");
    }
}
