package io.github.contextr2dbc.example;

import java.net.URI;
import java.util.Map;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.spring.Databases;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Items. Every request is a unit of work: the insert of {@code POST} is committed before the 201 is sent (a
 * duplicate name is a 409 problem response, and nothing is kept); {@code GET /api/items} streams the rows
 * while it reads them.
 */
@RestController
@RequestMapping("/api/items")
class ItemController {

    /** The body of {@code POST /api/items}. */
    record NewItem(String name) {
    }

    private final ItemRepository items;

    private final Databases databases;

    ItemController(ItemRepository items, Databases databases) {
        this.items = items;
        this.databases = databases;
    }

    @PostMapping
    Mono<ResponseEntity<Item>> create(@RequestBody NewItem item) {
        if (item.name() == null || item.name().isBlank()) {
            return Mono.error(new ResponseStatusException(HttpStatus.BAD_REQUEST, "name must not be blank"));
        }
        // the read sees the uncommitted insert: same session, same transaction; both commit before the 201 is sent
        return this.items.save(Item.named(item.name().strip()))
                .flatMap(saved -> this.items.findById(saved.id()))
                .map(saved -> ResponseEntity.created(URI.create("/api/items/" + saved.id())).body(saved));
    }

    @GetMapping("/{id}")
    Mono<Item> one(@PathVariable long id) {
        return this.items.findById(id)
                .switchIfEmpty(Mono.error(new ResponseStatusException(HttpStatus.NOT_FOUND, "no item " + id)));
    }

    /** Streamed (a JSON array, or NDJSON with {@code Accept: application/x-ndjson}), read inside the unit of work. */
    @GetMapping(produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.APPLICATION_NDJSON_VALUE})
    Flux<Item> all() {
        return this.items.findAllByOrderById();
    }

    /**
     * How many items there are, read from the replica when one is configured (it may lag the primary by a few
     * milliseconds).
     */
    @GetMapping("/count")
    Mono<Map<String, Object>> count() {
        Database source = this.databases.find("replica").orElse(this.databases.defaultDatabase());
        return UnitOfWork.dbSession(source)
                .flatMap(session -> session.sql("SELECT count(*) FROM item").one(row -> row.get(0, Long.class)))
                .map(count -> Map.of("count", count, "database", source.name()));
    }
}
