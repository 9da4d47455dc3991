package io.github.contextr2dbc.spring.webapp;

import java.util.UUID;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.spring.Databases;
import io.github.contextr2dbc.spring.TestSql;
import org.junit.jupiter.api.AfterEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web application on Reactor Netty (a random port) against the real PostgreSQL pair. Every class
 * extending this one shares the one application context and its databases; tests keep apart by using
 * unique names.
 */
@SpringBootTest(classes = WebTestApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient(timeout = "PT30S")
abstract class AbstractWebIT {

    @DynamicPropertySource
    static void databases(DynamicPropertyRegistry registry) {
        WebAppDatabases.register(registry);
    }

    @Autowired
    WebTestClient client;

    @Autowired
    Databases databases;

    Database main() {
        return this.databases.get("main");
    }

    static TestSql mainSql() {
        return WebAppDatabases.MAIN_SQL;
    }

    static TestSql auditSql() {
        return WebAppDatabases.AUDIT_SQL;
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }

    static long items(String name) {
        return mainSql().queryLong("SELECT count(*) FROM item WHERE name = '" + name + "'");
    }

    /** Every request leaves every connection released. */
    @AfterEach
    void everyConnectionReleased() throws InterruptedException {
        for (Database database : this.databases.all()) {
            TestSql.awaitNoConnectionsInUse(database);
            assertThat(database.connectionsInUse()).as("connections of %s in use", database.name()).isZero();
        }
    }
}
