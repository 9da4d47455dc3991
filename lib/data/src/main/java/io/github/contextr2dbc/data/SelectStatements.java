package io.github.contextr2dbc.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.contextr2dbc.data.EntityMetadata.FieldInfo;
import io.github.contextr2dbc.data.QueryCompiler.JoinedRelation;
import io.github.contextr2dbc.data.QueryCompiler.Target;
import org.jspecify.annotations.Nullable;
import org.springframework.data.relational.core.sql.Column;
import org.springframework.data.relational.core.sql.Condition;
import org.springframework.data.relational.core.sql.Expression;
import org.springframework.data.relational.core.sql.Expressions;
import org.springframework.data.relational.core.sql.Functions;
import org.springframework.data.relational.core.sql.InlineQuery;
import org.springframework.data.relational.core.sql.LockMode;
import org.springframework.data.relational.core.sql.OrderByField;
import org.springframework.data.relational.core.sql.SQL;
import org.springframework.data.relational.core.sql.Select;
import org.springframework.data.relational.core.sql.SimpleFunction;
import org.springframework.data.relational.core.sql.StatementBuilder;
import org.springframework.data.relational.core.sql.SubselectExpression;

/** The selects of a query set ({@code all()}, {@code count()}, {@code exists()}, {@code values(...)}, ...). */
final class SelectStatements {

    private SelectStatements() {
    }

    /** The select of {@link QuerySet#all()}; fills {@code eager} with the relations it loads. */
    static Sql allSql(QuerySet<?> qs, List<JoinedRelation> eager) {
        requireNoAnnotations(qs, "all()");
        String key = qs.related.isEmpty() ? StatementCache.shapeKey(qs, 'A') : null;
        Sql cached = StatementCache.cached(qs, key);
        if (cached != null) {
            return cached;
        }
        QueryCompiler compiler = qs.compiler();
        List<Expression> columns = entityColumns(qs, compiler);
        for (String path : qs.related) {
            JoinedRelation join = compiler.joinPath(path);
            EntityMetadata<?> owner = ownerOf(compiler, path);
            if (join.relation().holder == null) {
                throw new IllegalArgumentException(owner.name() + " has no field named \"" + join.relation().name
                        + "\" to hold the related " + join.relation().target().name() + ": declare"
                        + " @Transient " + join.relation().target().name() + " " + join.relation().name);
            }
            eager.add(join);
            for (FieldInfo field : join.relation().target().fieldList) {
                columns.add(Column.create(field.column, join.table()).as(alias(join, field)));
            }
        }
        return StatementCache.cache(qs, key, selectSql(qs, compiler, columns, qs.limit), compiler);
    }

    static Sql countSql(QuerySet<?> qs) {
        String key = StatementCache.shapeKey(qs, 'C');
        Sql cached = StatementCache.cached(qs, key);
        if (cached != null) {
            return cached;
        }
        QueryCompiler compiler = qs.compiler();
        if (qs.limit != null || qs.offset > 0 || qs.distinct) {
            Select inner = compiler.select(entityColumns(qs, compiler), qs.distinct, compiler.condition(qs.filters),
                    List.of(), qs.limit, qs.offset, null);
            Select outer = StatementBuilder.select(Functions.count(Expressions.asterisk()))
                    .from(InlineQuery.create(inner, "counted")).build();
            Sql sql = new Sql(qs.meta.mapping.renderer.render(outer), compiler.binds);
            return StatementCache.cache(qs, key, sql, compiler);
        }
        // no ORDER BY: a count has one row, and ordering by a column would need it grouped
        Sql count = selectSql(qs, compiler, List.of(Functions.count(Expressions.asterisk())), null, false);
        return StatementCache.cache(qs, key, count, compiler);
    }

    static Sql existsSql(QuerySet<?> qs) {
        String key = StatementCache.shapeKey(qs, 'E');
        Sql cached = StatementCache.cached(qs, key);
        if (cached != null) {
            return cached;
        }
        QueryCompiler compiler = qs.compiler();
        Select inner = compiler.select(List.of(SQL.literalOf(1)), false, compiler.condition(qs.filters), List.of(),
                1L, qs.offset, null);
        Select outer = StatementBuilder.select(SimpleFunction.create("EXISTS", List.of(SubselectExpression.of(inner))))
                .from(qs.meta.table).build();
        String text = qs.meta.mapping.renderer.render(outer);
        // the SQL model needs a FROM; EXISTS needs none: drop it (the model renders "... FROM <table>")
        String fromClause = " FROM " + qs.meta.tableName.toSql(QueryCompiler.IDENTIFIERS);
        Sql sql = new Sql(text.substring(0, text.length() - fromClause.length()), compiler.binds);
        return StatementCache.cache(qs, key, sql, compiler);
    }

    static Sql valuesSql(QuerySet<?> qs, String... fields) {
        if (fields.length == 0) {
            throw new IllegalArgumentException("values(...) needs at least one field name");
        }
        QueryCompiler compiler = qs.compiler();
        Map<String, Expression> aggregates = aggregateExpressions(qs, compiler, qs.annotations);
        List<Expression> columns = new ArrayList<>();
        List<Column> groupBy = new ArrayList<>();
        for (int i = 0; i < fields.length; i++) {
            Expression aggregate = aggregates.get(fields[i]);
            if (aggregate != null) {
                columns.add(aggregate);
                continue;
            }
            Column column = QueryCompiler.column(plainField(qs, compiler, fields[i], "Field"));
            groupBy.add(column);
            columns.add(column.as("v" + i));
        }
        Sql sql;
        if (qs.annotations.isEmpty()) {
            sql = selectSql(qs, compiler, columns, qs.limit);
        } else {
            sql = groupedSql(qs, compiler, columns, groupBy, aggregates);
        }
        return sql;
    }

