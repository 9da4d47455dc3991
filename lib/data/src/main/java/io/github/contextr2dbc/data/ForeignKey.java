package io.github.contextr2dbc.data;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares that a mapped property holds the id of another entity: a relation that query sets can follow
 * ({@code author__name__icontains}, {@code orderBy("author__name")}) with a join on the other entity's
 * {@code @Id} column, and that {@link QuerySet#selectRelated(String...)} can load eagerly.
 *
 * <pre>{@code
 * @Table("book")
 * class Book {
 *     @Id Long id;
 *     String title;
 *     @ForeignKey(to = Author.class, name = "author") Long authorId;   // column author_id
 *     @Transient Author author;                                        // optional: filled by selectRelated("author")
 * }
 * }</pre>
 *
 * <p>The relation's name is {@link #name()}, or the property's name without a trailing {@code Id}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface ForeignKey {

    /** The referenced entity (its table and {@code @Id} column are taken from its mapping). */
    Class<?> to();

    /** The relation's name in lookups; empty: the property's name without a trailing {@code Id}. */
    String name() default "";
}
