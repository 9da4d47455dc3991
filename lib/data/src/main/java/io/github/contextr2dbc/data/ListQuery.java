package io.github.contextr2dbc.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import reactor.core.publisher.Mono;

/**
 * A list endpoint's query: which filters and orderings it allows and its page sizes, bound from query
 * parameters ({@code ?title__icontains=ann&ordering=-published&limit=20&offset=40}) to a {@link Page}:
 *
 * <pre>{@code
 * ListQuery books = ListQuery.create()
 *         .filters(FilterSet.create().allow("title", Lookup.ICONTAINS).allow("pages", Lookup.GTE, Lookup.LTE))
 *         .ordering(Ordering.allow("title", "published").byDefault("-published"))
 *         .pageSize(20, 100);
 * Mono<Page<Book>> page = books.list(repository.objects(), request.queryParams());
 * }</pre>
 *
 * <p>Every parameter must be known: {@code limit}, {@code offset}, {@code ordering}, or a filter of the
 * allow-list; any other fails with an {@link InvalidQueryParameterException} naming it and listing what is
 * allowed. Immutable.
 */
public final class ListQuery {

    private final FilterSet filters;

    private final Ordering ordering;

    private final int defaultLimit;

    private final int maxLimit;

    private ListQuery(FilterSet filters, Ordering ordering, int defaultLimit, int maxLimit) {
        this.filters = filters;
        this.ordering = ordering;
        this.defaultLimit = defaultLimit;
        this.maxLimit = maxLimit;
    }

    /** A list query with no filters, no ordering parameter and pages of 20 (at most 100) rows. */
    public static ListQuery create() {
        return new ListQuery(FilterSet.create(), Ordering.allow(), 20, 100);
    }

    /** With these filters. */
    public ListQuery filters(FilterSet filters) {
        return new ListQuery(filters, this.ordering, this.defaultLimit, this.maxLimit);
    }

    /** With these orderings. */
    public ListQuery ordering(Ordering ordering) {
        return new ListQuery(this.filters, ordering, this.defaultLimit, this.maxLimit);
    }

    /**
     * With pages of {@code defaultLimit} rows when the request says none, and at most {@code maxLimit}.
     *
     * @throws IllegalArgumentException unless {@code 1 <= defaultLimit <= maxLimit}
     */
    public ListQuery pageSize(int defaultLimit, int maxLimit) {
        if (defaultLimit < 1 || defaultLimit > maxLimit) {
            throw new IllegalArgumentException("pageSize needs 1 <= default <= max, got " + defaultLimit + ", "
                    + maxLimit);
        }
        return new ListQuery(this.filters, this.ordering, defaultLimit, maxLimit);
    }

    /**
     * {@code base} filtered, ordered and bound to one page by {@code params}.
     *
     * @return a cold {@link Mono} of the page (two statements: rows, then count); error:
     * {@link InvalidQueryParameterException} for a parameter that is not allowed or not usable (before any
     * statement runs), or a statement's error
     */
    public <T> Mono<Page<T>> list(QuerySet<T> base, Map<String, List<String>> params) {
        return Mono.defer(() -> {
            for (String name : params.keySet()) {
                if (!"limit".equals(name) && !"offset".equals(name) && !"ordering".equals(name)
                        && !this.filters.accepts(name)) {
                    List<String> allowed = new ArrayList<>(List.of("limit", "offset", "ordering"));
                    allowed.addAll(this.filters.parameterNames());
                    throw new InvalidQueryParameterException(bounded(name), String.join(", ", allowed));
                }
            }
            int limit = (int) number(params, "limit", this.defaultLimit, 1, this.maxLimit);
            long offset = number(params, "offset", 0, 0, Long.MAX_VALUE / 2);
            QuerySet<T> filtered = this.filters.apply(base, params);
            QuerySet<T> ordered = this.ordering.apply(filtered, single(params, "ordering"));
            return Page.of(ordered, offset, limit);
        });
    }

    private static String bounded(String name) {
        return name.length() > 100 ? name.substring(0, 100) + "..." : name;
    }

    private static String single(Map<String, List<String>> params, String name) {
        List<String> values = params.get(name);
        if (values == null || values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw new InvalidQueryParameterException(name, "one value");
        }
        return values.get(0);
    }

    private static long number(Map<String, List<String>> params, String name, long absent, long min, long max) {
        String value = single(params, name);
        if (value == null) {
            return absent;
        }
        try {
            long number = Long.parseLong(value);
            if (number >= min && number <= max) {
                return number;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidQueryParameterException(name, "an integer from " + min + " to " + max);
    }
}
