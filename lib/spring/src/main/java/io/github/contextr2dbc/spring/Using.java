package io.github.contextr2dbc.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the database of a {@code DbSession} or {@code Database} handler method argument; without it the
 * {@linkplain Databases#defaultDatabase() default database} is used.
 *
 * <pre>{@code
 * @GetMapping("/report")
 * Flux<Row> report(@Using("replica") DbSession replica) { ... }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface Using {

    /** The database's name, as configured under {@code context-r2dbc.databases.<name>}. */
    String value();
}
