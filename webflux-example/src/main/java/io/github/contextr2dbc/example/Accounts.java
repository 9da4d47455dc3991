package io.github.contextr2dbc.example;

import java.math.BigDecimal;

import com.fasterxml.jackson.annotation.JsonFormat;
import io.github.contextr2dbc.Routing;
import io.github.contextr2dbc.RoutingHint;
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

    Accounts(Routing routing) {
        this.routing = routing;
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
        return routing.readSession(ACCOUNTS).flatMap(session -> session
                        .sql("SELECT " + Account.COLUMNS + " FROM accounts WHERE id = $1")
                        .bind(0, id)
                        .one(Account::from))
                .switchIfEmpty(Mono.error(() -> LedgerProblem.accountNotFound(id)));
    }

    /**
     * The balances per currency, from a replica (it may lag the primary by a moment).
     *
     * @return one total per currency, by currency code
     */
    Flux<CurrencyTotal> totals() {
        return routing.readSession(ACCOUNTS).flatMapMany(session -> session
                .sql("SELECT currency, count(*), sum(balance) FROM accounts GROUP BY currency ORDER BY currency")
                .map(row -> new CurrencyTotal(row.get(0, String.class), row.get(1, Long.class),
                        row.get(2, BigDecimal.class))));
    }
}
