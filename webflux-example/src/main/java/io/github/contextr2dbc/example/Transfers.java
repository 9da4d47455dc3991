package io.github.contextr2dbc.example;

import java.math.BigDecimal;
import java.util.List;

import io.github.contextr2dbc.Atomic;
import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.DbSession;
import io.r2dbc.spi.R2dbcException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static io.github.contextr2dbc.Atomic.atomic;
import static io.github.contextr2dbc.UnitOfWork.dbSession;

/**
 * Moving money between two accounts, once per idempotency key.
 *
 * <p>One transfer is one atomic block on the primary (it commits when the block completes, before the
 * response is sent):
 *
 * <ol>
 *   <li>both accounts are locked with {@code SELECT ... FOR UPDATE}, lowest id first
 *       ({@link AccountRepository#lockedInOrder}), so two transfers between the same accounts in opposite
 *       directions wait for each other instead of deadlocking;</li>
 *   <li>a transfer already made with the same request id is returned as it is (and nothing moves); with other
 *       accounts or another amount it is a 409;</li>
 *   <li>the amount is moved; the fee is taken in a nested block (a savepoint): when the sender can pay the
 *       amount but not the fee as well, the balance check fails inside it, only the savepoint rolls back and
 *       the fee is waived;</li>
 *   <li>a before-commit hook writes the audit log row in the same transaction; an on-commit hook enqueues the
 *       notification once the transfer has committed (so never for a transfer that rolled back).</li>
 * </ol>
 *
 * <p>Two requests racing with one request id: the second waits for the first's locks and then finds its
 * transfer (200). When they name different accounts they do not wait for each other; the request id's unique
 * constraint is {@code DEFERRABLE INITIALLY DEFERRED}, so the second one's {@code COMMIT} fails, nothing of it
 * is kept, and it gets a 409 (unique violation).
 */
@Service
class Transfers {

    private static final Log log = LogFactory.getLog(Transfers.class);

    /** SQLSTATE of a failed {@code CHECK} constraint ({@code balance >= 0}). */
    private static final String CHECK_VIOLATION = "23514";

    /** A transfer and whether this request made it (false: an earlier request with the same id did). */
    record Outcome(Transfer transfer, boolean created) {
    }

    /** An account locked for this transfer. */
    private record Locked(long id, String currency, BigDecimal balance) {
    }

    private final Database db;

    private final AccountRepository accounts;

    Transfers(Database db, AccountRepository accounts) {
        this.db = db;
        this.accounts = accounts;
    }

    /**
     * Makes the transfer, or finds the one made earlier with the same request id.
     *
     * @param request the transfer asked for
     * @return on complete, the transfer (committed); errors: {@link LedgerProblem} 400 (invalid request), 404
     *         (unknown account), 409 (insufficient funds, different currencies, request id used for another
     *         transfer), or a database error (a unique violation when another request with the same id
     *         committed first); cancel: rolls back, nothing kept
     */
    Mono<Outcome> make(NewTransfer request) {
        return Mono.fromCallable(request::validated)
                .flatMap(valid -> dbSession(db).flatMap(session -> lock(valid)
                        .flatMap(accounts -> earlier(session, valid)
                                .map(found -> new Outcome(found, false))
                                .switchIfEmpty(Mono.defer(() -> move(session, valid, accounts))))))
                .transform(atomic(db)::wrap);
    }

    private Mono<List<Locked>> lock(NewTransfer request) {
        return this.accounts.lockedInOrder(request.from(), request.to()).all()
                .map(account -> new Locked(account.id(), account.currency(), account.balance()))
                .collectList()
                .flatMap(accounts -> {
                    for (long id : new long[] {request.from(), request.to()}) {
                        if (accounts.stream().noneMatch(account -> account.id() == id)) {
                            return Mono.error(LedgerProblem.accountNotFound(id));
                        }
                    }
                    return Mono.just(accounts);
                });
    }

    private static Mono<Transfer> earlier(DbSession session, NewTransfer request) {
        return session.sql("SELECT " + Transfer.COLUMNS + " FROM transfers WHERE request_id = $1")
                .bind(0, request.requestId())
                .one(Transfer::from)
                .flatMap(found -> found.matches(request)
                        ? Mono.just(found)
                        : Mono.error(LedgerProblem.requestIdReused(request.requestId())));
    }

