package io.github.contextr2dbc.spring.webapp;

import io.github.contextr2dbc.spring.AtomicBlock;
import io.r2dbc.spi.R2dbcDataIntegrityViolationException;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Mono;

/** Annotated methods that call {@link AtomicItems}' annotated methods: nested blocks. */
@Service
public class AtomicOrders {

    private final AtomicItems items;

    AtomicOrders(AtomicItems items) {
        this.items = items;
    }

    /** Inserts {@code name-outer}, an inner block that fails (caught), then {@code name-after}. */
    @AtomicBlock
    public Mono<Void> placeSurvivingAFailedInnerBlock(String name) {
        return this.items.insertPlain(name + "-outer")
                .then(this.items.insertTwice(name + "-inner")
                        .onErrorResume(R2dbcDataIntegrityViolationException.class, duplicate -> Mono.empty()))
                .then(this.items.insertPlain(name + "-after"));
    }

    /** Inserts {@code name}, then calls a durable block: refused, since it is nested. */
    @AtomicBlock
    public Mono<Void> placeWithADurableBlockInside(String name) {
        return this.items.insertPlain(name).then(this.items.insertDurably(name + "-durable"));
    }
}
