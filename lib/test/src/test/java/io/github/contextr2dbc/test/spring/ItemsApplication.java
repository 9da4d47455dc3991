package io.github.contextr2dbc.test.spring;

import java.util.concurrent.atomic.AtomicInteger;

import io.github.contextr2dbc.Atomic;
import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.launcher.DirectSql;
import io.github.contextr2dbc.launcher.PostgresPair;
import io.github.contextr2dbc.spring.Databases;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * A small application for the extension's Spring tests: {@code POST /items?name=..&status=..} writes an item
 * (and registers an on-commit hook counting commits) and answers the status asked for (commit-by-status
 * decides); {@code GET /items/count} and {@code GET /items/count/replica} count items on the primary and
 * through the replica.
 */
@SpringBootApplication
public class ItemsApplication {

    static final PostgresPair PAIR = PostgresPair.shared();

    static final String NAME = PAIR.createDatabase("test_spring");

    static final DirectSql DIRECT = new DirectSql(PAIR.primaryUrl(NAME));

    /** How many on-commit hooks of {@code POST /items} ran. */
    static final AtomicInteger HOOKS_RUN = new AtomicInteger();

    static {
        DIRECT.execute("CREATE TABLE item (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE)");
        PAIR.awaitReplicaCaughtUp();
    }

    /** The databases: main, and its replica. */
    static void register(DynamicPropertyRegistry registry) {
        registry.add("context-r2dbc.databases.main.url", () -> PAIR.primaryUrl(NAME));
        registry.add("context-r2dbc.databases.main.default", () -> "true");
        registry.add("context-r2dbc.databases.replica.url", () -> PAIR.replicaUrl(NAME));
        registry.add("context-r2dbc.databases.replica.replica-of", () -> "main");
    }

    @Bean
    RouterFunction<ServerResponse> items(Databases databases) {
        Database main = databases.get("main");
        Database replica = databases.get("replica");
        return RouterFunctions.route()
                .POST("/items", request -> {
                    String name = request.queryParam("name").orElseThrow();
                    int status = Integer.parseInt(request.queryParam("status").orElse("201"));
                    return UnitOfWork.dbSession(main)
                            .flatMap(session -> session.sql("INSERT INTO item (name) VALUES ($1)").bind(0, name)
                                    .execute())
                            .then(Atomic.onCommit(main, Mono.fromRunnable(HOOKS_RUN::incrementAndGet)))
                            .then(ServerResponse.status(status).bodyValue(name));
                })
                .GET("/items/count", request -> count(main))
                .GET("/items/count/replica", request -> count(replica))
                .build();
    }

    private static Mono<ServerResponse> count(Database database) {
        return UnitOfWork.dbSession(database)
                .flatMap(session -> session.sql("SELECT count(*) FROM item").one(row -> row.get(0, Long.class)))
                .flatMap(count -> ServerResponse.ok().bodyValue(String.valueOf(count)));
    }
}
