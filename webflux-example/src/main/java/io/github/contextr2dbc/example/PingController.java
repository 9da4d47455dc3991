package io.github.contextr2dbc.example;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
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

    private final ConnectionFactory connectionFactory;

    PingController(ConnectionFactory connectionFactory) {
        this.connectionFactory = connectionFactory;
    }

    @GetMapping("/ping")
    Status ping() {
        return new Status("ok");
    }

    @GetMapping("/db/ping")
    Mono<DbStatus> dbPing() {
        return Mono.usingWhen(
                        connectionFactory.create(),
                        connection -> Mono.from(connection.createStatement("SELECT 1").execute())
                                .flatMap(result -> Mono.from(result.map((row, metadata) -> row.get(0, Integer.class)))),
                        Connection::close)
                .map(value -> new DbStatus("ok", value));
    }
}
