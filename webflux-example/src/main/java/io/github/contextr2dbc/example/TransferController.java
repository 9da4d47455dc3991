package io.github.contextr2dbc.example;

import java.net.URI;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** Transfers between accounts. */
@RestController
@RequestMapping("/api/transfers")
class TransferController {

    private final Transfers transfers;

    TransferController(Transfers transfers) {
        this.transfers = transfers;
    }

    /**
     * {@code POST /api/transfers}: 201 with the new transfer; 200 with the original one when the request id was
     * seen before (nothing moves); 404 for an unknown account; 409 for insufficient funds, different currencies,
     * or a request id used for another transfer.
     */
    @PostMapping
    Mono<ResponseEntity<Transfer>> make(@RequestBody NewTransfer request) {
        return this.transfers.make(request).map(outcome -> outcome.created()
                ? ResponseEntity.created(URI.create("/api/transfers/" + outcome.transfer().id()))
                        .body(outcome.transfer())
                : ResponseEntity.status(HttpStatus.OK).body(outcome.transfer()));
    }
}
