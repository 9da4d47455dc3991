package io.github.contextr2dbc.test.boot;

import io.github.contextr2dbc.spring.Databases;
import io.github.contextr2dbc.test.LocalPostgres;
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

/**
 * Only spring.r2dbc.url (from LocalPostgres, the launcher's local pair): the toolkit configures its default
 * database from it (units of work, the WebFilter), and @RollbackPerTest rolls it back.
 */
@SpringBootTest(classes = SpringR2dbcUrlApplication.class)
@AutoConfigureWebTestClient(timeout = "PT30S")
@RollbackPerTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SpringR2dbcUrlIT {

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        LocalPostgres.register(registry, "boot_url");
    }

    @Autowired
    WebTestClient client;

    @Autowired
    Databases databases;

    @Test
    @Order(1)
    void theDefaultDatabaseIsBootsAndRequestsRunInUnitsOfWork() {
        assertThat(this.databases.defaultDatabase().name()).isEqualTo("default");
        this.client.post().uri("/notes?text=hello").exchange().expectStatus().isCreated();
        this.client.get().uri("/notes/count").exchange().expectStatus().isOk().expectBody(String.class).isEqualTo("1");
    }

    @Test
    @Order(2)
    void andTheNextTestStartsWithoutTheTable() {
        // even the CREATE TABLE of the first test was rolled back
        this.client.get().uri("/notes/count").exchange().expectStatus().is5xxServerError();
    }
}
