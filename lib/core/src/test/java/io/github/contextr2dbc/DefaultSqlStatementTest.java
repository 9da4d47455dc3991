package io.github.contextr2dbc;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bindings a {@link SqlStatement} replays on the driver's statement: in call order, every kind (by index, by
 * name, null by index and by name), and each run with what was bound when it was made (a later {@code bind}
 * does not reach a run already made; the recorded bindings are shared with the run until then).
 */
class DefaultSqlStatementTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** Every call made on a driver statement other than BEGIN/COMMIT, as text, one list per statement. */
    private final List<List<String>> calls = new ArrayList<>();

    private final Database db = Database.builder("recorded").connectionFactory(recordingFactory()).maxSize(1).build();

    @AfterEach
    void closeDatabase() {
        this.db.close().block(TIMEOUT);
    }

    @Test
    void everyBindingIsReplayedInCallOrder() {
        inNewUnitOfWork(dbSession(this.db).flatMap(session -> session.sql("SELECT $1, $2, $3, $4")
                .bind(2, "c")
                .bind("$1", 1)
                .bindNull(1, Integer.class)
                .bindNull("$4", String.class)
                .rowsUpdated())).block(TIMEOUT);
        assertThat(this.calls).containsExactly(List.of("bind(2, c)", "bind($1, 1)", "bindNull(1, Integer)",
                "bindNull($4, String)", "execute"));
    }

    @Test
    void aRunKeepsTheBindingsItWasMadeWithAndALaterBindingGoesToLaterRunsOnly() {
        inNewUnitOfWork(dbSession(this.db).flatMap(session -> {
            SqlStatement statement = session.sql("SELECT $1, $2").bind(0, "a").bind(1, "b");
            Mono<Long> first = statement.rowsUpdated();
            statement.bind(1, "changed");
            Mono<Long> second = statement.rowsUpdated();
            Mono<Long> firstAgain = first;
            return first.then(second).then(firstAgain);
        })).block(TIMEOUT);
        assertThat(this.calls).containsExactly(
                List.of("bind(0, a)", "bind(1, b)", "execute"),
                List.of("bind(0, a)", "bind(1, b)", "bind(1, changed)", "execute"),
                List.of("bind(0, a)", "bind(1, b)", "execute"));
    }

    @Test
    void aStatementWithoutBindingsBindsNothing() {
        inNewUnitOfWork(dbSession(this.db).flatMap(session -> session.sql("SELECT 1").execute())).block(TIMEOUT);
        assertThat(this.calls).containsExactly(List.of("execute"));
    }

    private ConnectionFactory recordingFactory() {
        Connection connection = (Connection) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "createStatement" -> statement((String) args[0]);
                    case "isAutoCommit" -> true;
                    case "validate" -> Mono.just(true);
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "recording connection";
                    default -> Mono.empty();
                });
        return new ConnectionFactory() {
            @Override
            public Mono<Connection> create() {
                return Mono.just(connection);
            }

            @Override
            public ConnectionFactoryMetadata getMetadata() {
                return () -> "recording";
            }
        };
    }

    private Statement statement(String sql) {
        List<String> made = new ArrayList<>();
        boolean control = sql.equals("BEGIN") || sql.equals("COMMIT") || sql.equals("ROLLBACK");
        return (Statement) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Statement.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("execute")) {
                        made.add("execute");
                        if (!control) {
                            synchronized (this.calls) {
                                this.calls.add(List.copyOf(made));
                            }
                        }
                        return Mono.just(new ScriptedConnection.Answered());
                    }
                    if (method.getName().startsWith("bind")) {
                        Object value = args[1] instanceof Class ? ((Class<?>) args[1]).getSimpleName() : args[1];
                        made.add(method.getName() + "(" + args[0] + ", " + value + ")");
                    }
                    return proxy;
                });
    }
}
