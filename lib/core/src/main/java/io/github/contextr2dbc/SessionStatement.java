package io.github.contextr2dbc;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Consumer;

import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;

/**
 * Checks each call when it is made, as the SPI says (an argument error throws at the call, not at
 * {@code execute()}), records the bindings, then runs them on the session's connection when executed.
 * On PostgreSQL the statement's {@code $n} placeholders are counted up front, so that an index or name
 * out of range and an incomplete binding are refused at the call too; with another driver, bindings are
 * checked for null arguments only and passed on as made.
 */
final class SessionStatement implements Statement {

    private final ContextSession session;

    private final String sql;

    /** The statement's parameter count; -1 if unknown (not PostgreSQL): calls are then recorded as made. */
    private final int parameters;

    /** The bindings of the current row (a {@link NullValue} for {@code bindNull}); null until the first bind. */
    private Object @Nullable [] current;

    /** The rows finished by {@code add()}; null until the first. */
    @Nullable
    private List<Object[]> rows;

    /** With an unknown parameter count: the calls, replayed in order. */
    @Nullable
    private List<Consumer<Statement>> calls;

    private String @Nullable [] generatedColumns;

    private int fetchSize = -1;

    SessionStatement(ContextSession session, String sql, int parameters) {
        this.session = session;
        this.sql = sql;
        this.parameters = parameters;
    }

    @Override
    public Statement add() {
        if (this.parameters < 0) {
            record(Statement::add);
            return this;
        }
        Object[] row = this.current;
        if (row == null && this.parameters > 0) {
            throw new IllegalStateException("add() with nothing bound: bind " + placeholders(this.parameters)
                    + " first, then add() to start the next set of bindings");
        }
        requireComplete(row, "add()");
        rows().add(row == null ? new Object[0] : row);
        this.current = null;
        return this;
    }

    @Override
    public Statement bind(int index, Object value) {
        requireValue(value, index);
        if (this.parameters < 0) {
            record(statement -> statement.bind(index, value));
        } else {
            set(index, value);
        }
        return this;
    }

    @Override
    public Statement bind(String name, Object value) {
        requireName(name, "bind");
        requireValue(value, name);
        if (this.parameters < 0) {
            record(statement -> statement.bind(name, value));
        } else {
            set(indexOf(name), value);
        }
        return this;
    }

    @Override
    public Statement bindNull(int index, Class<?> type) {
        requireType(type, index);
        if (this.parameters < 0) {
            record(statement -> statement.bindNull(index, type));
        } else {
            set(index, new NullValue(type));
        }
        return this;
    }

    @Override
    public Statement bindNull(String name, Class<?> type) {
        requireName(name, "bindNull");
        requireType(type, name);
        if (this.parameters < 0) {
            record(statement -> statement.bindNull(name, type));
        } else {
            set(indexOf(name), new NullValue(type));
        }
        return this;
    }

    @Override
    public Statement returnGeneratedValues(String... columns) {
        if (columns == null) {
            throw new IllegalArgumentException("returnGeneratedValues(null): pass no argument for every generated "
                    + "column, or the column names");
        }
        for (String column : columns) {
            if (column == null) {
                throw new IllegalArgumentException("returnGeneratedValues(...) got a null column name");
            }
        }
        this.generatedColumns = columns.clone();
        return this;
    }

    @Override
    public Statement fetchSize(int rows) {
        if (rows < 0) {
            throw new IllegalArgumentException("fetchSize must be 0 (the driver's default) or more (got " + rows + ")");
        }
        this.fetchSize = rows;
        return this;
    }

    @Override
    public Publisher<? extends Result> execute() {
        Consumer<Statement> bindings = takeBindings();
        String[] generatedColumns = this.generatedColumns;
        int fetchSize = this.fetchSize;
        RuntimeException refused = StatementGuard.refusal(this.session, this.sql);
        if (refused != null) {
            return Flux.error(refused);
        }
        return this.session.withConnection(connection -> {
            StatementGuard.sending(this.session, this.sql);
            Statement statement = connection.createStatement(this.sql);
            bindings.accept(statement);
            if (generatedColumns != null) {
                statement.returnGeneratedValues(generatedColumns);
            }
            if (fetchSize >= 0) {
                statement.fetchSize(fetchSize);
            }
            return Flux.from(statement.execute());
        });
    }

