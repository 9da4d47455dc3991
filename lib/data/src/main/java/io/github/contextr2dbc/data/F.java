package io.github.contextr2dbc.data;

import java.util.ArrayList;
import java.util.List;

/**
 * A reference to a column's current value in the database, as Django's {@code F}: in an update,
 * {@code update(Map.of("balance", F.of("balance").plus(amount)))} runs
 * {@code SET balance = balance + $1} in one statement (no lost update under concurrency); in a filter,
 * {@code filter("stock__lt", F.of("reserved"))} compares two columns. Operands are bound as parameters or
 * are other {@code F}s. Immutable.
 */
public final class F {

    /** One arithmetic step: an operator and its operand (a value or an {@link F}). */
    record Step(String operator, Object operand) {
    }

    final String field;

    final List<Step> steps;

    private F(String field, List<Step> steps) {
        this.field = field;
        this.steps = steps;
    }

    /**
     * The column of {@code field} (a property name of the entity).
     *
     * @throws IllegalArgumentException if {@code field} is null or blank
     */
    public static F of(String field) {
        if (field == null || field.isBlank()) {
            throw new IllegalArgumentException("F.of(field) needs a property name");
        }
        return new F(field, List.of());
    }

    /** The column of {@code property}, in the typed form: {@code F.of(Account::getBalance)}. */
    public static F of(Property<?, ?> property) {
        return of(property.propertyName());
    }

    /** This plus {@code operand} (a value or an {@link F}). */
    public F plus(Object operand) {
        return step("+", operand);
    }

    /** This minus {@code operand}. */
    public F minus(Object operand) {
        return step("-", operand);
    }

    /** This times {@code operand}. */
    public F times(Object operand) {
        return step("*", operand);
    }

    /** This divided by {@code operand}. */
    public F dividedBy(Object operand) {
        return step("/", operand);
    }

    private F step(String operator, Object operand) {
        if (operand == null) {
            throw new IllegalArgumentException("An F expression's operand must not be null");
        }
        List<Step> next = new ArrayList<>(this.steps);
        next.add(new Step(operator, operand));
        return new F(this.field, List.copyOf(next));
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("F(").append(this.field);
        for (Step step : this.steps) {
            Object operand = step.operand() instanceof F ? step.operand() : "?";
            text.append(' ').append(step.operator()).append(' ').append(operand);
        }
        return text.append(')').toString();
    }
}
