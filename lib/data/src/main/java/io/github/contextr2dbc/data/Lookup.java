package io.github.contextr2dbc.data;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The lookups of a filter, written after the field in the string form ({@code "age__gte"}) or passed to
 * the typed form ({@code filter(Person::getAge, Lookup.GTE, 18)}). Every value is bound as a parameter.
 *
 * <p>{@code year}, {@code month} and {@code day} extract that part of a date or timestamp column and may be
 * followed by a comparison: {@code "created__year__gte"}.
 */
public enum Lookup {

    /** {@code column = value} ({@code null}: {@code IS NULL}). */
    EXACT,
    /** Same as {@link #EXACT}. */
    EQ,
    /** {@code column <> value}. */
    NE,
    /** {@code column > value}. */
    GT,
    /** {@code column >= value}. */
    GTE,
    /** {@code column < value}. */
    LT,
    /** {@code column <= value}. */
    LTE,
    /** {@code column IN (values...)}: a collection or array; an empty one matches nothing. */
    IN,
    /** {@code column NOT IN (values...)}: an empty collection matches everything. */
    NOTIN,
    /** {@code column BETWEEN low AND high}: a two-element collection or array. */
    RANGE,
    /** {@code column LIKE value}, the value's own wildcards kept. */
    LIKE,
    /** {@code column ILIKE value}, the value's own wildcards kept. */
    ILIKE,
    /** {@code column LIKE %value%}, the value's wildcards escaped. */
    CONTAINS,
    /** {@code column ILIKE %value%}. */
    ICONTAINS,
    /** {@code column LIKE value%}. */
    STARTSWITH,
    /** {@code column ILIKE value%}. */
    ISTARTSWITH,
    /** {@code column LIKE %value}. */
    ENDSWITH,
    /** {@code column ILIKE %value}. */
    IENDSWITH,
    /** {@code column IS NULL} for {@code true}, {@code IS NOT NULL} for {@code false}. */
    ISNULL,
    /** The year of a date/timestamp column; compared with equality or a following comparison. */
    YEAR,
    /** The month (1-12) of a date/timestamp column. */
    MONTH,
    /** The day of the month of a date/timestamp column. */
    DAY;

    /** The lookup's name in the string form. */
    public String lookupName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether this lookup extracts a date part (and may be followed by a comparison). */
    boolean isDatePart() {
        return this == YEAR || this == MONTH || this == DAY;
    }

    /** Whether this lookup may follow a date part. */
    boolean isComparison() {
        return this == EXACT || this == EQ || this == NE || this == GT || this == GTE || this == LT || this == LTE
                || this == IN || this == NOTIN || this == RANGE;
    }

    /** The lookup named {@code name}, or null. */
    static Lookup byName(String name) {
        for (Lookup lookup : values()) {
            if (lookup.lookupName().equals(name)) {
                return lookup;
            }
        }
        return null;
    }

    /** Every lookup name, for error messages. */
    static List<String> names() {
        return Arrays.stream(values()).map(Lookup::lookupName).toList();
    }
}
