package io.github.contextr2dbc.spring.webapp;

import io.github.contextr2dbc.Atomic;
import io.github.contextr2dbc.NoUnitOfWorkException;
import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.spring.TestSql;
import io.github.contextr2dbc.spring.UnitOfWorkTransactionManager;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.IllegalTransactionStateException;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.transaction.support.DefaultTransactionDefinition;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Spring's own {@code @Transactional} and {@code TransactionalOperator} inside requests and units of work:
 * REQUIRED joins the request's unit of work (the status decides), REQUIRES_NEW commits on its own, a failed
 * joined method never lets half the work commit, isolation and read-only are applied or refused, and
 * outside any unit of work {@code @Transactional} works as plain Spring.
 */
class SpringTransactionsIT extends AbstractWebIT {

    @Autowired
    TransactionalItems items;

    @Autowired
    ReactiveTransactionManager transactionManager;

    @Test
    void theTransactionManagerIsTheUnitOfWorkOne() {
        assertThat(this.transactionManager).isInstanceOf(UnitOfWorkTransactionManager.class);
        assertThat(((UnitOfWorkTransactionManager) this.transactionManager).database()).isSameAs(main());
    }

    @Test
    void aTransactionalWriteFollowedByA400IsRolledBack() {
        String name = unique("tx-400");
        this.client.post().uri("/tx/insert?name={n}&status=400", name).exchange().expectStatus().isBadRequest();
        assertThat(items(name)).as("the @Transactional method did not commit the request's session").isZero();
        String kept = unique("tx-201");
        this.client.post().uri("/tx/insert?name={n}&status=201", kept).exchange().expectStatus().isCreated();
        assertThat(items(kept)).isEqualTo(1);
    }

    @Test
    void aFailedJoinedMethodThatTheHandlerRecoversFromCommitsNothingAndIsNo2xx() {
        String name = unique("tx-recovered");
        this.client.post().uri("/tx/recovered?name={n}", name).exchange().expectStatus().is5xxServerError();
        assertThat(items(name + "-a")).as("written before the method, by the request").isZero();
        assertThat(items(name + "-x")).as("written by the failed method").isZero();
        assertThat(items(name + "-b")).as("written after it").isZero();
    }

    @Test
    void requiresNewCommitsOnItsOwnAndTheRequestStillDecidesTheRest() {
        String name = unique("tx-new");
        this.client.post().uri("/tx/new?name={n}&status=409", name).exchange().expectStatus().isEqualTo(409);
        assertThat(items(name + "-new")).as("its own unit of work committed").isEqualTo(1);
        assertThat(items(name + "-outer")).as("the request's write rolled back").isZero();
    }

    @Test
    void isolationAndReadOnlyAreAppliedWhenTheTransactionBegins() {
        this.client.post().uri("/tx/serializable").exchange().expectStatus().isOk()
                .expectBody(String.class).isEqualTo("serializable");
        this.client.post().uri("/tx/read-only").exchange().expectStatus().isOk()
                .expectBody(String.class).isEqualTo("on");
        String name = unique("tx-read-only");
        this.client.post().uri("/tx/read-only-write?name={n}", name).exchange().expectStatus().is5xxServerError();
        assertThat(items(name)).isZero();
    }

