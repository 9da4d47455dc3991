package io.github.contextr2dbc.example;

import io.github.contextr2dbc.DbSession;
import io.github.contextr2dbc.spring.WithoutUnitOfWork;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** Liveness of the application and of its database. */
@RestController
@RequestMapping("/api")
class PingController {

    /** The answer of {@code GET /api/ping}. */
    record Status(String status) {
    }

    /** The answer of {@code GET /api/db/ping}: the value {@code SELECT 1} returned. */
    record DbStatus(String status, int value) {
    }

    /** Touches no database, so it needs no unit of work at all. */
    @WithoutUnitOfWork
    @GetMapping("/ping")
    Status ping() {
        return new Status("ok");
    }

    /** {@code SELECT 1} in the request's session of the default database. */
    @GetMapping("/db/ping")
    Mono<DbStatus> dbPing(DbSession session) {
        return session.sql("SELECT 1").one(row -> row.get(0, Integer.class)).map(value -> new DbStatus("ok", value));
    }
}
