package io.github.contextr2dbc.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a {@code Database} field of a {@link RollbackPerTest} test class (without Spring) as a replica of the
 * database named {@link #value()}: during a test it uses that primary's connection, so that its reads see
 * the test's writes. (With Spring, {@code context-r2dbc.databases.<name>.replica-of} says the same.)
 */
@Target(ElementType.FIELD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface ReplicaOf {

    /** The name of the primary {@code Database} (its {@code name()}). */
    String value();
}
