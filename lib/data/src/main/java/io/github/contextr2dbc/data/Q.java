package io.github.contextr2dbc.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * An immutable filter condition, combined with {@link #and(Q)}, {@link #or(Q)} and {@link #not()}, as
 * Django's {@code Q} objects: {@code Q.of("name__icontains", "ann").or(Q.of("age__gte", 18)).not()}.
 *
 * <p>A lookup path names a field, optionally through relations, and ends with a {@link Lookup} (default
 * {@code exact}): {@code "age"}, {@code "age__gte"}, {@code "author__name__icontains"},
 * {@code "created__year__lt"}. Paths are checked against the entity's mapping when the query set that
 * uses the condition is built into SQL; an unknown field or lookup fails with a
 * {@link FieldLookupException} listing the valid ones. Values are always bound as parameters; an
 * {@link F} value compares with another column.
 */
public final class Q {

    enum Kind { LEAF, AND, OR, NOT }

    final Kind kind;

    /** For a leaf: the path segments (field path, then lookups). */
    final @Nullable String path;

    /** For a leaf given in the typed form: the lookup, not part of {@link #path}. */
    final @Nullable Lookup lookup;

    final @Nullable Object value;

    final List<Q> children;

    private Q(Kind kind, @Nullable String path, @Nullable Lookup lookup, @Nullable Object value, List<Q> children) {
        this.kind = kind;
        this.path = path;
        this.lookup = lookup;
        this.value = value;
        this.children = children;
    }

    /**
     * A condition from a lookup path and its value.
     *
     * @throws IllegalArgumentException if {@code lookupPath} is null or blank
     */
    public static Q of(String lookupPath, @Nullable Object value) {
        if (lookupPath == null || lookupPath.isBlank()) {
            throw new IllegalArgumentException("A lookup path such as \"name__icontains\" is needed");
        }
        return new Q(Kind.LEAF, lookupPath, null, value, List.of());
    }

    /**
     * A condition in the typed form: {@code Q.of(Book::getPages, Lookup.GT, 100)}.
     *
     * @throws IllegalArgumentException if {@code property} is not a method reference or {@code lookup} is null
     */
    public static <T, V> Q of(Property<T, V> property, Lookup lookup, @Nullable Object value) {
        if (property == null || lookup == null) {
            throw new IllegalArgumentException("Q.of(property, lookup, value) needs a property and a lookup");
        }
        return new Q(Kind.LEAF, property.propertyName(), lookup, value, List.of());
    }

    /** A condition {@code property = value} in the typed form ({@code null}: {@code IS NULL}). */
    public static <T, V> Q of(Property<T, V> property, @Nullable V value) {
        return of(property, Lookup.EXACT, value);
    }

    /** Both this and {@code other}. */
    public Q and(Q other) {
        return combine(Kind.AND, other);
    }

    /** This or {@code other}. */
    public Q or(Q other) {
        return combine(Kind.OR, other);
    }

    /** The negation of this condition ({@code NOT (...)}). */
    public Q not() {
        return new Q(Kind.NOT, null, null, null, List.of(this));
    }

    /** All of {@code conditions} (an empty array matches every row). */
    public static Q allOf(Q... conditions) {
        return new Q(Kind.AND, null, null, null, List.of(conditions));
    }

    private Q combine(Kind kind, Q other) {
        if (other == null) {
            throw new IllegalArgumentException("Cannot combine a Q with null");
        }
        List<Q> parts = new ArrayList<>();
        if (this.kind == kind) {
            parts.addAll(this.children);
        } else {
            parts.add(this);
        }
        parts.add(other);
        return new Q(kind, null, null, null, Collections.unmodifiableList(parts));
    }

    @Override
    public String toString() {
        switch (this.kind) {
            case LEAF:
                return "Q(" + this.path + (this.lookup != null ? "__" + this.lookup.lookupName() : "") + ")";
            case NOT:
                return "NOT " + this.children.get(0);
            default:
                List<String> parts = new ArrayList<>();
                for (Q child : this.children) {
                    parts.add(child.toString());
                }
                return "(" + String.join(this.kind == Kind.AND ? " AND " : " OR ", parts) + ")";
        }
    }
}
