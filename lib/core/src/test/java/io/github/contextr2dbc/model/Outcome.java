package io.github.contextr2dbc.model;

import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * What a program did: the rows it left in each database's {@code item} table (besides the 0 that is always
 * there), the commit hooks that ran in order, the errors its {@code try}s caught in order, and how the
 * program's unit of work ended ({@code null}: completed, i.e. committed).
 */
record Outcome(List<List<Integer>> rows, List<String> hooks, List<String> caught, Op.@Nullable Category result) {

    Outcome {
        rows = List.copyOf(rows);
        hooks = List.copyOf(hooks);
        caught = List.copyOf(caught);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (int db = 0; db < this.rows.size(); db++) {
            text.append("    rows db").append(db).append(": ").append(this.rows.get(db)).append('\n');
        }
        text.append("    hooks ran: ").append(this.hooks).append('\n');
        text.append("    caught:    ").append(this.caught).append('\n');
        text.append("    result:    ").append(this.result == null ? "completed (committed)" : "error " + this.result);
        return text.toString();
    }
}
