package io.github.contextr2dbc.example;

import java.math.BigDecimal;

import com.fasterxml.jackson.annotation.JsonFormat;
import io.github.contextr2dbc.Routing;
import io.github.contextr2dbc.RoutingHint;
import io.github.contextr2dbc.data.Aggregate;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Opening and reading accounts, in the current unit of work (the request's), through the toolkit's routing:
 * writes go to the primary; reads in GET requests go to a replica in rotation, or to the primary when this
 * unit of work already wrote there, when the client presents a read-your-own-writes token the replicas have
 * not replayed yet, or when no replica is in rotation.
 */
@Service
class Accounts {

    /** The total of one currency: how many accounts hold it and their balances added up. */
    record CurrencyTotal(String currency, long accounts,
            @JsonFormat(shape = JsonFormat.Shape.STRING)
            BigDecimal balance) {
    }

    private static final RoutingHint ACCOUNTS = RoutingHint.named("accounts");

    private final Routing routing;

    private final AccountRepository repository;

    Accounts(Routing routing, AccountRepository repository) {
        this.routing = routing;
        this.repository = repository;
    }

    /**
     * Opens an account.
     *
     * @param request the account asked for
     * @return on complete, the account as inserted (committed with the request); error: 400 for invalid input
     */
    Mono<Account> open(NewAccount request) {
        return Mono.fromCallable(request::validated)
                .flatMap(valid -> routing.writeSession(ACCOUNTS).flatMap(session -> session
                        .sql("INSERT INTO accounts (owner, currency, balance) VALUES ($1, $2, $3) RETURNING "
                                + Account.COLUMNS)
                        .bind(0, valid.owner())
                        .bind(1, valid.currency())
                        .bind(2, valid.initialBalance())
                        .single(Account::from)));
    }

    /**
     * One account.
     *
     * @param id the account's id
     * @return the account; error 404 when there is none
     */
    Mono<Account> find(long id) {
        return repository.objects().filter("id", id).first()
                .switchIfEmpty(Mono.error(() -> LedgerProblem.accountNotFound(id)));
    }

    /**
     * The balances per currency, from a replica (it may lag the primary by a moment).
     *
     * @return one total per currency, by currency code
     */
    Flux<CurrencyTotal> totals() {
        return repository.objects()
                .annotate(Aggregate.count().as("accounts"), Aggregate.sum("balance").as("total"))
                .orderBy("currency")
                .values("currency", "accounts", "total")
                .map(row -> new CurrencyTotal((String) row.get("currency"), ((Number) row.get("accounts")).longValue(),
                        (BigDecimal) row.get("total")));
    }
}