    @Test
    void aSerializableMethodJoiningAReadCommittedTransactionIsRefusedNotWeakened() {
        String name = unique("tx-conflict");
        this.client.post().uri("/tx/serializable-after-write?name={n}", name).exchange()
                .expectStatus().is5xxServerError();
        assertThat(items(name)).isZero();
        // the same, without HTTP: the error names the conflict
        StepVerifier.create(UnitOfWork.inNewUnitOfWork(this.items.insertPlain(unique("tx-conflict-direct"))
                        .then(this.items.serializableIsolation())))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(IllegalTransactionStateException.class)
                        .hasMessageContaining("serializableIsolation"))
                .verify(TestSql.TIMEOUT);
    }

    @Test
    void atomicBlockAndTransactionalOnOneMethodCompose() {
        String name = unique("tx-atomic");
        this.client.post().uri("/tx/atomic-and-transactional?name={n}&status=200", name).exchange()
                .expectStatus().isOk();
        assertThat(items(name)).isEqualTo(1);
        String blockCommitted = unique("tx-atomic-400");
        this.client.post().uri("/tx/atomic-and-transactional?name={n}&status=400", blockCommitted).exchange()
                .expectStatus().isBadRequest();
        assertThat(items(blockCommitted)).as("the atomic block committed at its end, as @AtomicBlock does")
                .isEqualTo(1);
    }

    @Test
    void theTransactionalOperatorBeanJoinsTheRequest() {
        String name = unique("tx-operator");
        this.client.post().uri("/tx/operator?name={n}&status=400", name).exchange().expectStatus().isBadRequest();
        assertThat(items(name)).isZero();
        String kept = unique("tx-operator-ok");
        this.client.post().uri("/tx/operator?name={n}&status=200", kept).exchange().expectStatus().isOk();
        assertThat(items(kept)).isEqualTo(1);
        String marked = unique("tx-operator-rollback-only");
        this.client.post().uri("/tx/operator-rollback-only?name={n}", marked).exchange()
                .expectStatus().is5xxServerError();
        assertThat(items(marked)).isZero();
    }

    // ---- outside any unit of work: plain Spring ----

    @Test
    void outsideAUnitOfWorkTransactionalIsANewTransaction() {
        String committed = unique("tx-job");
        StepVerifier.create(this.items.insert(committed)).expectComplete().verify(TestSql.TIMEOUT);
        assertThat(items(committed)).isEqualTo(1);

        String streamed = unique("tx-job-flux");
        StepVerifier.create(this.items.insertAndEcho(streamed)).expectNext(streamed, streamed).expectComplete()
                .verify(TestSql.TIMEOUT);
        assertThat(items(streamed)).isEqualTo(1);

        String rolledBack = unique("tx-job-fails");
        StepVerifier.create(this.items.insertThenFail(rolledBack)).expectError(IllegalStateException.class)
                .verify(TestSql.TIMEOUT);
        assertThat(items(rolledBack)).isZero();

        String checked = unique("tx-job-checked");
        StepVerifier.create(this.items.insertThenFailChecked(checked))
                .expectError(TransactionalItems.CheckedFailure.class).verify(TestSql.TIMEOUT);
        assertThat(items(checked)).as("Spring's rules commit for a checked exception").isEqualTo(1);
    }

    @Test
    void mandatoryNeverAndNotSupportedBehaveAsSpringDocuments() {
        StepVerifier.create(this.items.insertMandatory(unique("tx-mandatory")))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(IllegalTransactionStateException.class)
                        .hasMessageContaining("MANDATORY"))
                .verify(TestSql.TIMEOUT);
        String mandatory = unique("tx-mandatory-in");
        StepVerifier.create(UnitOfWork.inNewUnitOfWork(this.items.insertMandatory(mandatory)))
                .expectComplete().verify(TestSql.TIMEOUT);
        assertThat(items(mandatory)).isEqualTo(1);

        StepVerifier.create(this.items.never()).expectComplete().verify(TestSql.TIMEOUT);
        StepVerifier.create(UnitOfWork.inNewUnitOfWork(this.items.never()))
                .expectError(IllegalTransactionStateException.class).verify(TestSql.TIMEOUT);

        StepVerifier.create(UnitOfWork.inNewUnitOfWork(this.items.insertNotSupported(unique("tx-not-supported"))))
                .expectError(NoUnitOfWorkException.class)
                .verify(TestSql.TIMEOUT);
    }

    @Test
    void nestedIsASavepointInsideAnAtomicBlock() {
        String name = unique("tx-nested");
        Mono<Void> work = this.items.insertPlain(name + "-before")
                .then(this.items.insertThenFailNested(name + "-nested")
                        .onErrorResume(IllegalStateException.class, e -> Mono.empty()))
                .then(this.items.insertPlain(name + "-after"))
                .transform(Atomic.atomic(main())::wrap);
        StepVerifier.create(UnitOfWork.inNewUnitOfWork(work)).expectComplete().verify(TestSql.TIMEOUT);
        assertThat(items(name + "-before")).isEqualTo(1);
        assertThat(items(name + "-nested")).as("rolled back to its savepoint").isZero();
        assertThat(items(name + "-after")).isEqualTo(1);
    }

    @Test
    void springsOwnOperatorOnTheManagerJoinsOrSaysWhatToUse() {
        String joined = unique("tx-spring-operator");
        TransactionalOperator required = TransactionalOperator.create(this.transactionManager);
        StepVerifier.create(UnitOfWork.inNewUnitOfWork(required.transactional(this.items.insertPlain(joined))))
                .expectComplete().verify(TestSql.TIMEOUT);
        assertThat(items(joined)).isEqualTo(1);

        DefaultTransactionDefinition serializable = new DefaultTransactionDefinition();
        serializable.setIsolationLevel(TransactionDefinition.ISOLATION_SERIALIZABLE);
        TransactionalOperator joinsSerializable = TransactionalOperator.create(this.transactionManager, serializable);
        StepVerifier.create(UnitOfWork.inNewUnitOfWork(joinsSerializable.transactional(
                        this.items.insertPlain(unique("tx-spring-serializable"))
                                .then(UnitOfWork.dbSession(main()))
                                .flatMap(s -> s.sql("SHOW transaction_isolation")
                                        .one(row -> row.get(0, String.class))))))
                .expectNext("serializable").expectComplete().verify(TestSql.TIMEOUT);

        DefaultTransactionDefinition requiresNew = new DefaultTransactionDefinition(
                TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        TransactionalOperator newOne = TransactionalOperator.create(this.transactionManager, requiresNew);
        StepVerifier.create(UnitOfWork.inNewUnitOfWork(
                        newOne.transactional(this.items.insertPlain(unique("tx-spring-new")))))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(IllegalTransactionStateException.class)
                        .hasMessageContaining("REQUIRES_NEW").hasMessageContaining("TransactionalOperator bean"))
                .verify(TestSql.TIMEOUT);
    }
}
