package io.github.contextr2dbc.test.boot;

import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.spring.Databases;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * An application configured the Spring Boot way only (spring.r2dbc.url, no context-r2dbc.databases):
 * {@code POST /notes?text=..} and {@code GET /notes/count} on the toolkit's default database.
 */
@SpringBootApplication
public class SpringR2dbcUrlApplication {

    @Bean
    RouterFunction<ServerResponse> notes(Databases databases) {
        return RouterFunctions.route()
                .POST("/notes", request -> UnitOfWork.dbSession(databases.defaultDatabase())
                        .flatMap(session -> session.sql("CREATE TABLE IF NOT EXISTS note (text text NOT NULL)")
                                .execute()
                                .then(session.sql("INSERT INTO note (text) VALUES ($1)")
                                        .bind(0, request.queryParam("text").orElse("?")).execute()))
                        .then(ServerResponse.status(201).build()))
                .GET("/notes/count", request -> UnitOfWork.dbSession(databases.defaultDatabase())
                        .flatMap(session -> session.sql("SELECT count(*) FROM note").one(row -> row.get(0, Long.class)))
                        .flatMap(count -> ServerResponse.ok().bodyValue(String.valueOf(count))))
                .build();
    }
}