    private Mono<Outcome> move(DbSession session, NewTransfer request, List<Locked> accounts) {
        Locked from = accounts.stream().filter(account -> account.id() == request.from()).findFirst().orElseThrow();
        Locked to = accounts.stream().filter(account -> account.id() == request.to()).findFirst().orElseThrow();
        if (!from.currency().equals(to.currency())) {
            return Mono.error(LedgerProblem.currencyMismatch(from.id(), to.id()));
        }
        if (from.balance().compareTo(request.amount()) < 0) {
            return Mono.error(LedgerProblem.insufficientFunds(from.id()));
        }
        BigDecimal fee = Money.feeFor(request.amount());
        Mono<BigDecimal> charged = adjust(session, from.id(), fee.negate())
                .thenReturn(fee)
                .transform(atomic(db)::wrap)                        // a savepoint: only the fee is undone
                .onErrorResume(Transfers::isNegativeBalance, error -> Mono.just(BigDecimal.ZERO.setScale(2)));
        return adjust(session, from.id(), request.amount().negate())
                .then(adjust(session, to.id(), request.amount()))
                .then(charged)
                .flatMap(paid -> insert(session, request, paid))
                .flatMap(made -> Atomic.beforeCommit(db, audit(made))
                        .then(Atomic.onCommit(db, enqueue(made), true))
                        .thenReturn(new Outcome(made, true)));
    }

    private static Mono<Void> adjust(DbSession session, long account, BigDecimal delta) {
        return session.sql("UPDATE accounts SET balance = balance + $1 WHERE id = $2")
                .bind(0, delta)
                .bind(1, account)
                .execute();
    }

    private static Mono<Transfer> insert(DbSession session, NewTransfer request, BigDecimal fee) {
        return session.sql("INSERT INTO transfers (request_id, from_account, to_account, amount, fee, status) "
                        + "VALUES ($1, $2, $3, $4, $5, $6) RETURNING " + Transfer.COLUMNS)
                .bind(0, request.requestId())
                .bind(1, request.from())
                .bind(2, request.to())
                .bind(3, request.amount())
                .bind(4, fee)
                .bind(5, fee.signum() == 0 ? "completed-fee-waived" : "completed")
                .single(Transfer::from);
    }

    /** The before-commit hook: the audit row, in the transfer's transaction (it commits or rolls back with it). */
    private Mono<Void> audit(Transfer transfer) {
        return dbSession(db).flatMap(session -> session
                .sql("INSERT INTO audit_log (transfer_id, event, detail) VALUES ($1, 'transfer.committed', $2)")
                .bind(0, transfer.id())
                .bind(1, transfer.amount().toPlainString() + " " + transfer.fromAccount() + " -> "
                        + transfer.toAccount()
                        + ", fee " + transfer.fee().toPlainString())
                .execute());
    }

    /**
     * The on-commit hook: runs after the transfer committed, in a unit of work of its own, and enqueues the
     * notification. Robust: if it fails, the failure is logged and the response is still the committed
     * transfer (a notification that must never be lost belongs in the transaction, like the audit row).
     */
    private Mono<Void> enqueue(Transfer transfer) {
        return dbSession(db).flatMap(session -> session
                        .sql("INSERT INTO outbox (topic, payload) VALUES ('transfer.completed', $1)")
                        .bind(0, "{\"transferId\":" + transfer.id() + ",\"from\":" + transfer.fromAccount() + ",\"to\":"
                                + transfer.toAccount() + ",\"amount\":\"" + transfer.amount().toPlainString() + "\"}")
                        .execute())
                .doOnError(error -> log.warn("Transfer " + transfer.id() + " committed, its notification was not "
                        + "enqueued: " + error));
    }

    /**
     * The transfers of one account, oldest first, streamed.
     *
     * @param account the account
     * @return the transfers; error 404 when there is no such account (before the first element)
     */
    Flux<Transfer> statement(long account) {
        return dbSession(db).flatMapMany(session -> session.sql("SELECT 1 FROM accounts WHERE id = $1")
                .bind(0, account)
                .one(row -> Boolean.TRUE)
                .switchIfEmpty(Mono.error(() -> LedgerProblem.accountNotFound(account)))
                .thenMany(session.sql("SELECT " + Transfer.COLUMNS
                                + " FROM transfers WHERE from_account = $1 OR to_account = $1 ORDER BY created_at, id")
                        .bind(0, account)
                        .map(Transfer::from)));
    }

    private static boolean isNegativeBalance(Throwable error) {
        return error instanceof R2dbcException failure && CHECK_VIOLATION.equals(failure.getSqlState());
    }
}
