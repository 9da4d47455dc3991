package io.github.contextr2dbc.test;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tables a test's statements write, as far as their text says ({@code INSERT INTO t}, {@code UPDATE t},
 * {@code DELETE FROM t}, {@code MERGE INTO t}, {@code COPY t}); names are kept as written (quoted or not).
 * Words that follow {@code UPDATE} in {@code DO UPDATE SET} and {@code FOR UPDATE} are not tables; whatever
 * else is caught that is not a table is dropped when the tables are emptied (they are looked up first).
 */
final class TouchedTables {

    private static final String NAME = "(?:\"(?:[^\"]|\"\")+\"|[\\p{L}_][\\p{L}\\p{N}_$]*)";

    private static final Pattern WRITE = Pattern.compile("(?is)(?<![\\p{L}\\p{N}_$])(?:insert\\s+into|update"
            + "|delete\\s+from|merge\\s+into|copy)\\s+(?:only\\s+)?(" + NAME + "(?:\\s*\\.\\s*" + NAME + ")?)");

    private static final Pattern NOT_A_TABLE_BEFORE = Pattern.compile("(?is).*(?:\\bdo|\\bfor|\\bkey)\\s*$");

    private final Set<String> tables = new LinkedHashSet<>();

    void record(String sql) {
        Matcher matcher = WRITE.matcher(sql);
        while (matcher.find()) {
            String table = matcher.group(1).replaceAll("\\s+", "");
            if (table.equalsIgnoreCase("set") || table.equalsIgnoreCase("skip") || table.equalsIgnoreCase("nowait")
                    || table.equalsIgnoreCase("of")) {
                continue;
            }
            String before = sql.substring(Math.max(0, matcher.start() - 12), matcher.start());
            if (NOT_A_TABLE_BEFORE.matcher(before).matches()) {
                continue;
            }
            synchronized (this.tables) {
                this.tables.add(table);
            }
        }
    }

    List<String> tables() {
        synchronized (this.tables) {
            return new ArrayList<>(this.tables);
        }
    }
}