    static void requireNoAnnotations(QuerySet<?> qs, String terminal) {
        if (!qs.annotations.isEmpty()) {
            throw new IllegalArgumentException(terminal + " cannot return entities with annotate(...) aggregates:"
                    + " read them with values(...)");
        }
    }

    static List<Expression> entityColumns(QuerySet<?> qs, QueryCompiler compiler) {
        List<Expression> columns = new ArrayList<>();
        for (FieldInfo field : qs.meta.fieldList) {
            columns.add(Column.create(field.column, qs.meta.table));
        }
        return columns;
    }

    static String alias(JoinedRelation join, FieldInfo field) {
        return join.table().getReferenceName().toSql(QueryCompiler.IDENTIFIERS) + "_"
                + field.column.toSql(QueryCompiler.IDENTIFIERS);
    }

    static EntityMetadata<?> ownerOf(QueryCompiler compiler, String path) {
        int last = path.lastIndexOf("__");
        return last < 0 ? compiler.root : compiler.joins.get(path.substring(0, last)).relation().target();
    }

    static Target plainField(QuerySet<?> qs, QueryCompiler compiler, String path, String what) {
        if (path == null) {
            throw new IllegalArgumentException(what + " name must not be null");
        }
        Target target = compiler.resolve(path, what);
        if (!target.rest().isEmpty()) {
            throw new FieldLookupException(what + " of " + qs.meta.name(), path, target.owner().validNames());
        }
        return target;
    }

    static Map<String, Expression> aggregateExpressions(QuerySet<?> qs, QueryCompiler compiler,
            List<Aggregate> aggregates) {
        Map<String, Expression> expressions = new LinkedHashMap<>();
        for (Aggregate aggregate : aggregates) {
            Expression argument = aggregate.field == null ? Expressions.asterisk()
                    : QueryCompiler.column(plainField(qs, compiler, aggregate.field, "Aggregated field"));
            if (expressions.put(aggregate.alias, SimpleFunction.create(aggregate.function, List.of(argument))
                    .as(aggregate.alias)) != null) {
                throw new IllegalArgumentException("Two aggregates are named \"" + aggregate.alias + "\": name them"
                        + " apart with as(...)");
            }
        }
        return expressions;
    }

    static Sql selectSql(QuerySet<?> qs, QueryCompiler compiler, List<? extends Expression> columns,
            @Nullable Long limit) {
        return selectSql(qs, compiler, columns, limit, true);
    }

    static Sql selectSql(QuerySet<?> qs, QueryCompiler compiler, List<? extends Expression> columns,
            @Nullable Long limit, boolean ordered) {
        Condition where = compiler.condition(qs.filters);
        List<OrderByField> order = ordered ? compiler.ordering(qs.ordering, Map.of()) : List.of();
        LockMode lockMode = qs.lock == QuerySet.Lock.NONE ? null : LockMode.PESSIMISTIC_WRITE;
        String text = qs.meta.mapping.renderer.render(compiler.select(columns, qs.distinct, where, order, limit,
                qs.offset, lockMode));
        if (qs.lock == QuerySet.Lock.NOWAIT) {
            text += " NOWAIT";
        } else if (qs.lock == QuerySet.Lock.SKIP_LOCKED) {
            text += " SKIP LOCKED";
        }
        return new Sql(text, compiler.binds);
    }

    /**
     * A select with GROUP BY. The SQL model has no GROUP BY clause: the statement is rendered without ordering
     * and slicing, and GROUP BY, ORDER BY, LIMIT and OFFSET are appended from model columns (names from the
     * metadata) and numbers.
     */
    static Sql groupedSql(QuerySet<?> qs, QueryCompiler compiler, List<Expression> columns, List<Column> groupBy,
            Map<String, Expression> aggregates) {
        if (qs.lock != QuerySet.Lock.NONE) {
            throw new IllegalArgumentException("selectForUpdate cannot lock grouped rows");
        }
        Condition where = compiler.condition(qs.filters);
        Map<String, Expression> aliases = new LinkedHashMap<>();
        for (String name : aggregates.keySet()) {
            aliases.put(name, Expressions.just(name));
        }
        List<OrderByField> order = compiler.ordering(qs.ordering, aliases);
        StringBuilder text = new StringBuilder(qs.meta.mapping.renderer.render(compiler.select(columns, qs.distinct,
                where, List.of(), null, 0, null)));
        for (int i = 0; i < groupBy.size(); i++) {
            text.append(i == 0 ? " GROUP BY " : ", ").append(qualified(groupBy.get(i)));
        }
        for (int i = 0; i < order.size(); i++) {
            OrderByField field = order.get(i);
            Expression expression = field.getExpression();
            text.append(i == 0 ? " ORDER BY " : ", ")
                    .append(expression instanceof Column column ? qualified(column) : expression.toString())
                    .append(field.getDirection() != null && field.getDirection().isDescending() ? " DESC" : " ASC");
        }
        if (qs.limit != null) {
            text.append(" LIMIT ").append(qs.limit.longValue());
        }
        if (qs.offset > 0) {
            text.append(" OFFSET ").append(qs.offset);
        }
        return new Sql(text.toString(), compiler.binds);
    }

    static String qualified(Column column) {
        return column.getTable().getReferenceName().toSql(QueryCompiler.IDENTIFIERS) + "."
                + column.getName().toSql(QueryCompiler.IDENTIFIERS);
    }
}
