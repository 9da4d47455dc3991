package io.github.contextr2dbc.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs every test of the class in a transaction that is rolled back when the test ends, whoever opened the
 * units of work in it: the test code, the WebFilter of requests sent by a {@code WebTestClient} (bound to
 * the application context or to a server on a random port), background work in
 * {@code UnitOfWork.inNewUnitOfWork}, on-commit hooks.
 *
 * <p>Per test, each primary database gets one physical connection in a transaction ({@code BEGIN} before
 * the test, {@code ROLLBACK} after it), and every unit of work of the test runs on it: its {@code BEGIN}
 * becomes a {@code SAVEPOINT}, its commit a {@code RELEASE SAVEPOINT} (deferred constraints are checked
 * first), its rollback a {@code ROLLBACK TO SAVEPOINT}. So what a request commits is visible to the next
 * request and to the test, what it rolls back (a 4xx answer under commit-by-status, an error) is undone at
 * once, and nothing is left when the test ends. Atomic blocks keep their own savepoints inside. A
 * {@code durable} block is checked against its unit of work, not the test's transaction (as Django's
 * {@code TestCase} does), so it behaves as in production. Replicas of a pinned primary use the primary's
 * connection, so reads routed to a replica see the test's writes.
 *
 * <p>The units of work of a test take the connection in turn, each from its first statement until it
 * ends; parallel requests are run one unit of work after the other. One that waits more than
 * {@link #turnTimeoutMillis()} fails with {@link PinnedTurnTimeoutException} (which is what happens to a
 * unit of work started inside another that already holds the connection: they would wait for each other).
 * The isolation level of a unit of work is ignored (the test's transaction has the server's default).
 *
 * <p>Databases: with Spring (a test class run by the {@code SpringExtension}, e.g. {@code @SpringBootTest}),
 * every {@code Database} of the application context; without Spring, every {@code Database} field of the
 * test class (static or not; a replica field marked {@link ReplicaOf}). Tests that pin the same databases
 * must not run in parallel. Mark a test or class {@link CommitAndCleanUp} to really commit.
 */
@Target({ElementType.TYPE, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(RollbackPerTestExtension.class)
public @interface RollbackPerTest {

    /** The longest a unit of work waits for its turn on the test's connection. Default: 10 seconds. */
    long turnTimeoutMillis() default 10_000;

    /**
     * Whether a simulated commit first checks deferred constraints ({@code SET CONSTRAINTS ALL IMMEDIATE} in
     * a savepoint rolled back at once), so that a violation fails the commit as in production. Default: true.
     */
    boolean checkDeferredConstraints() default true;
}
