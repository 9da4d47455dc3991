package io.github.contextr2dbc.spring.webapp;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** Endpoints calling {@code @AtomicBlock} methods. */
@RestController
@RequestMapping("/atomic")
class AtomicBlockController {

    private final AtomicItems items;

    private final AtomicOrders orders;

    private final AuditNotes notes;

    AtomicBlockController(AtomicItems items, AtomicOrders orders, AuditNotes notes) {
        this.items = items;
        this.orders = orders;
        this.notes = notes;
    }

    /** A block inserts {@code name}, a plain statement {@code name-plain}, then the answer is 400. */
    @PostMapping("/then-400")
    Mono<ResponseEntity<String>> blockThen400(@RequestParam String name) {
        return this.items.insert(name)
                .then(this.items.insertPlain(name + "-plain"))
                .thenReturn(ResponseEntity.badRequest().body(name));
    }

    @PostMapping("/nested")
    Mono<String> nested(@RequestParam String name) {
        return this.orders.placeSurvivingAFailedInnerBlock(name).thenReturn(name);
    }

    /** A block on audit, then the answer is 400. */
    @PostMapping("/audit")
    Mono<ResponseEntity<String>> auditThen400(@RequestParam String note) {
        return this.notes.add(note).thenReturn(ResponseEntity.badRequest().body(note));
    }
}
