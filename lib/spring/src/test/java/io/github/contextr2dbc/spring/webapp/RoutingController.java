package io.github.contextr2dbc.spring.webapp;

import io.github.contextr2dbc.DbSession;
import io.github.contextr2dbc.Routing;
import io.github.contextr2dbc.RoutingHint;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** Routed reads and writes: each answer says which server answered ({@code inet_server_port()}). */
@RestController
@RequestMapping("/routing")
class RoutingController {

    private final Routing routing;

    RoutingController(Routing routing) {
        this.routing = routing;
    }

    private static Mono<String> countAndPort(DbSession session, String name) {
        return session.sql("SELECT count(*), inet_server_port() FROM item WHERE name = $1").bind(0, name)
                .one(row -> row.get(0, Long.class) + ":" + row.get(1, Integer.class));
    }

    @GetMapping("/count")
    Mono<String> count(@RequestParam String name) {
        return this.routing.readSession(RoutingHint.of(Item.class)).flatMap(session -> countAndPort(session, name));
    }

    @PostMapping("/count")
    Mono<String> countInPost(@RequestParam String name) {
        return this.routing.readSession(RoutingHint.of(Item.class)).flatMap(session -> countAndPort(session, name));
    }

    @PostMapping("/items")
    Mono<String> create(@RequestParam String name) {
        return this.routing.writeSession(RoutingHint.of(Item.class))
                .flatMap(session -> session.sql("INSERT INTO item (name) VALUES ($1)").bind(0, name).execute())
                .thenReturn("created");
    }

    @GetMapping("/nothing")
    Mono<String> nothing() {
        return Mono.zip(this.routing.readSession(), this.routing.writeSession()).thenReturn("routed, ran nothing");
    }
}
