package io.github.contextr2dbc;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.Option;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.TransactionDefinition;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.util.RaceTestUtils;

import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code beginTransaction(definition)} on the session-aware ConnectionFactory (what Spring's
 * {@code R2dbcTransactionManager} calls): the isolation level and read-only flag are honoured when it opens
 * the session's transaction, and refused, never weakened, when a transaction with other settings is open.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SessionConnectionTransactionIT {

    private final TestDatabase pg = new TestDatabase("spitx");

    private final Database db = this.pg.handle("main");

    private final Database serializable = this.pg.handle("serializable", builder -> builder.sessionOptions(
            SessionOptions.builder().isolationLevel(IsolationLevel.SERIALIZABLE).readOnly(true).build()));

    @BeforeEach
    void freshTable() {
        this.pg.execute("DROP TABLE IF EXISTS item", "CREATE TABLE item (id int PRIMARY KEY)");
    }

    @AfterAll
    void closeDatabases() {
        this.db.close().then(this.serializable.close()).block(TestDatabase.TIMEOUT);
    }

    /** Spring's way: one connection from the factory, {@code work} on it, then close. */
    private static <T> Flux<T> withConnection(Database db, Function<Connection, Flux<T>> work) {
        return Flux.usingWhen(Mono.from(db.connectionFactory().create()), work, Connection::close);
    }

    private static Flux<String> settings(Connection connection) {
        return Flux.from(connection.createStatement(
                        "SELECT current_setting('transaction_isolation') || ' ' "
                                + "|| current_setting('transaction_read_only')")
                .execute())
                .concatMap(result -> result.map(row -> row.get(0, String.class)));
    }

    private static Flux<Long> insert(Connection connection, int id) {
        return Flux.from(connection.createStatement("INSERT INTO item VALUES ($1)").bind(0, id).execute())
                .concatMap(Result::getRowsUpdated);
    }

    private static TransactionDefinition definition(@Nullable IsolationLevel isolation, boolean readOnly) {
        return new TransactionDefinition() {
            @Override
            @SuppressWarnings("unchecked")
            public <T> T getAttribute(Option<T> option) {
                if (option.equals(TransactionDefinition.ISOLATION_LEVEL)) {
                    return (T) isolation;
                }
                if (option.equals(TransactionDefinition.READ_ONLY)) {
                    return (T) Boolean.valueOf(readOnly);
                }
                return null;
            }
        };
    }

    @Test
    void theIsolationLevelAskedOpensTheSessionsTransaction() {
        List<String> seen = inNewUnitOfWork(withConnection(this.db, connection ->
                Flux.from(connection.beginTransaction(IsolationLevel.SERIALIZABLE))
                        .thenMany(Flux.from(connection.createStatement("SHOW transaction_isolation").execute())
                                .concatMap(result -> result.map(row -> row.get(0, String.class))))
                        .concatWith(Mono.fromSupplier(() -> connection.getTransactionIsolationLevel().asSql()))
                        .concatWith(Flux.from(connection.commitTransaction()).cast(String.class))))
                .collectList().block(TestDatabase.TIMEOUT);
        assertThat(seen).containsExactly("serializable", "SERIALIZABLE");
    }

    @Test
    void readOnlyAskedOpensAReadOnlyTransactionThatRefusesWrites() {
        List<String> seen = new ArrayList<>();
        StepVerifier.create(inNewUnitOfWork(withConnection(this.db, connection ->
                        Flux.from(connection.beginTransaction(definition(IsolationLevel.REPEATABLE_READ, true)))
                                .thenMany(settings(connection).doOnNext(seen::add))
                                .thenMany(insert(connection, 1)))))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(R2dbcException.class)
                        .satisfies(e -> assertThat(((R2dbcException) e).getSqlState()).isEqualTo("25006")))
                .verify(TestDatabase.TIMEOUT);
        assertThat(seen).containsExactly("repeatable read on");
        assertThat(this.pg.queryLong("SELECT count(*) FROM item")).isZero();
    }

    @Test
    void theSettingsApplyToThatTransactionOnly() {
        // a read-only SERIALIZABLE transaction committed by its connection, then plain statements in the same
        // unit of work: they run in a new transaction with the session's own options
        List<String> seen = inNewUnitOfWork(withConnection(this.db, connection ->
                        Flux.from(connection.beginTransaction(definition(IsolationLevel.SERIALIZABLE, true)))
                                .thenMany(settings(connection))
                                .concatWith(Flux.from(connection.commitTransaction()).cast(String.class)))
                .concatWith(withConnection(this.db, connection -> settings(connection).concatWith(insert(connection, 1)
                        .then(Mono.empty())))))
                .collectList().block(TestDatabase.TIMEOUT);
        assertThat(seen).containsExactly("serializable on", "read committed off");
        assertThat(this.pg.queryLong("SELECT count(*) FROM item")).isEqualTo(1);
    }

    @Test
    void settingsOfATransactionThatNeverBeganAreForgotten() {
        // asked, then the connection closed before any statement: the next transaction is the session's own
        List<String> seen = inNewUnitOfWork(withConnection(this.db, connection ->
                        Flux.from(connection.beginTransaction(definition(IsolationLevel.SERIALIZABLE, true)))
                                .cast(String.class))
                .concatWith(withConnection(this.db, SessionConnectionTransactionIT::settings)))
                .collectList().block(TestDatabase.TIMEOUT);
        assertThat(seen).containsExactly("read committed off");
    }

    @Test
    void aCancelledBeginTransactionIsForgottenWhenItsConnectionCloses() {
        // beginTransaction cancelled at a random point, racing its own queue turn; then the view closes: the next
        // transaction of the same session is the session's own, whatever the race did
        for (int i = 0; i < 50; i++) {
            List<String> seen = inNewUnitOfWork(withConnection(this.db, connection -> {
                Disposable begin = Flux.from(connection.beginTransaction(definition(IsolationLevel.SERIALIZABLE, true)))
                        .subscribe();
                RaceTestUtils.race(begin::dispose, () -> { });
                return Flux.<String>empty();
            }).concatWith(withConnection(this.db, SessionConnectionTransactionIT::settings)))
                    .collectList().block(TestDatabase.TIMEOUT);
            assertThat(seen).containsExactly("read committed off");
        }
    }

    @Test
    void aStrongerIsolationLevelThanTheOpenTransactionsIsRefused() {
        StepVerifier.create(inNewUnitOfWork(withConnection(this.db, connection ->
                        insert(connection, 1).thenMany(connection.beginTransaction(IsolationLevel.SERIALIZABLE)))))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("SERIALIZABLE was asked")
                        .hasMessageContaining("READ COMMITTED")
                        .hasMessageContaining("UnitOfWork.inNewUnitOfWork"))
                .verify(TestDatabase.TIMEOUT);
        // the unit of work rolled back on the error; nothing was weakened or committed
        assertThat(this.pg.queryLong("SELECT count(*) FROM item")).isZero();
    }

    @Test
    void readOnlyAskedInAnOpenWritableTransactionIsRefused() {
        StepVerifier.create(inNewUnitOfWork(withConnection(this.db, connection ->
                        insert(connection, 1).thenMany(connection.beginTransaction(definition(null, true))))))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("read-only was asked, but the open transaction is read-write"))
                .verify(TestDatabase.TIMEOUT);
        assertThat(this.pg.queryLong("SELECT count(*) FROM item")).isZero();
    }

    @Test
    void anOpenTransactionThatAlreadySatisfiesTheDefinitionIsJoined() {
        // the session opens SERIALIZABLE READ ONLY; asking for less (READ COMMITTED, REPEATABLE READ, read-only, or
        // writable: no requirement) joins it, in the same transaction
        List<String> seen = inNewUnitOfWork(withConnection(this.serializable, connection -> settings(connection)
                .concatWith(Flux.from(connection.beginTransaction(IsolationLevel.READ_COMMITTED)).cast(String.class))
                .concatWith(Flux.from(connection.beginTransaction(definition(IsolationLevel.REPEATABLE_READ, true)))
                        .cast(String.class))
                .concatWith(Flux.from(connection.beginTransaction(definition(IsolationLevel.SERIALIZABLE, false)))
                        .cast(String.class))
                .concatWith(Flux.from(connection.beginTransaction(IsolationLevel.READ_UNCOMMITTED)).cast(String.class))
                .concatWith(settings(connection))))
                .collectList().block(TestDatabase.TIMEOUT);
        assertThat(seen).containsExactly("serializable on", "serializable on");
    }

    @Test
    void compatibilityRules() {
        assertThat(SessionConnection.conflict("read committed", false, IsolationLevel.READ_COMMITTED, false)).isNull();
        assertThat(SessionConnection.conflict("read committed", false,
                IsolationLevel.READ_UNCOMMITTED, false)).isNull();
        assertThat(SessionConnection.conflict("read uncommitted", false,
                IsolationLevel.READ_COMMITTED, false)).isNull();
        assertThat(SessionConnection.conflict("serializable", true, IsolationLevel.REPEATABLE_READ, true)).isNull();
        assertThat(SessionConnection.conflict("read committed", false, null, false)).isNull();
        assertThat(SessionConnection.conflict("read committed", false, IsolationLevel.REPEATABLE_READ,
                false)).isNotNull();
        assertThat(SessionConnection.conflict("repeatable read", false, IsolationLevel.SERIALIZABLE,
                false)).isNotNull();
        assertThat(SessionConnection.conflict("serializable", false, null, true)).isNotNull();
        assertThat(SessionConnection.conflict("serializable", false, IsolationLevel.valueOf("SNAPSHOT"),
                false)).isNotNull();
    }
}
