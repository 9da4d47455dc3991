package io.github.contextr2dbc.spring.boot;

import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.spring.Databases;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.testcontainers.service.connection.ServiceConnection;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.postgresql.PostgreSQLContainer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@code @ServiceConnection} PostgreSQL container and no property at all: Boot's connection details for the
 * container become the toolkit's default database. Runs only where a Docker engine answers (skipped
 * otherwise); the wiring without Docker is covered by {@link BootConventionsTest}.
 */
@Testcontainers(disabledWithoutDocker = true)
@SpringBootTest(classes = ServiceConnectionIT.Application.class, webEnvironment = SpringBootTest.WebEnvironment.NONE)
class ServiceConnectionIT {

    @Container
    @ServiceConnection
    static final PostgreSQLContainer POSTGRES = new PostgreSQLContainer("postgres:16-alpine");

    @Autowired
    Databases databases;

    @Test
    void theContainerIsTheDefaultDatabase() {
        assertThat(this.databases.defaultDatabase().name()).isEqualTo("default");
        Integer one = UnitOfWork.inNewUnitOfWork(UnitOfWork.dbSession(this.databases.defaultDatabase())
                .flatMap(session -> session.sql("SELECT 1").one(row -> row.get(0, Integer.class)))).block();
        assertThat(one).isEqualTo(1);
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class Application {
    }
}
