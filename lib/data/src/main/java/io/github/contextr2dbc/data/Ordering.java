package io.github.contextr2dbc.data;

import java.util.ArrayList;
import java.util.List;

/**
 * The orderings a list endpoint accepts from its {@code ordering} query parameter, as an explicit allow-list:
 * {@code Ordering.allow("created", "title", "author__name")} accepts {@code ?ordering=-created,title}.
 * Immutable.
 */
public final class Ordering {

    private final List<String> fields;

    private final List<String> defaults;

    private Ordering(List<String> fields, List<String> defaults) {
        this.fields = fields;
        this.defaults = defaults;
    }

    /** Allows ordering by these fields (paths through relations allowed), each ascending or descending. */
    public static Ordering allow(String... fields) {
        return new Ordering(List.of(fields), List.of());
    }

    /** This ordering, used when the request names none ({@code "-created"} style). */
    public Ordering byDefault(String... ordering) {
        return new Ordering(this.fields, List.of(ordering));
    }

    /**
     * {@code querySet} ordered by {@code parameter} ({@code "-created,title"}), or by the default if null.
     *
     * @throws InvalidQueryParameterException {@code ordering} if it names a field outside the allow-list
     */
    public <T> QuerySet<T> apply(QuerySet<T> querySet, String parameter) {
        if (parameter == null || parameter.isEmpty()) {
            return this.defaults.isEmpty() ? querySet : querySet.orderBy(this.defaults.toArray(String[]::new));
        }
        String[] items = parameter.split(",", -1);
        if (items.length > this.fields.size()) {
            throw new InvalidQueryParameterException("ordering", allowed());
        }
        for (String item : items) {
            String field = item.startsWith("-") ? item.substring(1) : item;
            if (!this.fields.contains(field)) {
                throw new InvalidQueryParameterException("ordering", allowed());
            }
        }
        return querySet.orderBy(items);
    }

    private String allowed() {
        List<String> names = new ArrayList<>();
        for (String field : this.fields) {
            names.add(field);
            names.add("-" + field);
        }
        return "comma-separated, each once at most: " + String.join(", ", names);
    }
}
