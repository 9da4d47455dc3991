package io.github.contextr2dbc.spring.webapp;

import org.springframework.http.ResponseEntity;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** Requests that call {@code @Transactional} methods and the {@code TransactionalOperator} bean. */
@RestController
@RequestMapping("/tx")
class TransactionalController {

    private final TransactionalItems items;

    private final TransactionalOperator operator;

    TransactionalController(TransactionalItems items, TransactionalOperator operator) {
        this.items = items;
        this.operator = operator;
    }

    /** A @Transactional write, then the status asked for. */
    @PostMapping("/insert")
    Mono<ResponseEntity<String>> insert(@RequestParam String name, @RequestParam int status) {
        return this.items.insert(name).thenReturn(ResponseEntity.status(status).body(name));
    }

    /** a, then a @Transactional method that writes x and fails, recovered, then b, then 200. */
    @PostMapping("/recovered")
    Mono<String> recovered(@RequestParam String name) {
        return this.items.insertPlain(name + "-a")
                .then(this.items.insertThenFail(name
                        + "-x").onErrorResume(IllegalStateException.class, e -> Mono.empty()))
                .then(this.items.insertPlain(name + "-b"))
                .thenReturn(name);
    }

    /** A REQUIRES_NEW write, then a plain one, then the status asked for. */
    @PostMapping("/new")
    Mono<ResponseEntity<String>> inNewTransaction(@RequestParam String name, @RequestParam int status) {
        return this.items.insertInNewTransaction(name + "-new")
                .then(this.items.insertPlain(name + "-outer"))
                .thenReturn(ResponseEntity.status(status).body(name));
    }

    @PostMapping("/serializable")
    Mono<String> serializable() {
        return this.items.serializableIsolation();
    }

    /** A plain write first (the transaction opens READ COMMITTED), then a SERIALIZABLE method. */
    @PostMapping("/serializable-after-write")
    Mono<String> serializableAfterWrite(@RequestParam String name) {
        return this.items.insertPlain(name).then(this.items.serializableIsolation());
    }

    @PostMapping("/read-only")
    Mono<String> readOnly() {
        return this.items.readOnlyFlag();
    }

    @PostMapping("/read-only-write")
    Mono<String> readOnlyWrite(@RequestParam String name) {
        return this.items.insertReadOnly(name).thenReturn(name);
    }

    @PostMapping("/atomic-and-transactional")
    Mono<ResponseEntity<String>> atomicAndTransactional(@RequestParam String name, @RequestParam int status) {
        return this.items.insertAtomically(name).thenReturn(ResponseEntity.status(status).body(name));
    }

    /** The TransactionalOperator bean around a write, then the status asked for. */
    @PostMapping("/operator")
    Mono<ResponseEntity<String>> operator(@RequestParam String name, @RequestParam int status) {
        return this.operator.transactional(this.items.insertPlain(name))
                .thenReturn(ResponseEntity.status(status).body(name));
    }

    /** The operator's callback marks the transaction rollback-only, then the request answers 200. */
    @PostMapping("/operator-rollback-only")
    Mono<String> operatorRollbackOnly(@RequestParam String name) {
        return this.operator.execute(status -> {
            status.setRollbackOnly();
            return this.items.insertPlain(name);
        }).then(Mono.just(name));
    }
}
