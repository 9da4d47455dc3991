package io.github.contextr2dbc.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.springframework.core.convert.ConversionService;

/**
 * The filters a list endpoint accepts from query parameters, as an explicit allow-list of fields and lookups:
 *
 * <pre>{@code
 * FilterSet filters = FilterSet.create()
 *         .allow("title", Lookup.EXACT, Lookup.ICONTAINS)
 *         .allow("author__name", Lookup.ICONTAINS)
 *         .allow("pages", Lookup.GTE, Lookup.LTE);
 * // ?title__icontains=ann&pages__gte=100  ->  filter("title__icontains", "ann").filter("pages__gte", 100)
 * }</pre>
 *
 * <p>A parameter {@code field} means {@code field__exact}. Values are converted to the field's type (Spring's
 * conversion service: numbers, dates, booleans, enums); {@code in}/{@code notin}/{@code range} take
 * comma-separated values; {@code isnull} takes {@code true}/{@code false}; {@code year}/{@code month}/{@code day}
 * take integers. Anything else fails with an {@link InvalidQueryParameterException} naming the parameter and
 * what is allowed. Immutable; {@link #allow} returns a new filter set.
 */
public final class FilterSet {

    private final Map<String, Set<Lookup>> allowed;

    private FilterSet(Map<String, Set<Lookup>> allowed) {
        this.allowed = allowed;
    }

    /** A filter set that allows nothing yet. */
    public static FilterSet create() {
        return new FilterSet(Map.of());
    }

    /**
     * This filter set, also allowing {@code lookups} on {@code fieldPath} (a field, or a path through relations
     * such as {@code author__name}); the path is checked against the entity when a request is bound.
     *
     * @throws IllegalArgumentException if no lookup is given
     */
    public FilterSet allow(String fieldPath, Lookup... lookups) {
        if (fieldPath == null || fieldPath.isBlank() || lookups.length == 0) {
            throw new IllegalArgumentException("allow(field, lookups...) needs a field and at least one lookup");
        }
        Map<String, Set<Lookup>> next = new LinkedHashMap<>(this.allowed);
        Set<Lookup> set = EnumSet.noneOf(Lookup.class);
        set.addAll(next.getOrDefault(fieldPath, Set.of()));
        set.addAll(List.of(lookups));
        next.put(fieldPath, Collections.unmodifiableSet(set));
        return new FilterSet(Collections.unmodifiableMap(next));
    }

    /** Every parameter name this filter set accepts. */
    public List<String> parameterNames() {
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, Set<Lookup>> entry : this.allowed.entrySet()) {
            for (Lookup lookup : entry.getValue()) {
                names.add(lookup == Lookup.EXACT ? entry.getKey() : entry.getKey() + "__" + lookup.lookupName());
            }
        }
        return names;
    }

    /** Whether {@code parameter} is one of this filter set's. */
    boolean accepts(String parameter) {
        return parameterNames().contains(parameter);
    }

    /**
     * {@code querySet} filtered by the parameters of {@code params} that are filters here (others are ignored:
     * see {@link ListQuery} for rejecting unknown parameters).
     *
     * @throws InvalidQueryParameterException for a value that cannot be used (not of the field's type, several
     * values for one parameter)
     */
    public <T> QuerySet<T> apply(QuerySet<T> querySet, Map<String, List<String>> params) {
        QuerySet<T> result = querySet;
        for (Map.Entry<String, Set<Lookup>> entry : this.allowed.entrySet()) {
            for (Lookup lookup : entry.getValue()) {
                String name = lookup == Lookup.EXACT ? entry.getKey() : entry.getKey() + "__" + lookup.lookupName();
                List<String> values = params.get(name);
                if (values == null || values.isEmpty()) {
                    continue;
                }
                if (values.size() > 1) {
                    throw new InvalidQueryParameterException(name, "one value (repeat the filter with __in instead)");
                }
                result = result.filter(name, convert(result, entry.getKey(), lookup, name, values.get(0)));
            }
        }
        return result;
    }

    private static Object convert(QuerySet<?> querySet, String path, Lookup lookup, String name, String raw) {
        switch (lookup) {
            case ISNULL:
                if (!"true".equals(raw) && !"false".equals(raw)) {
                    throw new InvalidQueryParameterException(name, "true or false");
                }
                return Boolean.valueOf(raw);
            case YEAR:
            case MONTH:
            case DAY:
                try {
                    return Integer.valueOf(raw);
                } catch (NumberFormatException e) {
                    throw new InvalidQueryParameterException(name, "an integer");
                }
            case IN:
            case NOTIN:
            case RANGE: {
                String[] parts = raw.split(",", -1);
                if (parts.length > 1000 || lookup == Lookup.RANGE && parts.length != 2) {
                    throw new InvalidQueryParameterException(name, lookup == Lookup.RANGE ? "two comma-separated values"
                            : "at most 1000 comma-separated values");
                }
                List<Object> converted = new ArrayList<>();
                for (String part : parts) {
                    converted.add(single(querySet, path, name, part));
                }
                return converted;
            }
            case LIKE:
            case ILIKE:
            case CONTAINS:
            case ICONTAINS:
            case STARTSWITH:
            case ISTARTSWITH:
            case ENDSWITH:
            case IENDSWITH:
                return raw;
            default:
                return single(querySet, path, name, raw);
        }
    }

    private static Object single(QuerySet<?> querySet, String path, String name, String raw) {
        EntityMetadata<?> meta = querySet.metadata();
        QueryCompiler.Target target = new QueryCompiler(meta, Set.of()).resolve(path, "Filter field");
        Class<?> type = target.field().property.getActualType();
        ConversionService conversions = meta.mapping.converter.getConversionService();
        try {
            Object value = conversions.convert(raw, type);
            if (value == null) {
                throw new InvalidQueryParameterException(name, "a value of type " + type.getSimpleName());
            }
            return value;
        } catch (RuntimeException e) {
            if (e instanceof InvalidQueryParameterException invalid) {
                throw invalid;
            }
            throw new InvalidQueryParameterException(name, "a value of type " + typeDescription(type));
        }
    }

    private static String typeDescription(Class<?> type) {
        if (type.isEnum()) {
            return type.getSimpleName() + " (" + Arrays.stream(type.getEnumConstants())
                    .map(Object::toString).collect(Collectors.joining(", ")) + ")";
        }
        return type.getSimpleName();
    }
}
