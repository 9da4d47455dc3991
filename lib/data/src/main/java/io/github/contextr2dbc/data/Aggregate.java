package io.github.contextr2dbc.data;

import java.util.Locale;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * An aggregate ({@code count sum avg min max}) of a field, for {@link QuerySet#aggregate(Aggregate...)} and
 * {@link QuerySet#annotate(Aggregate...)}. Its result is named by {@link #as(String)}, or by default
 * {@code field__function} as in Django ({@code pages__sum}). Immutable.
 */
public final class Aggregate {

    private static final Pattern ALIAS = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

    final String function;

    /** The field path, or null for {@code count(*)}. */
    final @Nullable String field;

    final String alias;

    private Aggregate(String function, @Nullable String field, String alias) {
        this.function = function;
        this.field = field;
        this.alias = alias;
    }

    private static Aggregate of(String function, String field) {
        if (field == null || field.isBlank()) {
            throw new IllegalArgumentException(function + "(field) needs a field name");
        }
        return new Aggregate(function, field, field.replace("__", "_") + "__" + function.toLowerCase(Locale.ROOT));
    }

    /** {@code count(*)}, named {@code count}. */
    public static Aggregate count() {
        return new Aggregate("COUNT", null, "count");
    }

    /** {@code count(field)}: the non-null values of {@code field}. */
    public static Aggregate count(String field) {
        return of("COUNT", field);
    }

    /** {@code sum(field)}. */
    public static Aggregate sum(String field) {
        return of("SUM", field);
    }

    /** {@code avg(field)}. */
    public static Aggregate avg(String field) {
        return of("AVG", field);
    }

    /** {@code min(field)}. */
    public static Aggregate min(String field) {
        return of("MIN", field);
    }

    /** {@code max(field)}. */
    public static Aggregate max(String field) {
        return of("MAX", field);
    }

    /**
     * This aggregate, named {@code alias} in the result.
     *
     * @throws IllegalArgumentException if {@code alias} is not a plain identifier ({@code [A-Za-z_][A-Za-z0-9_]*},
     * at most 63 characters): it is written into the SQL
     */
    public Aggregate as(String alias) {
        if (alias == null || !ALIAS.matcher(alias).matches()) {
            throw new IllegalArgumentException("An aggregate's name must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*,"
                    + " at most 63 characters), not " + (alias == null ? "null" : "\"" + alias + "\""));
        }
        return new Aggregate(this.function, this.field, alias);
    }

    /** The name of this aggregate's value in results. */
    public String alias() {
        return this.alias;
    }

    @Override
    public String toString() {
        return this.function + "(" + (this.field == null ? "*" : this.field) + ") AS " + this.alias;
    }
}
