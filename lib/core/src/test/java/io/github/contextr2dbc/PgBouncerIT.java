package io.github.contextr2dbc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.github.contextr2dbc.launcher.PgBouncer;
import io.r2dbc.spi.R2dbcException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * context-r2dbc through PgBouncer in transaction pooling mode (the distribution's package; 1.18 on Debian 12):
 * many more client connections than server connections, so consecutive transactions of one client connection
 * run on different server connections.
 */
class PgBouncerIT {

    private static final Logger log = LoggerFactory.getLogger(PgBouncerIT.class);

    private static final int UNITS = 200;

    private static final TestDatabase PG = new TestDatabase("pgbouncer");

    private static PgBouncer bouncer;

    @BeforeAll
    static void start() {
        Assumptions.assumeTrue(PgBouncer.program().isPresent(),
                "pgbouncer is not installed (apt-get install -y pgbouncer; .ci/run installs it): PgBouncerIT skipped");
        Assumptions.assumeTrue("local".equals(PG.pair.kind()), "PgBouncer runs in front of the local pair only");
        PG.execute("CREATE TABLE item (id int PRIMARY KEY, name text NOT NULL)");
        bouncer = PgBouncer.start(PG.pair.primaryPort(), "transaction", 2);
    }

    @AfterAll
    static void stop() {
        if (bouncer != null) {
            bouncer.close();
        }
    }

    /** {@value #UNITS} units of work, 8 at a time on 2 server connections: bound statements, SET LOCAL, commits. */
    private static List<Throwable> run(Database db, int firstId) {
        List<Throwable> failures = new ArrayList<>();
        Flux.range(firstId, UNITS)
                .flatMap(id -> inNewUnitOfWork(dbSession(db).flatMap(session -> session
                        .sql("INSERT INTO item VALUES ($1, $2)").bind(0, id).bind(1, "item-" + id).rowsUpdated()
                        .then(session.sql("SELECT name FROM item WHERE id = $1").bind(0, id)
                                .one(row -> row.get(0, String.class)))
                        .then(session.sql("SELECT current_setting('statement_timeout')")
                                .one(row -> row.get(0, String.class)))))
                        .doOnNext(timeout -> assertThat(timeout).isEqualTo("5s"))
                        .onErrorResume(error -> {
                            synchronized (failures) {
                                failures.add(error);
                            }
                            return Mono.empty();
                        }), 8)
                .then().block(TestDatabase.TIMEOUT);
        return failures;
    }

    private static String sqlState(Throwable error) {
        for (Throwable current = error; current != null; current = current.getCause()) {
            if (current instanceof R2dbcException r2dbc) {
                return r2dbc.getSqlState();
            }
        }
        return null;
    }

    private static Database database(String query) {
        return Database.builder("bounced").url(bouncer.url(PG.name, query)).maxSize(8)
                .sessionOptions(SessionOptions.builder().statementTimeout(Duration.ofSeconds(5)).build()).build();
    }

    @Test
    void withoutThePreparedStatementCacheEveryUnitOfWorkSucceeds() {
        Database db = database("preparedStatementCacheQueries=0");
        try {
            List<Throwable> failures = run(db, 0);
            assertThat(failures).as("failures through PgBouncer").isEmpty();
            assertThat(PG.queryLong("SELECT count(*) FROM item WHERE id < " + UNITS)).isEqualTo(UNITS);
            assertThat(db.connectionsInUse()).isZero();
        } finally {
            db.close().block(TestDatabase.TIMEOUT);
        }
    }

    @Test
    void withTheDriversDefaultCacheNamedStatementsMeetOtherServerConnections() {
        Database db = database("");
        try {
            List<Throwable> failures = run(db, 10_000);
            log.info("Through PgBouncer with the driver's default prepared-statement cache: {} of {} units failed; "
                    + "first: {}", failures.size(), UNITS, failures.isEmpty() ? "none" : failures.get(0).toString());
            // PgBouncer before 1.21 does not track protocol-level prepared statements: the driver's named
            // statements (S_0, S_1, ...) meet server connections that have another client's statement under that
            // name (42P05 on PARSE; 08P01 on BIND when its parameters differ: with the same parameters the other
            // client's SQL would run), or none (26000); 25P02 follows in the same transaction. Those are the only
            // failures, each a unit of work that rolled back and released its connection
            assertThat(failures).allSatisfy(error -> assertThat(sqlState(error)).as("%s", error)
                    .isIn("42P05", "26000", "08P01", "25P02"));
            assertThat(db.connectionsInUse()).isZero();
        } finally {
            db.close().block(TestDatabase.TIMEOUT);
        }
    }
}
