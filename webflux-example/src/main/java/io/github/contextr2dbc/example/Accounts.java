package io.github.contextr2dbc.example;

import java.math.BigDecimal;

import com.fasterxml.jackson.annotation.JsonFormat;
import io.github.contextr2dbc.Database;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static io.github.contextr2dbc.UnitOfWork.dbSession;

/** Opening and reading accounts, in the current unit of work (the request's). */
@Service
class Accounts {

    /** The total of one currency: how many accounts hold it and their balances added up. */
    record CurrencyTotal(String currency, long accounts,
            @JsonFormat(shape = JsonFormat.Shape.STRING)
            BigDecimal balance) {
    }

    private final Database primary;

    private final Database replica;

    Accounts(Database primary, @Qualifier("replicaDatabase") Database replica) {
        this.primary = primary;
        this.replica = replica;
    }

    /**
     * Opens an account.
     *
     * @param request the account asked for
     * @return on complete, the account as inserted (committed with the request); error: 400 for invalid input
     */
    Mono<Account> open(NewAccount request) {
        return Mono.fromCallable(request::validated)
                .flatMap(valid -> dbSession(primary).flatMap(session -> session
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
        return dbSession(replica).flatMap(session -> session
                        .sql("SELECT " + Account.COLUMNS + " FROM accounts WHERE id = $1")
                        .bind(0, id)
                        .one(Account::from))
                .switchIfEmpty(Mono.error(() -> LedgerProblem.accountNotFound(id)));
    }

    /**
     * The balances per currency, from the replica (it may lag the primary by a moment).
     *
     * @return one total per currency, by currency code
     */
    Flux<CurrencyTotal> totals() {
        return dbSession(replica).flatMapMany(session -> session
                .sql("SELECT currency, count(*), sum(balance) FROM accounts GROUP BY currency ORDER BY currency")
                .map(row -> new CurrencyTotal(row.get(0, String.class), row.get(1, Long.class),
                        row.get(2, BigDecimal.class))));
    }
}
