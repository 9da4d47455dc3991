package io.github.contextr2dbc.model;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.Result;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One database of the model test, seen from outside through a plain connection of its own in auto-commit
 * mode: its schema, its rows, its leaked transactions. Blocking; for the test thread only.
 */
final class Tables implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final String name;

    private final Connection connection;

    Tables(String name, String url) {
        this.name = name;
        this.connection = Mono.from(ConnectionFactories.get(url).create()).block(TIMEOUT);
    }

    /**
     * {@code item} holds 0 from the start, so that inserting 0 is a unique violation; a row inserted in
     * {@code late} is refused by a deferred constraint trigger when its transaction commits; a row inserted
     * in {@code slow} makes its transaction's COMMIT take 0.3 s.
     */
    void createSchema() {
        execute("DROP TABLE IF EXISTS item",
                "DROP TABLE IF EXISTS late",
                "DROP TABLE IF EXISTS slow",
                "CREATE TABLE item (id int PRIMARY KEY)",
                "INSERT INTO item VALUES (0)",
                "CREATE TABLE late (id int)",
                "CREATE OR REPLACE FUNCTION late_refused() RETURNS trigger LANGUAGE plpgsql AS "
                        + "$$ BEGIN RAISE EXCEPTION 'a late row is refused at commit'; END $$",
                "CREATE CONSTRAINT TRIGGER late_check AFTER INSERT ON late DEFERRABLE INITIALLY DEFERRED "
                        + "FOR EACH ROW EXECUTE FUNCTION late_refused()",
                "CREATE TABLE slow (id int)",
                "CREATE OR REPLACE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS "
                        + "$$ BEGIN PERFORM pg_sleep(0.3); RETURN NULL; END $$",
                "CREATE CONSTRAINT TRIGGER slow_check AFTER INSERT ON slow DEFERRABLE INITIALLY DEFERRED "
                        + "FOR EACH ROW EXECUTE FUNCTION slow_commit()");
    }

    /** The program's rows (0 left out), in order. */
    List<Integer> rows() {
        List<Integer> rows = new ArrayList<>();
        for (String value : strings("SELECT id FROM item WHERE id <> 0 ORDER BY id")) {
            rows.add(Integer.valueOf(value));
        }
        return rows;
    }

    /** Deletes the program's rows (and checks no late row ever committed). */
    void reset() {
        execute("DELETE FROM item WHERE id <> 0", "DELETE FROM late", "DELETE FROM slow");
    }

    /** Backends of this database idle inside a transaction (a leaked transaction), other than this one. */
    long idleInTransaction() {
        return Long.parseLong(strings("SELECT count(*) FROM pg_stat_activity WHERE datname = '" + this.name
                + "' AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()").get(0));
    }

    /** Ends the backends left idle in a transaction, so that the next programs are not disturbed. */
    void terminateIdleInTransaction() {
        strings("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + this.name
                + "' AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()");
    }

    private void execute(String... statements) {
        Flux.fromArray(statements)
                .concatMap(sql -> Flux.from(this.connection.createStatement(sql).execute())
                        .concatMap(Result::getRowsUpdated))
                .then()
                .block(TIMEOUT);
    }

    private List<String> strings(String sql) {
        return Flux.from(this.connection.createStatement(sql).execute())
                .concatMap(result -> result.map(row -> String.valueOf(row.get(0))))
                .collectList()
                .block(TIMEOUT);
    }

    @Override
    public void close() {
        Mono.from(this.connection.close()).block(TIMEOUT);
    }
}
