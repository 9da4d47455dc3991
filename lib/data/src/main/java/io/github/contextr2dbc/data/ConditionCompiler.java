package io.github.contextr2dbc.data;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import io.github.contextr2dbc.data.QueryCompiler.LeafPlan;
import io.github.contextr2dbc.data.QueryCompiler.Target;
import org.jspecify.annotations.Nullable;
import org.springframework.data.relational.core.sql.Comparison;
import org.springframework.data.relational.core.sql.Condition;
import org.springframework.data.relational.core.sql.Conditions;
import org.springframework.data.relational.core.sql.Expression;
import org.springframework.data.relational.core.sql.SQL;
import org.springframework.data.relational.core.sql.SimpleFunction;

/**
 * The conditions of a query set's statement: each {@link Q} leaf resolved against the entity metadata and turned
 * into a model {@link Condition} with its values bound on the {@link QueryCompiler} (which owns the joins, the
 * bound values and the leaf plans); and, for a statement from the cache, the same values bound again from the
 * leaf plans without building conditions.
 */
final class ConditionCompiler {

    private ConditionCompiler() {
    }

    static @Nullable Condition condition(QueryCompiler c, List<Q> filters) {
        Condition result = null;
        for (Q q : filters) {
            Condition next = condition(c, q);
            result = result == null ? next : result.and(next);
        }
        return result;
    }

    static Condition condition(QueryCompiler c, Q q) {
        switch (q.kind) {
            case NOT:
                return Conditions.not(Conditions.nest(condition(c, q.children.get(0))));
            case AND:
            case OR:
                if (q.children.isEmpty()) {
                    return Conditions.just("TRUE");
                }
                Condition combined = null;
                for (Q child : q.children) {
                    Condition next = condition(c, child);
                    combined = combined == null ? next : q.kind == Q.Kind.AND ? combined.and(next) : combined.or(next);
                }
                return Conditions.nest(combined);
            default:
                return leaf(c, q);
        }
    }

    private static Condition leaf(QueryCompiler c, Q q) {
        Target target = c.resolve(q.path, "Field");
        Lookup lookup = q.lookup;
        Lookup datePart = null;
        List<String> rest = target.rest();
        if (lookup != null) {
            if (!rest.isEmpty()) {
                throw new FieldLookupException("Field of " + c.root.name(), q.path, target.owner().validNames());
            }
        } else if (rest.isEmpty()) {
            lookup = Lookup.EXACT;
        } else {
            lookup = lookup(rest.get(0), target);
            if (lookup.isDatePart()) {
                datePart = lookup;
                lookup = rest.size() > 1 ? lookup(rest.get(1), target) : Lookup.EXACT;
                if (!lookup.isComparison() || rest.size() > 2) {
                    throw new FieldLookupException("Lookup after " + datePart.lookupName() + " on " + target.path(),
                            String.join("__", rest.subList(1, rest.size())),
                            List.of("exact", "eq", "ne", "gt", "gte", "lt", "lte", "in", "notin", "range"));
                }
            } else if (rest.size() > 1) {
                throw new FieldLookupException("Lookup on " + target.path(), String.join("__", rest), Lookup.names());
            }
        }
        if (lookup.isDatePart()) {
            datePart = lookup;
            lookup = Lookup.EXACT;
        }
        Expression column = QueryCompiler.column(target);
        if (datePart != null) {
            column = SimpleFunction.create("date_part", List.of(SQL.literalOf(datePart.lookupName()), column));
        }
        c.plans.add(new LeafPlan(target, lookup, datePart != null));
        return compare(c, target, column, lookup, datePart != null, q.value);
    }

    /**
     * Binds the values of {@code filters} as compiling them would, with the plans of an earlier compilation of
     * the same shape: the leaves are walked in the same order, and each value goes through the same
     * conversions as in {@link #compare}.
     */
    static void bindValues(QueryCompiler c, List<Q> filters, List<LeafPlan> plans) {
        int[] next = {0};
        for (Q q : filters) {
            bindValues(c, q, plans, next);
        }
    }

    private static void bindValues(QueryCompiler c, Q q, List<LeafPlan> plans, int[] next) {
        if (q.kind != Q.Kind.LEAF) {
            for (Q child : q.children) {
                bindValues(c, child, plans, next);
            }
            return;
        }
        LeafPlan plan = plans.get(next[0]++);
        Target target = plan.target();
        Object value = q.value;
        switch (plan.lookup()) {
            case ISNULL:
                return;
            case IN:
            case NOTIN:
            case RANGE:
                for (Object element : elements(target, plan.lookup(), value)) {
                    operand(c, target, plan.datePart(), element);
                }
                return;
            case LIKE:
            case ILIKE:
                text(c, target, plan.lookup(), value, "", "");
                return;
            case CONTAINS:
            case ICONTAINS:
                text(c, target, plan.lookup(), value, "%", "%");
                return;
            case STARTSWITH:
            case ISTARTSWITH:
                text(c, target, plan.lookup(), value, "", "%");
                return;
            case ENDSWITH:
            case IENDSWITH:
                text(c, target, plan.lookup(), value, "%", "");
                return;
            default:
                if (value != null) {
                    operand(c, target, plan.datePart(), value);
                }
        }
    }

