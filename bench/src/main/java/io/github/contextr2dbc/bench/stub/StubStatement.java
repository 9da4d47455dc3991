package io.github.contextr2dbc.bench.stub;

import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import reactor.core.publisher.Mono;

/**
 * A statement of {@link StubConnection}: one shared, stateless instance per kind of answer (bindings are
 * ignored), so that the stub allocates nothing per statement.
 */
final class StubStatement implements Statement {

    private static final StubStatement ROWS = new StubStatement(StubResult.ONE_ROW);

    private static final StubStatement UPDATE = new StubStatement(StubResult.UPDATE);

    private final Mono<Result> execution;

    private StubStatement(Result result) {
        this.execution = Mono.just(result);
    }

    static StubStatement of(String sql) {
        boolean rows = sql.regionMatches(true, 0, "SELECT", 0, 6) || containsIgnoreCase(sql, " RETURNING ");
        return rows ? ROWS : UPDATE;
    }

    /** Without allocating (the stub must not add to what the benchmarks measure). */
    private static boolean containsIgnoreCase(String text, String part) {
        for (int at = 0; at + part.length() <= text.length(); at++) {
            if (text.regionMatches(true, at, part, 0, part.length())) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Statement add() {
        return this;
    }

    @Override
    public Statement bind(int index, Object value) {
        return this;
    }

    @Override
    public Statement bind(String name, Object value) {
        return this;
    }

    @Override
    public Statement bindNull(int index, Class<?> type) {
        return this;
    }

    @Override
    public Statement bindNull(String name, Class<?> type) {
        return this;
    }

    @Override
    public Statement returnGeneratedValues(String... columns) {
        return ROWS;
    }

    @Override
    public Mono<Result> execute() {
        return this.execution;
    }
}
