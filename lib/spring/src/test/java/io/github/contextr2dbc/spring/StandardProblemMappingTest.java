package io.github.contextr2dbc.spring;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.PrimaryResolver;
import io.github.contextr2dbc.PrimaryUnavailableException;
import io.github.contextr2dbc.ReplicaWriteRefusedException;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.R2dbcDataIntegrityViolationException;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTimeoutException;
import io.r2dbc.spi.R2dbcTransientResourceException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.ProblemDetail;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;

class StandardProblemMappingTest {

    private final ProblemMapping mapping = ProblemMapping.standard();

    private static R2dbcException withState(String sqlState) {
        return new R2dbcDataIntegrityViolationException("duplicate key value violates unique constraint \"secret\" "
                + "Detail: Key (email)=(a@b.c) already exists. INSERT INTO users ...", sqlState);
    }

    @Test
    void mapsIntegrityViolationsToConflicts() {
        assertThat(this.mapping.toProblem(withState("23505")).getStatus()).isEqualTo(409);
        assertThat(this.mapping.toProblem(withState("23503")).getStatus()).isEqualTo(409);
    }

    @Test
    void seesThroughWrappers() {
        ProblemDetail problem = this.mapping.toProblem(
                new DataIntegrityViolationException("wrapped by Spring", withState("23505")));
        assertThat(problem).isNotNull();
        assertThat(problem.getType().toString()).isEqualTo("urn:context-r2dbc:problem:unique-violation");
    }

    @Test
    void marksConcurrencyFailuresRetryable() {
        ProblemDetail serialization = this.mapping.toProblem(new R2dbcTransientResourceException("could not serialize",
                "40001"));
        assertThat(serialization.getStatus()).isEqualTo(409);
        assertThat(serialization.getProperties()).containsEntry("retryable", true);
        assertThat(this.mapping.toProblem(new R2dbcTransientResourceException("deadlock", "40P01"))
                .getStatus()).isEqualTo(409);
    }

    @Test
    void mapsReadOnlyAndPoolTimeoutsToServiceUnavailable() {
        assertThat(this.mapping.toProblem(new R2dbcTransientResourceException("read-only", "25006"))
                .getStatus()).isEqualTo(503);
        R2dbcTimeoutException acquire = new R2dbcTimeoutException("Connection acquisition timed out after 300ms",
                new TimeoutException());
        assertThat(this.mapping.toProblem(acquire).getStatus()).isEqualTo(503);
    }

    @Test
    void mapsALostOrRefusedConnectionToDatabaseUnavailable() {
        // r2dbc-pool's answer when a pooled connection's server has stopped (the failover drill's gap)
        ProblemDetail validation = this.mapping.toProblem(
                new R2dbcNonTransientResourceException("Connection validation failed"));
        assertThat(validation.getStatus()).isEqualTo(503);
        assertThat(validation.getType().toString()).isEqualTo("urn:context-r2dbc:problem:database-unavailable");
        assertThat(validation.getProperties()).containsEntry("retryable", true);
        assertThat(this.mapping.toProblem(new R2dbcNonTransientResourceException("closed", "08006")).getStatus())
                .isEqualTo(503);
        assertThat(this.mapping.toProblem(new R2dbcNonTransientResourceException("shutdown", "57P01")).getStatus())
                .isEqualTo(503);
        // a resource exception carrying another SQLSTATE is not a lost connection
        assertThat(this.mapping.toProblem(new R2dbcNonTransientResourceException("disk full", "53100"))).isNull();
    }

    @Test
    void leavesEverythingElseAlone() {
        assertThat(this.mapping.toProblem(new IllegalStateException("no"))).isNull();
        assertThat(this.mapping.toProblem(withState("22012"))).isNull();
        // a statement timeout is not a busy pool
        assertThat(this.mapping.toProblem(new R2dbcTimeoutException("canceling statement", "57014"))).isNull();
    }

    @Test
    void neverCopiesTheServerMessage() {
        ProblemDetail problem = this.mapping.toProblem(withState("23505"));
        assertThat(problem.getDetail()).doesNotContain("secret").doesNotContain("a@b.c").doesNotContain("INSERT");
        assertThat(problem.getTitle()).doesNotContain("secret");
    }

    @Test
    void stopsOnCyclicCauses() {
        IllegalStateException first = new IllegalStateException("first");
        IllegalStateException second = new IllegalStateException("second", first);
        first.initCause(second);
        assertThat(this.mapping.toProblem(first)).isNull();
    }

    @Test
    void noPrimaryReachableIsARetryable503() {
        PrimaryResolver resolver = PrimaryResolver.of(List.of("127.0.0.1:1"),
                host -> ConnectionFactories.get("r2dbc:postgresql://app@" + host + "/shop"), Duration.ofSeconds(5));
        Throwable error = resolver.resolve().then(Mono.<Throwable>empty()).onErrorResume(Mono::just)
                .block(Duration.ofSeconds(10));
        assertThat(error).isInstanceOf(PrimaryUnavailableException.class);
        ProblemDetail problem = this.mapping.toProblem(error);
        assertThat(problem.getStatus()).isEqualTo(503);
        assertThat(problem.getType().toString()).isEqualTo("urn:context-r2dbc:problem:database-unavailable");
        assertThat(problem.getProperties()).containsEntry("retryable", true);
    }

    @Test
    void aWriteRefusedOnAReplicaIsTheReadOnlyProblem() {
        Database main = Database.builder("main").url("r2dbc:postgresql://app@127.0.0.1:1/shop").build();
        Database replica = Database.builder("replica").url("r2dbc:postgresql://app@127.0.0.1:1/shop").replicaOf(main)
                .build();
        try {
            Throwable error = replica.inSession(session -> session.sql("DELETE FROM item").execute())
                    .then(Mono.<Throwable>empty()).onErrorResume(Mono::just).block(Duration.ofSeconds(10));
            assertThat(error).isInstanceOf(ReplicaWriteRefusedException.class);
            assertThat(replica.acquisitions()).isZero();
            ProblemDetail problem = this.mapping.toProblem(error);
            assertThat(problem.getStatus()).isEqualTo(503);
            assertThat(problem.getType().toString()).isEqualTo("urn:context-r2dbc:problem:read-only");
        } finally {
            replica.close().block();
            main.close().block();
        }
    }
}
