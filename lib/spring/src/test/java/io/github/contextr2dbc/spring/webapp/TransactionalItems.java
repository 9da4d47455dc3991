package io.github.contextr2dbc.spring.webapp;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.spring.AtomicBlock;
import io.github.contextr2dbc.spring.Databases;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Isolation;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static io.github.contextr2dbc.UnitOfWork.dbSession;

/** Spring's {@code @Transactional} on reactive methods of the default database ({@code main}). */
@Service
public class TransactionalItems {

    /** A checked exception: Spring's rollback rules commit for it. */
    public static class CheckedFailure extends Exception {

        private static final long serialVersionUID = 1L;

        CheckedFailure(String message) {
            super(message);
        }
    }

    private final Database main;

    TransactionalItems(Databases databases) {
        this.main = databases.defaultDatabase();
    }

    Mono<Void> insertPlain(String name) {
        return dbSession(this.main).flatMap(s -> s.sql("INSERT INTO item (name) VALUES ($1)").bind(0, name).execute());
    }

    @Transactional
    public Mono<Void> insert(String name) {
        return insertPlain(name);
    }

    @Transactional
    public Flux<String> insertAndEcho(String name) {
        return insertPlain(name).thenMany(Flux.just(name, name));
    }

    /** Inserts, then fails with an application error (not a database error). */
    @Transactional
    public Mono<Void> insertThenFail(String name) {
        return insertPlain(name).then(Mono.error(new IllegalStateException("business rule broken after " + name)));
    }

    /** Inserts, then fails with a checked exception, which Spring's rules commit for. */
    @Transactional
    public Mono<Void> insertThenFailChecked(String name) {
        return insertPlain(name).then(Mono.error(new CheckedFailure("checked after " + name)));
    }

    @Transactional(propagation = Propagation.REQUIRES_NEW)
    public Mono<Void> insertInNewTransaction(String name) {
        return insertPlain(name);
    }

    @Transactional(propagation = Propagation.NESTED)
    public Mono<Void> insertThenFailNested(String name) {
        return insertPlain(name).then(Mono.error(new IllegalStateException("nested failure after " + name)));
    }

    @Transactional(propagation = Propagation.MANDATORY)
    public Mono<Void> insertMandatory(String name) {
        return insertPlain(name);
    }

    @Transactional(propagation = Propagation.NOT_SUPPORTED)
    public Mono<Void> insertNotSupported(String name) {
        return insertPlain(name);
    }

    @Transactional(propagation = Propagation.NEVER)
    public Mono<Void> never() {
        return Mono.empty();
    }

    @Transactional(isolation = Isolation.SERIALIZABLE)
    public Mono<String> serializableIsolation() {
        return show("transaction_isolation");
    }

    @Transactional(readOnly = true)
    public Mono<String> readOnlyFlag() {
        return show("transaction_read_only");
    }

    @Transactional(readOnly = true)
    public Mono<Void> insertReadOnly(String name) {
        return insertPlain(name);
    }

    /** Both annotations on one method: the transaction outside, the atomic block inside it. */
    @Transactional
    @AtomicBlock
    public Mono<Void> insertAtomically(String name) {
        return insertPlain(name);
    }

    private Mono<String> show(String setting) {
        return dbSession(this.main).flatMap(s -> s.sql("SHOW " + setting).one(row -> row.get(0, String.class)));
    }
}
