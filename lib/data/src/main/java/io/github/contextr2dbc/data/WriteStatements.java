package io.github.contextr2dbc.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.github.contextr2dbc.data.QueryCompiler.Target;
import org.springframework.data.relational.core.sql.AssignValue;
import org.springframework.data.relational.core.sql.Column;
import org.springframework.data.relational.core.sql.Condition;
import org.springframework.data.relational.core.sql.Conditions;
import org.springframework.data.relational.core.sql.Expression;
import org.springframework.data.relational.core.sql.Select;
import org.springframework.data.relational.core.sql.StatementBuilder;

/** The updates and deletes of a query set, and the checks a query set must pass to be written. */
final class WriteStatements {

    private WriteStatements() {
    }

    /** Checked before the statement cache is asked: the cache key leaves these out. */
    static void requireWritable(QuerySet<?> qs, String operation) {
        if (qs.limit != null || qs.offset > 0 || qs.distinct) {
            throw new IllegalArgumentException("Cannot " + operation + " a sliced or distinct query set: filter it"
                    + " instead");
        }
        if (qs.lock != QuerySet.Lock.NONE || !qs.related.isEmpty() || !qs.annotations.isEmpty()) {
            throw new IllegalArgumentException("Cannot " + operation + " a query set with selectForUpdate,"
                    + " selectRelated or annotate");
        }
    }

    static Condition writeCondition(QuerySet<?> qs, QueryCompiler compiler, String operation) {
        requireWritable(qs, operation);
        Condition where = compiler.condition(qs.filters);
        if (compiler.joins.isEmpty()) {
            return where;
        }
        // conditions across relations: the rows are picked by id in a sub-select with the joins
        Column id = Column.create(qs.meta.requireId().column, qs.meta.table);
        Select ids = compiler.select(List.of(id), false, where, List.of(), null, 0, null);
        // rendered apart: the model's statement validator does not follow sub-selects to their own FROM
        return Conditions.in(id, new QueryCompiler.Raw(qs.meta.mapping.renderer.render(ids)));
    }

    static Sql updateSql(QuerySet<?> qs, Map<String, ?> values, boolean returning) {
        if (values == null || values.isEmpty()) {
            throw new IllegalArgumentException("update(...) needs at least one field and value");
        }
        requireWritable(qs, "update");
        String key = StatementCache.updateKey(qs, values, returning);
        Sql cached = StatementCache.cached(qs, key, values);
        if (cached != null) {
            return cached;
        }
        QueryCompiler compiler = qs.compiler();
        List<AssignValue> assignments = new ArrayList<>();
        List<Target> assigned = new ArrayList<>();
        for (Map.Entry<String, ?> entry : values.entrySet()) {
            Target target = SelectStatements.plainField(qs, compiler, entry.getKey(), "Updated field");
            if (target.table() != qs.meta.table) {
                throw new IllegalArgumentException("update(...) sets fields of " + qs.meta.name() + " only, not \""
                        + entry.getKey() + "\"");
            }
            Expression value = entry.getValue() == null ? compiler.bind(null, target.field().boundType)
                    : compiler.value(target, entry.getValue());
            assignments.add(AssignValue.create(Column.create(target.field().column, qs.meta.table), value));
            assigned.add(target);
        }
        Condition where = writeCondition(qs, compiler, "update");
        var update = StatementBuilder.update(qs.meta.table).set(assignments);
        String text = qs.meta.mapping.renderer.render(where == null ? update.build() : update.where(where).build());
        Sql sql = new Sql(returning ? text + Inserts.returning(qs.meta) : text, compiler.binds);
        return StatementCache.cache(qs, key, sql, compiler,
                List.copyOf(assigned));
    }

    static Sql deleteSql(QuerySet<?> qs, boolean returning) {
        requireWritable(qs, "delete");
        String key = StatementCache.shapeKey(qs, returning ? 'X' : 'D');
        Sql cached = StatementCache.cached(qs, key);
        if (cached != null) {
            return cached;
        }
        QueryCompiler compiler = qs.compiler();
        Condition where = writeCondition(qs, compiler, "delete");
        var delete = StatementBuilder.delete(qs.meta.table);
        String text = qs.meta.mapping.renderer.render(where == null ? delete.build() : delete.where(where).build());
        Sql sql = new Sql(returning ? text + Inserts.returning(qs.meta) : text, compiler.binds);
        return StatementCache.cache(qs, key, sql, compiler);
    }
}