    /**
     * The recorded bindings, checked complete, as one step to run on the driver's statement; the statement starts
     * afresh.
     */
    private Consumer<Statement> takeBindings() {
        if (this.parameters < 0) {
            List<Consumer<Statement>> recorded = this.calls == null ? List.of() : List.copyOf(this.calls);
            this.calls = null;
            return statement -> recorded.forEach(call -> call.accept(statement));
        }
        Object[] row = this.current;
        List<Object[]> finished = this.rows;
        if (row == null && finished != null) {
            throw new IllegalStateException("execute() after add() with nothing bound since: add() ends a set of "
                    + "bindings and starts the next one; call it between sets, not after the last");
        }
        if (row == null && this.parameters > 0) {
            throw new IllegalStateException("execute() with nothing bound: the statement has " + this.parameters
                    + " parameter(s); bind " + placeholders(this.parameters) + " first");
        }
        requireComplete(row, "execute()");
        this.current = null;
        this.rows = null;
        if (finished == null) {
            return row == null ? statement -> { } : statement -> bindRow(statement, row);
        }
        if (row != null) {
            finished.add(row);
        }
        return statement -> {
            for (int i = 0; i < finished.size(); i++) {
                if (i > 0) {
                    statement.add();
                }
                bindRow(statement, finished.get(i));
            }
        };
    }

    private void set(int index, Object value) {
        if (index < 0 || index >= this.parameters) {
            throw new IndexOutOfBoundsException("Parameter index " + index + " is out of range: the statement has "
                    + this.parameters + " parameter(s)" + (this.parameters > 0 ? ", indexes 0 to "
                    + (this.parameters - 1) + " for " + placeholders(this.parameters) : "") + ": " + this.sql);
        }
        Object[] row = this.current;
        if (row == null) {
            row = new Object[this.parameters];
            this.current = row;
        }
        row[index] = value;
    }

    private int indexOf(String name) {
        if (name.length() > 1 && name.charAt(0) == '$') {
            try {
                int number = Integer.parseInt(name, 1, name.length(), 10);
                if (number >= 1 && number <= this.parameters) {
                    return number - 1;
                }
            } catch (NumberFormatException notANumber) {
                // not a placeholder: refused below
            }
        }
        throw new NoSuchElementException("The statement has no placeholder \"" + name + "\": its placeholders are "
                + (this.parameters > 0 ? placeholders(this.parameters) : "none") + " (PostgreSQL numbers them $1, "
                + "$2, ...; bind by that name or by index from 0): " + this.sql);
    }

    private void requireComplete(Object @Nullable [] row, String call) {
        if (row == null) {
            return;
        }
        StringBuilder missing = null;
        for (int i = 0; i < row.length; i++) {
            if (row[i] == null) {
                missing = missing == null ? new StringBuilder() : missing.append(", ");
                missing.append('$').append(i + 1);
            }
        }
        if (missing != null) {
            throw new IllegalStateException(call + " with an incomplete binding: " + missing + " not bound. Bind "
                    + "every parameter (bindNull for SQL NULL): " + this.sql);
        }
    }

    private void record(Consumer<Statement> call) {
        List<Consumer<Statement>> recorded = this.calls;
        if (recorded == null) {
            recorded = new ArrayList<>(4);
            this.calls = recorded;
        }
        recorded.add(call);
    }

    private List<Object[]> rows() {
        List<Object[]> finished = this.rows;
        if (finished == null) {
            finished = new ArrayList<>(4);
            this.rows = finished;
        }
        return finished;
    }

    /** A {@code bindNull} recorded in a row of bindings. */
    private static final class NullValue {

        final Class<?> type;

        NullValue(Class<?> type) {
            this.type = type;
        }
    }

    private static void bindRow(Statement statement, Object[] row) {
        for (int i = 0; i < row.length; i++) {
            Object value = row[i];
            if (value instanceof NullValue) {
                statement.bindNull(i, ((NullValue) value).type);
            } else {
                statement.bind(i, value);
            }
        }
    }

    private static String placeholders(int count) {
        return count == 1 ? "$1" : "$1 to $" + count;
    }

    private static void requireName(@Nullable String name, String call) {
        if (name == null) {
            throw new IllegalArgumentException(call + "(null, ...): a placeholder name must not be null, e.g. \"$1\"");
        }
    }

    /** A value to bind: not null, not a Class (a mistaken {@code bind(0, Integer.class)} for {@code bindNull}). */
    private static void requireValue(@Nullable Object value, Object identifier) {
        if (value == null) {
            throw new IllegalArgumentException("bind(" + quoted(identifier)
                    + ", null): the value must not be null; for "
                    + "SQL NULL call bindNull(" + quoted(identifier) + ", type), e.g. with Integer.class");
        }
        if (value instanceof Class) {
            throw new IllegalArgumentException("bind(" + quoted(identifier) + ", " + ((Class<?>) value).getSimpleName()
                    + ".class) binds a Class, which is not a value; for a typed SQL NULL call bindNull("
                    + quoted(identifier) + ", " + ((Class<?>) value).getSimpleName() + ".class)");
        }
    }

    private static void requireType(@Nullable Class<?> type, Object identifier) {
        if (type == null) {
            throw new IllegalArgumentException("bindNull(" + quoted(identifier) + ", null): the type must not be null, "
                    + "e.g. bindNull(" + quoted(identifier) + ", Integer.class)");
        }
    }

    private static String quoted(Object identifier) {
        return identifier instanceof String ? "\"" + identifier + "\"" : identifier.toString();
    }
}
