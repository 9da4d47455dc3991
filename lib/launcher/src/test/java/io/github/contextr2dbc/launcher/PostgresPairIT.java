package io.github.contextr2dbc.launcher;

import java.time.Duration;

import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.R2dbcException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/** The shared pair is a real primary with a streaming hot standby. */
class PostgresPairIT {

    private static PostgresPair pair;
    private static String database;
    private static ConnectionFactory primary;
    private static ConnectionFactory replica;

    @BeforeAll
    static void startSharedPair() {
        pair = PostgresPair.shared();
        database = pair.createDatabase("pair_it");
        primary = ConnectionFactories.get(pair.primaryUrl(database));
        replica = ConnectionFactories.get(pair.replicaUrl(database));
        Sql.run(primary, "CREATE TABLE note (id int PRIMARY KEY, text text NOT NULL)").block(Sql.TIMEOUT);
        pair.awaitReplicaCaughtUp();
    }

    @Test
    void primaryIsReadWriteAndReplicaIsInRecovery() {
        String expectedKind = System.getenv(PairProviders.PRIMARY_URL_ENV) != null ? "external"
                : System.getenv(PairProviders.PROVIDER_ENV) != null ? System.getenv(PairProviders.PROVIDER_ENV)
                : "local";
        assertThat(pair.kind()).isEqualTo(expectedKind);
        assertThat(pair.primaryPort()).isNotEqualTo(pair.replicaPort());

        assertThat(Sql.text(pair.primaryConnectionFactory(), "SELECT pg_is_in_recovery()")).isEqualTo("false");
        assertThat(Sql.text(pair.replicaConnectionFactory(), "SELECT pg_is_in_recovery()")).isEqualTo("true");
        assertThat(Sql.text(pair.replicaConnectionFactory(),
                "SELECT status FROM pg_stat_wal_receiver")).isEqualTo("streaming");
    }

    @Test
    void urlsAndPropertiesDescribeTheServers() {
        assertThat(pair.host()).isNotBlank();
        assertThat(pair.database()).isNotBlank();
        assertThat(pair.primaryUrl()).startsWith("r2dbc:postgresql://" + pair.username())
                .contains(":" + pair.primaryPort() + "/" + pair.database());
        assertThat(pair.replicaUrl(database)).contains(":" + pair.replicaPort() + "/" + database);
        if (pair.kind().equals("local")) {
            assertThat(pair.host()).isEqualTo("127.0.0.1");
            assertThat(pair.username()).isEqualTo("postgres");
            assertThat(pair.password()).isEmpty();
            assertThat(pair.primaryUrl())
                    .isEqualTo("r2dbc:postgresql://postgres@127.0.0.1:" + pair.primaryPort() + "/postgres");
        }
        assertThat(Sql.text(ConnectionFactories.get(pair.primaryUrl()), "SELECT current_database()"))
                .isEqualTo(pair.database());
        assertThat(Sql.text(ConnectionFactories.get(pair.replicaUrl(database)), "SELECT current_database()"))
                .isEqualTo(database);
    }

    @Test
    void writeOnThePrimaryIsVisibleOnTheReplicaAfterAwaitReplicaCaughtUp() {
        Sql.run(primary, "INSERT INTO note VALUES (1, 'replicated')").block(Sql.TIMEOUT);

        pair.awaitReplicaCaughtUp();

        assertThat(Sql.text(replica, "SELECT text FROM note WHERE id = 1")).isEqualTo("replicated");
    }

    @Test
    void pausedReplayHidesNewWritesUntilResumed() {
        pair.pauseReplay();
        try {
            Sql.run(primary, "INSERT INTO note VALUES (2, 'lagging')").block(Sql.TIMEOUT);
            // hidden for 300 ms, far longer than the replica normally needs
            Awaitility.await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> "0".equals(Sql.text(replica, "SELECT count(*) FROM note WHERE id = 2")));
            assertThat(Sql.text(replica, "SELECT pg_get_wal_replay_pause_state()")).isEqualTo("paused");
        } finally {
            pair.resumeReplay();
        }
        pair.awaitReplicaCaughtUp();

        assertThat(Sql.text(replica, "SELECT text FROM note WHERE id = 2")).isEqualTo("lagging");
    }

    @Test
    void replicaRejectsWritesWithSqlState25006() {
        StepVerifier.create(Sql.run(replica, "INSERT INTO note VALUES (3, 'refused')"))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(R2dbcException.class)
                        .extracting(error -> ((R2dbcException) error).getSqlState()).isEqualTo("25006"))
                .verify(Duration.ofSeconds(30));
    }

    @Test
    void createDatabaseReturnsAFreshDatabaseUsableOnBothServers() {
        String first = pair.createDatabase("Orders-Test");
        String second = pair.createDatabase("Orders-Test");

        assertThat(first).startsWith("orders_test_").isNotEqualTo(second);
        ConnectionFactory firstPrimary = ConnectionFactories.get(pair.primaryUrl(first));
        Sql.run(firstPrimary, "CREATE TABLE item (id int); INSERT INTO item VALUES (7)").block(Sql.TIMEOUT);
        pair.awaitReplicaCaughtUp();
        assertThat(Sql.text(ConnectionFactories.get(pair.replicaUrl(first)), "SELECT id FROM item")).isEqualTo("7");
        assertThat(Sql.text(ConnectionFactories.get(pair.replicaUrl(second)), "SELECT current_database()"))
                .isEqualTo(second);
    }

    @Test
    void executeRunsSqlOnThePrimaryDefaultDatabase() {
        pair.execute("CREATE TABLE IF NOT EXISTS pair_it_execute (id int); INSERT INTO pair_it_execute VALUES (1)");

        assertThat(Sql.text(pair.primaryConnectionFactory(), "SELECT count(*) > 0 FROM pair_it_execute"))
                .isEqualTo("true");
    }

    @Test
    void sharedIsOneInstanceThatCloseDoesNotStop() {
        PostgresPair again = PostgresPair.shared();
        again.close();

        assertThat(again).isSameAs(pair);
        assertThat(Sql.text(pair.primaryConnectionFactory(), "SELECT 1")).isEqualTo("1");
    }
}
