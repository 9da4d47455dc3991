package io.github.contextr2dbc.spring.slice;

import io.github.contextr2dbc.NoUnitOfWorkException;
import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.launcher.PostgresPair;
import io.github.contextr2dbc.spring.Databases;
import io.github.contextr2dbc.spring.TestSql;
import io.r2dbc.spi.ConnectionFactory;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.data.r2dbc.test.autoconfigure.DataR2dbcTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code @DataR2dbcTest} brings the toolkit's databases: repositories run in units of work as in the application. */
@DataR2dbcTest
class DataR2dbcSliceIT {

    private static final PostgresPair PAIR = PostgresPair.shared();

    private static final String DATABASE = PAIR.createDatabase("spring_slice_data");

    @DynamicPropertySource
    static void databases(DynamicPropertyRegistry registry) {
        new TestSql(PAIR.primaryUrl(DATABASE))
                .execute("CREATE TABLE IF NOT EXISTS note (id bigserial PRIMARY KEY, text text)");
        registry.add("context-r2dbc.databases.main.url", () -> PAIR.primaryUrl(DATABASE));
    }

    @Autowired
    Databases databases;

    @Autowired
    ConnectionFactory connectionFactory;

    @Autowired
    NoteRepository notes;

    @Test
    void theSliceRunsRepositoriesOnTheSessionAwareConnectionFactory() {
        assertThat(this.connectionFactory).isSameAs(this.databases.defaultDatabase().connectionFactory());
        long before = this.databases.defaultDatabase().acquisitions();
        StepVerifier.create(UnitOfWork.inNewUnitOfWork(this.notes.save(new SliceApplication.Note(null, "a"))
                        .then(this.notes.count())))
                .assertNext(count -> assertThat(count).isPositive())
                .verifyComplete();
        assertThat(this.databases.defaultDatabase().acquisitions() - before).as("one connection for the unit of work")
                .isEqualTo(1);
        assertThat(new TestSql(PAIR.primaryUrl(DATABASE)).queryLong("SELECT count(*) FROM note WHERE text = 'a'"))
                .isPositive();
    }

    @Test
    void aRepositoryOutsideAUnitOfWorkFailsAsInTheApplication() {
        // Spring Data wraps it in its own DataAccessResourceFailureException
        StepVerifier.create(this.notes.count())
                .verifyErrorSatisfies(error -> assertThat(error).hasRootCauseInstanceOf(NoUnitOfWorkException.class));
    }
}
