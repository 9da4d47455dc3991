package io.github.contextr2dbc.example;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The example WebFlux application: databases from properties only ({@code application.yml}), every request a
 * unit of work committed or rolled back by its status (context-r2dbc-spring's auto-configuration).
 *
 * <p>With no database URL configured it starts a real local PostgreSQL primary + replica (see
 * {@link EmbeddedDatabaseDefault}) and uses them.
 */
@SpringBootApplication
public class ExampleApplication {

    public static void main(String[] args) {
        SpringApplication.run(ExampleApplication.class, args);
    }
}
