package io.github.contextr2dbc;

import java.util.NoSuchElementException;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.Parameters;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.ValidationDepth;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The session-aware ConnectionFactory's statements check every call when it is made, as the R2DBC SPI
 * says (and the SPI's TestKit checks), although nothing connects until they execute. No database is
 * needed: nothing here connects.
 */
class SessionStatementTest {

    private final Database db = Database.builder("main").url("r2dbc:postgresql://app@localhost:1/none").build();

    private final Connection connection = new SessionConnection((ContextSession) this.db.newSession());

    @AfterEach
    void close() {
        this.db.close().block(TestDatabase.TIMEOUT);
    }

    @Test
    void createStatementWithoutSqlThrowsAtTheCall() {
        assertThatThrownBy(() -> this.connection.createStatement(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> this.connection.createBatch().add(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void bindChecksTheValueTheIndexAndTheNameAtTheCall() {
        Statement statement = this.connection.createStatement("INSERT INTO item VALUES ($1)");
        assertThatThrownBy(() -> statement.bind(0, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bindNull");
        assertThatThrownBy(() -> statement.bind(99, "")).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("1 parameter");
        assertThatThrownBy(() -> statement.bind(-1, "")).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> statement.bind("$1", null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> statement.bind("$1", Integer.class)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bindNull(\"$1\", Integer.class)");
        assertThatThrownBy(() -> statement.bind("unknown", "")).isInstanceOf(NoSuchElementException.class)
                .hasMessageContaining("$1");
        assertThatThrownBy(() -> statement.bind("$2", "")).isInstanceOf(NoSuchElementException.class);
        assertThatThrownBy(() -> statement.bind((String) null, "")).isInstanceOf(IllegalArgumentException.class);
        // good calls still pass
        assertThat(statement.bind("$1", 1).bind(0, Parameters.in(Integer.class))).isSameAs(statement);
    }

    @Test
    void bindNullChecksTheNameAndTheTypeAtTheCall() {
        Statement statement = this.connection.createStatement("INSERT INTO item VALUES ($1)");
        assertThatThrownBy(() -> statement.bindNull(null, String.class)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> statement.bindNull("$1", null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> statement.bindNull(0, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> statement.bindNull(1, String.class)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(statement.bindNull(0, String.class)).isSameAs(statement);
    }

    @Test
    void addAndExecuteWithAnIncompleteBindingThrowAtTheCall() {
        Statement batch = this.connection.createStatement("INSERT INTO item VALUES ($1, $2)");
        batch.bind(0, 1);
        assertThatThrownBy(batch::add).isInstanceOf(IllegalStateException.class).hasMessageContaining("$2");

        Statement single = this.connection.createStatement("INSERT INTO item VALUES ($1, $2)");
        single.bind("$2", 1);
        assertThatThrownBy(single::execute).isInstanceOf(IllegalStateException.class).hasMessageContaining("$1");

        Statement unbound = this.connection.createStatement("INSERT INTO item VALUES ($1)");
        assertThatThrownBy(unbound::execute).isInstanceOf(IllegalStateException.class).hasMessageContaining("$1");

        Statement trailingAdd = this.connection.createStatement("INSERT INTO item VALUES ($1)");
        trailingAdd.bind(0, 1).add();
        assertThatThrownBy(trailingAdd::execute).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("add()");
    }

    @Test
    void aCompleteBindingExecutesLazily() {
        // execute() checks and returns a cold publisher: nothing connects until it is subscribed
        Statement statement = this.connection.createStatement("INSERT INTO item VALUES ($1, $2)");
        statement.bind(0, 1).bind("$2", 2).add().bind(0, 3).bindNull(1, Integer.class);
        assertThat(statement.execute()).isNotNull();
        assertThat(this.db.acquisitions()).isZero();
        assertThat(this.connection.createStatement("SELECT 1").execute()).isNotNull();
    }

    @Test
    void returnGeneratedValuesAndFetchSizeCheckTheirArgumentsAtTheCall() {
        Statement statement = this.connection.createStatement("INSERT INTO item VALUES (1)");
        assertThatThrownBy(() -> statement.returnGeneratedValues((String[]) null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> statement.returnGeneratedValues("id", null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> statement.fetchSize(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(statement.returnGeneratedValues("id").fetchSize(10)).isSameAs(statement);
    }

    @Test
    void withAnotherDriverOnlyTheArgumentsAreCheckedAndBindingsPassOnAsMade() {
        ConnectionFactory other = new ConnectionFactory() {
            @Override
            public Publisher<? extends Connection> create() {
                return Mono.error(new IllegalStateException("not connected in this test"));
            }

            @Override
            public ConnectionFactoryMetadata getMetadata() {
                return () -> "SomeOtherDatabase";
            }
        };
        Database otherDb = Database.builder("other").connectionFactory(other).build();
        try {
            Statement statement = new SessionConnection((ContextSession) otherDb.newSession())
                    .createStatement("INSERT INTO item VALUES (?)");
            // placeholders are the driver's business: any index or name is passed on
            assertThat(statement.bind(5, 1).bind("anything", 2).bindNull(0, Integer.class).add()).isSameAs(statement);
            assertThatThrownBy(() -> statement.bind(0, null)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> statement.bindNull("x", null)).isInstanceOf(IllegalArgumentException.class);
            assertThat(statement.execute()).isNotNull();
        } finally {
            otherDb.close().block(TestDatabase.TIMEOUT);
        }
    }

    @Test
    void aClosedViewNoLongerValidates() {
        assertThat(Mono.from(this.connection.validate(ValidationDepth.LOCAL)).block()).isTrue();
        Mono.from(this.connection.close()).block();
        assertThat(Mono.from(this.connection.validate(ValidationDepth.LOCAL)).block()).isFalse();
        assertThat(Mono.from(this.connection.validate(ValidationDepth.REMOTE)).block()).isFalse();
    }

    @Test
    void placeholdersInLiteralsIdentifiersAndCommentsAreNotParameters() {
        assertThat(PostgresParameters.count("SELECT 1")).isZero();
        assertThat(PostgresParameters.count("SELECT $1, $2 + $1")).isEqualTo(2);
        assertThat(PostgresParameters.count("SELECT $3")).isEqualTo(3);
        assertThat(PostgresParameters.count(
                "SELECT '$1', \"$2\", a$3 FROM t -- $4\n WHERE x = $1 /* $5 /* $6 */ $7 */"))
                .isEqualTo(1);
        assertThat(PostgresParameters.count("SELECT 'it''s $2', E'\\' $3', $1")).isEqualTo(1);
        assertThat(PostgresParameters.count("SELECT $$ $2 $$, $tag$ $3 $$ $tag$, $1")).isEqualTo(1);
        assertThat(PostgresParameters.count("SELECT $")).isZero();
    }
}
