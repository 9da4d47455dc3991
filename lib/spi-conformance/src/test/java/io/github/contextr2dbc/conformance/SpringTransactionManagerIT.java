package io.github.contextr2dbc.conformance;

import java.util.List;

import io.github.contextr2dbc.Database;
import io.r2dbc.spi.R2dbcException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.transaction.support.DefaultTransactionDefinition;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Spring's {@code R2dbcTransactionManager} on {@link Database#connectionFactory()}: what
 * {@code @Transactional(isolation = ..., readOnly = ...)} asks for reaches the session's transaction.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SpringTransactionManagerIT {

    private final ConformanceDatabase database = new ConformanceDatabase("spring_tx");

    private final Database db = Database.builder("main").url(this.database.url).maxSize(4).build();

    private final DatabaseClient client = DatabaseClient.create(this.db.connectionFactory());

    private final R2dbcTransactionManager transactions = new R2dbcTransactionManager(this.db.connectionFactory());

    @BeforeEach
    void freshTable() {
        this.database.jdbc.execute("DROP TABLE IF EXISTS item");
        this.database.jdbc.execute("CREATE TABLE item (id int PRIMARY KEY)");
    }

    @AfterAll
    void closeDatabase() {
        this.db.close().block();
    }

    private TransactionalOperator operator(int isolation, boolean readOnly) {
        DefaultTransactionDefinition definition = new DefaultTransactionDefinition();
        definition.setIsolationLevel(isolation);
        definition.setReadOnly(readOnly);
        return TransactionalOperator.create(this.transactions, definition);
    }

    private Mono<String> settings() {
        return this.client.sql(
                "SELECT current_setting('transaction_isolation') || ' ' || current_setting('transaction_read_only')")
                .map(row -> row.get(0, String.class)).one();
    }

    private Mono<Long> insert(int id) {
        return this.client.sql("INSERT INTO item VALUES ($1)").bind(0, id).fetch().rowsUpdated();
    }

    @Test
    void theDefinitionsIsolationLevelAndReadOnlyOpenTheSessionsTransaction() {
        List<String> seen = inNewUnitOfWork(Flux.concat(
                        operator(TransactionDefinition.ISOLATION_SERIALIZABLE, true).transactional(settings()),
                        operator(TransactionDefinition.ISOLATION_REPEATABLE_READ, false).transactional(settings()),
                        operator(TransactionDefinition.ISOLATION_DEFAULT, false).transactional(settings())))
                .collectList().block();
        assertThat(seen).containsExactly("serializable on", "repeatable read off", "read committed off");
        assertThat(this.db.connectionsInUse()).isZero();
    }

    @Test
    void aWriteInAReadOnlyTransactionIsRefused() {
        StepVerifier.create(inNewUnitOfWork(operator(TransactionDefinition.ISOLATION_DEFAULT, true)
                .transactional(insert(1))))
                .expectErrorSatisfies(error -> assertThat(error).hasRootCauseInstanceOf(R2dbcException.class)
                        .satisfies(e -> assertThat(rootCause(e).getSqlState()).isEqualTo("25006")))
                .verify();
        assertThat(this.database.jdbc.queryForObject("SELECT count(*) FROM item", Long.class)).isZero();
    }

    @Test
    void aStrongerIsolationLevelThanTheOpenTransactionsIsRefused() {
        // a statement opened the session's transaction (READ COMMITTED) before the @Transactional method
        StepVerifier.create(inNewUnitOfWork(insert(1).then(
                        operator(TransactionDefinition.ISOLATION_SERIALIZABLE, false).transactional(insert(2)))))
                .expectErrorSatisfies(error -> assertThat(error)
                        .isInstanceOf(CannotCreateTransactionException.class)
                        .cause().isInstanceOf(IllegalStateException.class)
                                .hasMessageContaining("SERIALIZABLE was asked"))
                .verify();
        assertThat(this.database.jdbc.queryForObject("SELECT count(*) FROM item", Long.class)).isZero();
        assertThat(this.db.connectionsInUse()).isZero();
    }

    private static R2dbcException rootCause(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        return (R2dbcException) cause;
    }
}