    private static Lookup lookup(String name, Target target) {
        Lookup lookup = Lookup.byName(name);
        if (lookup == null) {
            throw new FieldLookupException("Lookup on " + target.path(), name, Lookup.names());
        }
        return lookup;
    }

    private static Condition compare(QueryCompiler c, Target target, Expression column, Lookup lookup, boolean datePart,
            @Nullable Object value) {
        switch (lookup) {
            case EXACT:
            case EQ:
                return value == null ? Conditions.isNull(column)
                        : Conditions.isEqual(column, operand(c, target, datePart, value));
            case NE:
                return value == null ? Conditions.isNull(column).not()
                        : Conditions.isNotEqual(column, operand(c, target, datePart, value));
            case GT:
                return Conditions.isGreater(column, operand(c, target, datePart, required(target, lookup, value)));
            case GTE:
                return Conditions.isGreaterOrEqualTo(column,
                        operand(c, target, datePart, required(target, lookup, value)));
            case LT:
                return Conditions.isLess(column, operand(c, target, datePart, required(target, lookup, value)));
            case LTE:
                return Conditions.isLessOrEqualTo(column,
                        operand(c, target, datePart, required(target, lookup, value)));
            case IN:
            case NOTIN: {
                List<Expression> markers = new ArrayList<>();
                for (Object element : elements(target, lookup, value)) {
                    markers.add(operand(c, target, datePart, element));
                }
                if (markers.isEmpty()) {
                    return Conditions.just(lookup == Lookup.IN ? "FALSE" : "TRUE");
                }
                return lookup == Lookup.IN ? Conditions.in(column, markers) : Conditions.notIn(column, markers);
            }
            case RANGE: {
                List<Object> bounds = elements(target, lookup, value);
                if (bounds.size() != 2) {
                    throw new IllegalArgumentException(target.path() + "__range needs two values (low, high), got "
                            + bounds.size());
                }
                return Conditions.between(column, operand(c, target, datePart, bounds.get(0)),
                        operand(c, target, datePart, bounds.get(1)));
            }
            case LIKE:
                return Conditions.like(column, text(c, target, lookup, value, "", ""));
            case ILIKE:
                return Comparison.create(column, "ILIKE", text(c, target, lookup, value, "", ""));
            case CONTAINS:
                return Conditions.like(column, text(c, target, lookup, value, "%", "%"));
            case ICONTAINS:
                return Comparison.create(column, "ILIKE", text(c, target, lookup, value, "%", "%"));
            case STARTSWITH:
                return Conditions.like(column, text(c, target, lookup, value, "", "%"));
            case ISTARTSWITH:
                return Comparison.create(column, "ILIKE", text(c, target, lookup, value, "", "%"));
            case ENDSWITH:
                return Conditions.like(column, text(c, target, lookup, value, "%", ""));
            case IENDSWITH:
                return Comparison.create(column, "ILIKE", text(c, target, lookup, value, "%", ""));
            case ISNULL:
                if (!(value instanceof Boolean isNull)) {
                    throw new IllegalArgumentException(target.path() + "__isnull needs true or false, got "
                            + (value == null ? "null" : value.getClass().getSimpleName()));
                }
                return isNull ? Conditions.isNull(column) : Conditions.isNull(column).not();
            default:
                throw new IllegalStateException("Unhandled lookup " + lookup);
        }
    }

    private static Expression operand(QueryCompiler c, Target target, boolean datePart, Object value) {
        if (datePart && !(value instanceof F)) {
            if (!(value instanceof Number number)) {
                throw new IllegalArgumentException(target.path() + ": a year, month or day is compared with a number,"
                        + " got " + value.getClass().getSimpleName());
            }
            return c.bind(number.doubleValue(), Double.class);
        }
        return c.value(target, value);
    }

    private static Object required(Target target, Lookup lookup, @Nullable Object value) {
        if (value == null) {
            throw new IllegalArgumentException(target.path() + "__" + lookup.lookupName() + " needs a value, not null"
                    + " (use __isnull)");
        }
        return value;
    }

    private static List<Object> elements(Target target, Lookup lookup, @Nullable Object value) {
        List<Object> list = new ArrayList<>();
        if (value instanceof Collection<?> collection) {
            list.addAll(collection);
        } else if (value != null && value.getClass().isArray()) {
            for (int i = 0; i < Array.getLength(value); i++) {
                list.add(Array.get(value, i));
            }
        } else {
            throw new IllegalArgumentException(target.path() + "__" + lookup.lookupName()
                    + " needs a collection or an array of values");
        }
        for (Object element : list) {
            if (element == null) {
                throw new IllegalArgumentException(target.path() + "__" + lookup.lookupName()
                        + " cannot compare with null (use __isnull)");
            }
        }
        return list;
    }

    private static Expression text(QueryCompiler c, Target target, Lookup lookup, @Nullable Object value,
            String before, String after) {
        Object text = required(target, lookup, value);
        if (text instanceof F) {
            throw new IllegalArgumentException(target.path() + "__" + lookup.lookupName() + " needs a text value");
        }
        String string = text.toString();
        if (!before.isEmpty() || !after.isEmpty()) {
            string = before + string.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + after;
        }
        return c.bind(string, String.class);
    }
}
