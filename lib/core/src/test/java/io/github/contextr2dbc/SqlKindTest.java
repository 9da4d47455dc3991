package io.github.contextr2dbc;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class SqlKindTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT * FROM item WHERE id = $1",
        "  select count(*) from item",
        "(SELECT 1) UNION (SELECT 2)",
        "WITH x AS (SELECT id FROM item) SELECT * FROM x",
        "VALUES (1), (2)",
        "TABLE item",
        "SHOW transaction_read_only",
        "SET LOCAL statement_timeout = 5",
        "BEGIN READ ONLY",
        "COMMIT",
        "-- a comment\nSELECT 1",
        "/* nested /* comment */ INSERT */ SELECT 1",
        "SELECT 'INSERT INTO x' AS text",
        "SELECT E'it\\'s an UPDATE' AS text",
        "SELECT $tag$ DELETE FROM item $tag$",
        "SELECT \"update\" FROM item",
        "SELECT 1; SELECT 2",
        "EXPLAIN SELECT * FROM item",
        "SELECT * FROM item FOR_X",
        "SELECT pg_last_wal_replay_lsn()::text",
    })
    void readsAreNotWrites(String sql) {
        assertThat(SqlKind.mayWrite(sql)).as(sql).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "INSERT INTO item VALUES (1)",
        "update item set name = 'x'",
        "DELETE FROM item",
        "MERGE INTO item USING x ON true WHEN MATCHED THEN DO NOTHING",
        "CREATE TABLE x (id int)",
        "DROP TABLE item",
        "TRUNCATE item",
        "COPY item FROM STDIN",
        "CALL do_things()",
        "DO $$ BEGIN END $$",
        "LOCK TABLE item",
        "EXECUTE prepared_insert",
        "WITH gone AS (DELETE FROM item RETURNING id) SELECT count(*) FROM gone",
        "SELECT * INTO copy FROM item",
        "SELECT * FROM item FOR UPDATE",
        "SELECT * FROM item FOR NO KEY UPDATE",
        "SELECT * FROM item FOR SHARE",
        "SELECT * FROM item FOR KEY SHARE",
        "SELECT 1; INSERT INTO item VALUES (1)",
        "EXPLAIN ANALYZE DELETE FROM item",
        "\\copy item",
    })
    void writesAreWrites(String sql) {
        assertThat(SqlKind.mayWrite(sql)).as(sql).isTrue();
    }
}
