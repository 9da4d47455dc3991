package io.github.contextr2dbc.spring.boot;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.spring.Databases;
import io.github.contextr2dbc.spring.boot.ContextR2dbcProperties.DatabaseProperties;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class DatabasesFromPropertiesTest {

    private static DatabaseProperties database(boolean isDefault, String replicaOf) {
        DatabaseProperties properties = new DatabaseProperties();
        properties.setUrl("r2dbc:postgresql://app@localhost:5432/shop");
        properties.setDefault(isDefault);
        properties.setReplicaOf(replicaOf);
        return properties;
    }

    private static Map<String, DatabaseProperties> declared(Object... nameAndProperties) {
        Map<String, DatabaseProperties> declared = new LinkedHashMap<>();
        for (int i = 0; i < nameAndProperties.length; i += 2) {
            declared.put((String) nameAndProperties[i], (DatabaseProperties) nameAndProperties[i + 1]);
        }
        return declared;
    }

    @Test
    void theDefaultIsTheOneMarked() {
        assertThat(DatabasesFromProperties.defaultName(declared("a", database(false, null), "b", database(true, null))))
                .isEqualTo("b");
    }

    @Test
    void aSingleDatabaseIsTheDefault() {
        assertThat(DatabasesFromProperties.defaultName(declared("only", database(false, null)))).isEqualTo("only");
    }

    @Test
    void theOnlyDatabaseThatIsNoReplicaIsTheDefault() {
        assertThat(DatabasesFromProperties.defaultName(declared("replica", database(false, "main"), "main",
                database(false, null)))).isEqualTo("main");
    }

    @Test
    void failsWithTheRemedyWhenTheDefaultIsUnclear() {
        assertThatIllegalStateException()
                .isThrownBy(() -> DatabasesFromProperties.defaultName(declared("a", database(false, null), "b",
                        database(false, null))))
                .withMessageContaining("context-r2dbc.databases.<name>.default=true");
        assertThatIllegalStateException()
                .isThrownBy(() -> DatabasesFromProperties.defaultName(declared("a", database(true, null), "b",
                        database(true, null))))
                .withMessageContaining("Several databases are marked default");
    }

    @Test
    void failsOnAMissingUrlOrAnUnknownPrimary() {
        DatabaseProperties noUrl = database(false, null);
        noUrl.setUrl(" ");
        assertThatIllegalStateException()
                .isThrownBy(() -> DatabasesFromProperties.defaultName(declared("main", noUrl)))
                .withMessageContaining("context-r2dbc.databases.main.url is not set");
        assertThatIllegalStateException()
                .isThrownBy(() -> DatabasesFromProperties.defaultName(declared("main", database(false, null), "replica",
                        database(false, "mian"))))
                .withMessageContaining("context-r2dbc.databases.replica.replica-of is 'mian'");
    }

    @Test
    void aReplicaDeclaredBeforeItsPrimaryIsBuiltAsItsReplicaAndFailoverHostsPickTheFirstHost() {
        DatabaseProperties main = database(true, null);
        main.setFailoverHosts(List.of("db1:5432", "db2:5433"));
        Databases databases = DatabasesFromProperties.build(declared("replica", database(false, "main"), "main", main),
                "main", null);
        try {
            assertThat(databases.get("replica").replicaOf()).isSameAs(databases.get("main"));
            assertThat(databases.get("replica").sessionOptions().readOnly()).isTrue();
            assertThat(databases.get("main").host()).isEqualTo("db1:5432");
            assertThat(databases.all()).extracting(Database::name).containsExactly("replica", "main");
        } finally {
            databases.all().forEach(db -> db.close().block());
        }
    }

    @Test
    void anAcquireTimeoutOfZeroSwitchesItOffInsteadOfFailingTheStart() {
        DatabaseProperties main = database(true, null);
        main.getPool().setAcquireTimeout(Duration.ZERO);
        Databases databases = DatabasesFromProperties.build(declared("main", main), "main", null);
        try {
            assertThat(databases.get("main").name()).isEqualTo("main");
        } finally {
            databases.all().forEach(db -> db.close().block());
        }
    }
}
