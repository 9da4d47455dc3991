package io.github.contextr2dbc.data;

import java.lang.reflect.Array;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import io.github.contextr2dbc.data.QueryCompiler.Target;
import org.jspecify.annotations.Nullable;

/**
 * The statement cache of query sets: the key of a query set's statement shape (everything the rendered SQL
 * depends on, not the bound values), and the statement cached under it with this query set's values bound.
 * The cache itself is per entity ({@link EntityMetadata}).
 */
final class StatementCache {

    private StatementCache() {
    }

    /**
     * The statement cached under {@code key}, with this query set's values bound: the conditions are built
     * again for their values (cheap), the rendering is skipped (the costly part).
     */
    static @Nullable Sql cached(QuerySet<?> qs, @Nullable String key) {
        return cached(qs, key, null);
    }

    /** {@link #cached(QuerySet, String)} for an update: {@code values} are bound first, as the assignments compile. */
    static @Nullable Sql cached(QuerySet<?> qs, @Nullable String key, @Nullable Map<String, ?> values) {
        EntityMetadata.CachedSql cached = key == null ? null : qs.meta.cachedSql(key);
        if (cached == null) {
            return null;
        }
        QueryCompiler compiler = qs.compiler();
        if (values != null) {
            int i = 0;
            for (Object value : values.values()) {
                Target target = cached.assigned().get(i++);
                if (value == null) {
                    compiler.bind(null, target.field().boundType);
                } else {
                    compiler.value(target, value);
                }
            }
        }
        compiler.bindValues(qs.filters, cached.plans());
        return new Sql(cached.text(), compiler.binds);
    }

    static Sql cache(QuerySet<?> qs, @Nullable String key, Sql sql, QueryCompiler compiler) {
        return cache(qs, key, sql, compiler, List.of());
    }

    static Sql cache(QuerySet<?> qs, @Nullable String key, Sql sql, QueryCompiler compiler, List<Target> assigned) {
        if (key != null) {
            qs.meta.cacheSql(key, new EntityMetadata.CachedSql(sql.text, List.copyOf(compiler.plans), assigned));
        }
        return sql;
    }

    /**
     * What the rendered SQL depends on: everything but the bound values, except where a value changes the SQL
     * (null, a collection's size, a boolean for isnull). Null (not cached) when a value is an {@link F}.
     */
    static @Nullable String shapeKey(QuerySet<?> qs, char terminal) {
        StringBuilder key = new StringBuilder(64).append(terminal);
        for (Q filter : qs.filters) {
            if (!shape(filter, key)) {
                return null;
            }
        }
        key.append('|');
        for (String item : qs.ordering) {
            key.append(item.length()).append(':').append(item); // length first: no two lists give one key
        }
        key.append('|').append(qs.limit == null ? -1 : qs.limit.longValue()).append('|').append(qs.offset)
                .append('|').append(qs.distinct).append('|').append(qs.lock.ordinal());
        for (String path : qs.outerJoins) {
            key.append('|').append(path.length()).append(':').append(path);
        }
        return key.toString();
    }

    static boolean shape(Q q, StringBuilder key) {
        key.append('(').append(q.kind.ordinal());
        if (q.kind == Q.Kind.LEAF) {
            key.append(q.path.length()).append(':').append(q.path).append('~').append(q.lookup).append('~');
            Object value = q.value;
            if (value == null) {
                key.append('N');
            } else if (value instanceof F) {
                return false;
            } else if (value instanceof Boolean bool) {
                key.append(bool);
            } else if (value instanceof Collection<?> collection) {
                for (Object element : collection) {
                    if (element instanceof F) {
                        return false;
                    }
                }
                key.append('C').append(collection.size());
            } else if (value instanceof Object[] array) {
                for (Object element : array) {
                    if (element instanceof F) {
                        return false;
                    }
                }
                key.append('C').append(array.length);
            } else if (value.getClass().isArray()) {
                key.append('C').append(Array.getLength(value));
            } else {
                key.append('V');
            }
        }
        for (Q child : q.children) {
            if (!shape(child, key)) {
                return false;
            }
        }
        key.append(')');
        return true;
    }

    /** The shape of an update: the filters' and the assigned fields in order; null (not cached) for an F. */
    static @Nullable String updateKey(QuerySet<?> qs, Map<String, ?> values, boolean returning) {
        String filters = shapeKey(qs, returning ? 'R' : 'U');
        if (filters == null) {
            return null;
        }
        StringBuilder key = new StringBuilder(filters);
        for (Map.Entry<String, ?> entry : values.entrySet()) {
            if (entry.getKey() == null || entry.getValue() instanceof F) {
                return null;
            }
            key.append('|').append(entry.getKey().length()).append(':').append(entry.getKey());
        }
        return key.toString();
    }
}
