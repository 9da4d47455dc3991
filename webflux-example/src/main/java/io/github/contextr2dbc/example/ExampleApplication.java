package io.github.contextr2dbc.example;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * The example WebFlux application.
 *
 * <p>With no {@code example.database.url} configured it starts a real local PostgreSQL primary +
 * replica (see {@link DatabaseConfiguration}) and uses the primary.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class ExampleApplication {

    public static void main(String[] args) {
        SpringApplication.run(ExampleApplication.class, args);
    }
}
