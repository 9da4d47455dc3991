package io.github.contextr2dbc.example;

import io.github.contextr2dbc.spring.WithoutUnitOfWork;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** Liveness of the application itself. */
@RestController
class PingController {

    /** The answer of {@code GET /api/ping}. */
    record Status(String status) {
    }

    /** {@code GET /api/ping}: touches no database, so it needs no unit of work and takes no connection. */
    @WithoutUnitOfWork
    @GetMapping("/api/ping")
    Status ping() {
        return new Status("ok");
    }
}
