package io.github.contextr2dbc.launcher;

import java.time.Duration;

import io.r2dbc.spi.R2dbcException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/** Stopping, restarting and failing over on private pairs, while the shared pair stays intact. */
class PostgresPairPromotionIT {

    @BeforeEach
    void onlyWhereServersCanBeStopped() {
        assumeThat(PostgresPair.shared().kind())
                .as("stopping and promoting needs a pair the launcher started itself")
                .isEqualTo("local");
    }

    @Test
    void promotedReplicaAcceptsWritesAfterThePrimaryStopped() {
        try (PostgresPair pair = PostgresPair.startNew()) {
            pair.execute("CREATE TABLE account (id int PRIMARY KEY); INSERT INTO account VALUES (1)");
            pair.awaitReplicaCaughtUp();

            pair.stopPrimary();
            StepVerifier.create(Sql.run(pair.primaryConnectionFactory(), "SELECT 1"))
                    .expectError()
                    .verify(Duration.ofSeconds(30));
            StepVerifier.create(Sql.run(pair.replicaConnectionFactory(), "INSERT INTO account VALUES (2)"))
                    .expectErrorMatches(e -> e instanceof R2dbcException r && "25006".equals(r.getSqlState()))
                    .verify(Duration.ofSeconds(30));

            pair.promoteReplica();

            assertThat(Sql.text(pair.replicaConnectionFactory(), "SELECT pg_is_in_recovery()")).isEqualTo("false");
            Sql.run(pair.replicaConnectionFactory(), "INSERT INTO account VALUES (2)").block(Sql.TIMEOUT);
            assertThat(Sql.text(pair.replicaConnectionFactory(), "SELECT count(*) FROM account")).isEqualTo("2");
            assertThatThrownBy(pair::pauseReplay)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("not a standby any more");
        }
    }

    @Test
    void restartedPrimaryKeepsItsPortAndTheReplicaFollowsAgain() {
        try (PostgresPair pair = PostgresPair.startNew()) {
            int port = pair.primaryPort();

            pair.stopPrimary();
            pair.startPrimary();

            assertThat(pair.primaryPort()).isEqualTo(port);
            pair.execute("CREATE TABLE after_restart (id int); INSERT INTO after_restart VALUES (42)");
            pair.awaitReplicaCaughtUp();
            assertThat(Sql.text(pair.replicaConnectionFactory(), "SELECT id FROM after_restart")).isEqualTo("42");
            assertThat(Sql.text(pair.replicaConnectionFactory(), "SELECT pg_is_in_recovery()")).isEqualTo("true");
        }
    }

    @Test
    void closeStopsBothServersAndLaterCallsSayThePairIsClosed() {
        PostgresPair pair = PostgresPair.startNew();
        pair.close();
        pair.close(); // harmless

        StepVerifier.create(Sql.run(pair.primaryConnectionFactory(), "SELECT 1")).expectError().verify(Sql.TIMEOUT);
        StepVerifier.create(Sql.run(pair.replicaConnectionFactory(), "SELECT 1")).expectError().verify(Sql.TIMEOUT);
        assertThatThrownBy(pair::startPrimary)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void privatePairsDoNotDisturbTheSharedOne() {
        PostgresPair shared = PostgresPair.shared();
        try (PostgresPair pair = PostgresPair.startNew()) {
            assertThat(pair.primaryPort()).isNotIn(shared.primaryPort(), shared.replicaPort());
            pair.stopPrimary();
        }

        assertThat(Sql.text(shared.primaryConnectionFactory(), "SELECT pg_is_in_recovery()")).isEqualTo("false");
        assertThat(Sql.text(shared.replicaConnectionFactory(), "SELECT pg_is_in_recovery()")).isEqualTo("true");
    }
}
