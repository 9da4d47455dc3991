package io.github.contextr2dbc.spring.webapp;

import org.springframework.data.repository.reactive.ReactiveCrudRepository;

/** A plain Spring Data repository: it runs in the request's session through the session-aware ConnectionFactory. */
public interface ItemRepository extends ReactiveCrudRepository<Item, Long> {
}
