package io.github.contextr2dbc.bench;

import java.util.function.BiFunction;
import java.util.function.IntFunction;
import java.util.function.Supplier;

import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * The routes of {@link WebFilterBenchmark}, as functional WebFlux routes, for one variant:
 *
 * <ul>
 * <li>{@code GET /items/{id}}: the point read; the {@link Item} as JSON (404 if there is no row);
 * <li>{@code POST /items} with a {@link NewItem} as JSON: the insert; the generated id as JSON;
 * <li>{@code GET /ping}: no statement; {@code pong} as text.
 * </ul>
 *
 * The handlers run the variants' code: with context-r2dbc the statements of {@link ContextVariant} on the
 * request's unit of work (opened and finished by {@code ContextR2dbcWebFilter}, around the route); with
 * the others, each handler's work is the variant's own transaction (raw {@code usingWhen}, Spring's
 * {@code TransactionalOperator}), {@code /ping} included, as a {@code @Transactional} handler would be.
 */
final class WebRoutes {

    /** The path of the items; {@code /items/{id}} reads one. */
    static final String ITEMS = "/items";

    static final String PING = "/ping";

    private static final String PONG = "pong";

    private WebRoutes() {
    }

    /** The URI of the item {@code id}. */
    static String item(int id) {
        return ITEMS + "/" + id;
    }

    /**
     * The routes whose handlers run statements on the unit of work in the Context ({@code dbSession(db)}),
     * the request's; {@code /ping} touches no database.
     */
    static RouterFunction<ServerResponse> inRequestUnitOfWork(ContextVariant context) {
        return routes(context::readStatement, context::insertStatement, () -> Mono.just(PONG));
    }

    /** The routes whose handlers each run in a transaction of {@code variant}'s own, {@code /ping} too. */
    static RouterFunction<ServerResponse> inOwnTransaction(Variant variant) {
        return routes(variant::read, variant::insert, () -> variant.empty(0).map(ignored -> PONG));
    }

    private static RouterFunction<ServerResponse> routes(IntFunction<Mono<Item>> read,
            BiFunction<String, Integer, Mono<Long>> insert, Supplier<Mono<String>> ping) {
        return RouterFunctions.route()
                .GET(ITEMS + "/{id}", request -> read.apply(Integer.parseInt(request.pathVariable("id")))
                        .flatMap(item -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(item))
                        .switchIfEmpty(Mono.defer(() -> ServerResponse.notFound().build())))
                .POST(ITEMS, request -> request.bodyToMono(NewItem.class)
                        .flatMap(item -> insert.apply(item.name(), item.price()))
                        .flatMap(id -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(id)))
                .GET(PING, request -> ping.get()
                        .flatMap(pong -> ServerResponse.ok().contentType(MediaType.TEXT_PLAIN).bodyValue(pong)))
                .build();
    }
}
