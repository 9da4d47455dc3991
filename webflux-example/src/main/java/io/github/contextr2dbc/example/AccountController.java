package io.github.contextr2dbc.example;

import java.net.URI;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Accounts: open one, read one, read its statement. Each request is a unit of work. */
@RestController
@RequestMapping("/api/accounts")
class AccountController {

    private final Accounts accounts;

    private final Transfers transfers;

    AccountController(Accounts accounts, Transfers transfers) {
        this.accounts = accounts;
        this.transfers = transfers;
    }

    /** {@code POST /api/accounts}: 201 with the account and its {@code Location}, committed before it is sent. */
    @PostMapping
    Mono<ResponseEntity<Account>> open(@RequestBody NewAccount request) {
        return this.accounts.open(request)
                .map(account -> ResponseEntity.created(URI.create("/api/accounts/" + account.id())).body(account));
    }

    /** {@code GET /api/accounts/{id}}: 200 with the account, or a 404 problem. */
    @GetMapping("/{id}")
    Mono<Account> one(@PathVariable long id) {
        return this.accounts.find(id);
    }

    /**
     * {@code GET /api/accounts/{id}/statement}: the account's transfers, oldest first, as NDJSON, streamed while
     * they are read inside the request's unit of work.
     */
    @GetMapping(path = "/{id}/statement", produces = MediaType.APPLICATION_NDJSON_VALUE)
    Flux<Transfer> statement(@PathVariable long id) {
        return this.transfers.statement(id);
    }
}
