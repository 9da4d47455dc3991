package io.github.contextr2dbc.launcher;

import io.r2dbc.spi.ConnectionFactories;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The external provider, pointed at the shared pair's URLs as if they came from the environment. */
class ExternalPostgresPairIT {

    private static PostgresPair shared;
    private static PostgresPair external;

    @BeforeAll
    static void pointAtTheSharedPair() {
        shared = PostgresPair.shared();
        external = new ExternalPostgresPair(shared.primaryUrl(), shared.replicaUrl());
    }

    @Test
    void describesTheServersBehindTheUrls() {
        assertThat(external.kind()).isEqualTo("external");
        assertThat(external.host()).isEqualTo(shared.host());
        assertThat(external.primaryPort()).isEqualTo(shared.primaryPort());
        assertThat(external.replicaPort()).isEqualTo(shared.replicaPort());
        assertThat(external.primaryUrl()).isEqualTo(shared.primaryUrl());
        assertThat(external.replicaUrl("other")).isEqualTo(shared.replicaUrl("other"));
    }

    @Test
    void replicationOperationsWork() {
        String database = external.createDatabase("external_it");
        Sql.run(ConnectionFactories.get(external.primaryUrl(database)),
                "CREATE TABLE t (id int); INSERT INTO t VALUES (5)").block(Sql.TIMEOUT);
        external.pauseReplay();
        external.resumeReplay();
        external.awaitReplicaCaughtUp();

        assertThat(Sql.text(ConnectionFactories.get(external.replicaUrl(database)), "SELECT id FROM t"))
                .isEqualTo("5");
    }

    @Test
    void refusesToStopStartOrPromoteServersItDoesNotOwn() {
        assertThatThrownBy(external::stopPrimary)
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("not possible on an externally provided pair; unset CONTEXT_R2DBC_PRIMARY_URL");
        assertThatThrownBy(external::startPrimary).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(external::promoteReplica).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void closeLeavesTheServersRunning() {
        external.close();

        assertThat(Sql.text(shared.primaryConnectionFactory(), "SELECT 1")).isEqualTo("1");
        assertThat(Sql.text(external.replicaConnectionFactory(), "SELECT pg_is_in_recovery()")).isEqualTo("true");
    }
}
