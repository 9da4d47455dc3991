package io.github.contextr2dbc.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Opts a test (or every test of a class) of a {@link RollbackPerTest} class out of the rollback: its units of
 * work run on pooled connections and really commit, as in production, and the tables are emptied
 * ({@code TRUNCATE ... CASCADE} on the primary) when the test ends: the tables listed in {@link #tables()},
 * or, if none is listed, every table the test's statements inserted into, updated, deleted from, merged
 * into or copied into (as far as the statement text says: a table written only by a trigger or a function
 * must be listed). Sequences are not reset (a rolled-back test does not reset them either).
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
public @interface CommitAndCleanUp {

    /** The tables to empty after the test (schema-qualified if needed); empty: the tables the test wrote. */
    String[] tables() default {};
}
