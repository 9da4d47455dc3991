package io.github.contextr2dbc.example;

import org.springframework.data.repository.reactive.ReactiveCrudRepository;
import reactor.core.publisher.Flux;

/** A plain Spring Data repository: it runs in the request's session, committed or rolled back by the filter. */
interface ItemRepository extends ReactiveCrudRepository<Item, Long> {

    Flux<Item> findAllByOrderById();
}
