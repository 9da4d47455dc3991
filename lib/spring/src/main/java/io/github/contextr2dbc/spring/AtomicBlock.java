package io.github.contextr2dbc.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import io.github.contextr2dbc.Atomic;
import io.r2dbc.spi.IsolationLevel;
import org.jspecify.annotations.Nullable;

/**
 * Makes what a Spring bean method returns an atomic block: the {@code Mono} or {@code Flux} is wrapped
 * with {@link Atomic#atomic(io.github.contextr2dbc.Database) Atomic.atomic(db)} configured from the
 * attributes, with the same semantics: the outermost block on a database is a transaction, a nested one
 * (an annotated method called from inside another block, annotated or not) is a savepoint; complete
 * commits (outermost) or releases the savepoint, error and cancel roll back (to the savepoint). Named
 * {@code AtomicBlock} so that it does not clash with the operator class {@link Atomic}.
 *
 * <pre>{@code
 * @Service
 * class Orders {
 *     @AtomicBlock
 *     public Mono<Order> place(Cart cart) { ... }                  // a transaction, or a savepoint when nested
 *
 *     @AtomicBlock(using = "audit", durable = true)
 *     public Flux<Entry> archive(LocalDate day) { ... }            // rows stream inside the block
 * }
 * }</pre>
 *
 * <p><b>Where it applies.</b> On a method returning {@code Mono} or {@code Flux} of a bean called
 * through its Spring proxy (a call from the bean to itself bypasses the proxy, as with
 * {@code @Transactional}). On a class, it applies to each of its public methods returning {@code Mono}
 * or {@code Flux}; an annotation on the method wins. The method itself runs when the returned publisher
 * is subscribed, inside the block (so an exception it throws rolls the block back), once per
 * subscription. The Spring Boot auto-configuration registers the {@link AtomicBlockAdvisor}.
 *
 * <p><b>Misuse fails fast.</b> On a method returning anything else, or a private or static method, the
 * bean's creation fails with an {@link IllegalStateException} naming the method. A {@link #using()}
 * naming no configured database fails the startup (or, for a lazily created bean, the call).
 *
 * <p><b>The block and the request.</b> Blocks run in the Reactor Context's unit of work (in a WebFlux
 * application, the request's); without one the publisher fails with
 * {@link io.github.contextr2dbc.NoUnitOfWorkException}. The outermost block commits when it completes,
 * whatever the request does afterwards: a block that completed stays committed even if the response is
 * then a 4xx or 5xx. With {@link Atomic.Existing#JOIN} (the default), statements the request ran on the
 * same database before the block are in its transaction and commit with it.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface AtomicBlock {

    /**
     * The database's name, as configured under {@code context-r2dbc.databases.<name>}; empty (the default)
     * for the {@linkplain Databases#defaultDatabase() default database}.
     */
    String using() default "";

    /** See {@link Atomic#savepoint(boolean)}; default {@code true}. */
    boolean savepoint() default true;

    /** See {@link Atomic#durable(boolean)}; default {@code false}. */
    boolean durable() default false;

    /** See {@link Atomic#existing(Atomic.Existing)}; default {@link Atomic.Existing#JOIN}. */
    Atomic.Existing existing() default Atomic.Existing.JOIN;

    /**
     * The isolation level of the transaction the outermost block begins (see
     * {@link Atomic#isolationLevel(IsolationLevel)}); {@link Isolation#DEFAULT} (the default) leaves the
     * session's.
     */
    Isolation isolation() default Isolation.DEFAULT;

    /**
     * {@code true} to begin a read-only transaction (see {@link Atomic#readOnly(boolean)}); {@code false}
     * (the default) leaves the session's setting.
     */
    boolean readOnly() default false;

    /** The isolation levels of {@link IsolationLevel}, for {@link #isolation()}. */
    enum Isolation {

        /** The session's isolation level (not set by the block). */
        DEFAULT(null),

        /** {@link IsolationLevel#READ_UNCOMMITTED} (PostgreSQL runs it as read committed). */
        READ_UNCOMMITTED(IsolationLevel.READ_UNCOMMITTED),

        /** {@link IsolationLevel#READ_COMMITTED}. */
        READ_COMMITTED(IsolationLevel.READ_COMMITTED),

        /** {@link IsolationLevel#REPEATABLE_READ}. */
        REPEATABLE_READ(IsolationLevel.REPEATABLE_READ),

        /** {@link IsolationLevel#SERIALIZABLE}. */
        SERIALIZABLE(IsolationLevel.SERIALIZABLE);

        @Nullable
        private final IsolationLevel level;

        Isolation(@Nullable IsolationLevel level) {
            this.level = level;
        }

        /** The R2DBC isolation level, or {@code null} for {@link #DEFAULT}. */
        @Nullable
        public IsolationLevel level() {
            return this.level;
        }
    }
}
