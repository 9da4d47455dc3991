package io.github.contextr2dbc.launcher;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EndpointTest {

    @Test
    void parsesAllPartsOfAnR2dbcUrl() {
        Endpoint endpoint = Endpoint.parse("r2dbc:postgresql://app:s3cret@db.example:6543/orders?sslMode=disable",
                "URL");

        assertThat(endpoint.host()).isEqualTo("db.example");
        assertThat(endpoint.port()).isEqualTo(6543);
        assertThat(endpoint.user()).isEqualTo("app");
        assertThat(endpoint.password()).isEqualTo("s3cret");
        assertThat(endpoint.database()).isEqualTo("orders");
        assertThat(endpoint.query()).isEqualTo("sslMode=disable");
    }

    @Test
    void defaultsPortUserAndDatabase() {
        Endpoint endpoint = Endpoint.parse("r2dbc:postgresql://db.example", "URL");

        assertThat(endpoint.port()).isEqualTo(5432);
        assertThat(endpoint.user()).isEqualTo("postgres");
        assertThat(endpoint.password()).isEmpty();
        assertThat(endpoint.database()).isEqualTo("postgres");
    }

    @Test
    void buildsUrlsForOtherDatabasesKeepingCredentialsAndOptions() {
        Endpoint endpoint = Endpoint.parse("r2dbc:postgresql://app:p%40ss@db.example:6543/orders?sslMode=disable",
                "URL");

        assertThat(endpoint.password()).isEqualTo("p@ss");
        assertThat(endpoint.url("audit"))
                .isEqualTo("r2dbc:postgresql://app:p%40ss@db.example:6543/audit?sslMode=disable");
        assertThat(Endpoint.parse(endpoint.url("audit"), "URL").password()).isEqualTo("p@ss");
    }

    @Test
    void leavesThePasswordOutWhenThereIsNone() {
        Endpoint endpoint = new Endpoint("127.0.0.1", 41234, "postgres", "", "postgres", "");

        assertThat(endpoint.url()).isEqualTo("r2dbc:postgresql://postgres@127.0.0.1:41234/postgres");
        assertThat(endpoint).hasToString("postgres@127.0.0.1:41234/postgres");
    }

    @Test
    void rejectsPooledUrlsWithoutShowingThePassword() {
        assertThatThrownBy(() -> Endpoint.parse("r2dbc:pool:postgresql://app:s3cret@db.example/orders",
                "CONTEXT_R2DBC_PRIMARY_URL"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONTEXT_R2DBC_PRIMARY_URL must be a plain r2dbc:postgresql:// URL")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void rejectsTextThatIsNoUrl() {
        assertThatThrownBy(() -> Endpoint.parse("localhost:5432", "CONTEXT_R2DBC_REPLICA_URL"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONTEXT_R2DBC_REPLICA_URL");
    }
}
