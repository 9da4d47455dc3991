package io.github.contextr2dbc.bench;

import io.github.contextr2dbc.launcher.DirectSql;
import io.github.contextr2dbc.launcher.PostgresPair;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;

/**
 * A fresh database on the primary of the JVM's shared PostgreSQL pair ({@link PostgresPair#shared()}),
 * with the {@link Workload} schema and rows: one per benchmark trial, so that no trial sees another's
 * inserts. Blocking: for {@code @Setup} and tests only.
 */
public final class BenchDatabase {

    private final PostgresPair pair;

    private final String name;

    private final String url;

    private BenchDatabase(PostgresPair pair, String name) {
        this.pair = pair;
        this.name = name;
        this.url = pair.primaryUrl(name);
    }

    /** Creates the database (starting the pair if this JVM has none yet) and loads the schema and rows. */
    public static BenchDatabase create() {
        PostgresPair pair = PostgresPair.shared();
        BenchDatabase database = new BenchDatabase(pair, pair.createDatabase("bench"));
        database.execute(Workload.SCHEMA);
        return database;
    }

    /** The database's name. */
    public String name() {
        return this.name;
    }

    /** The R2DBC URL of the database on the primary. */
    public String url() {
        return this.url;
    }

    /** The pair the database lives on. */
    public PostgresPair pair() {
        return this.pair;
    }

    /** A plain (unpooled) r2dbc-postgresql connection factory for the database. */
    public ConnectionFactory connectionFactory() {
        return ConnectionFactories.get(this.url);
    }

    /** Runs statements in auto-commit mode on a connection of their own. */
    public void execute(String... statements) {
        new DirectSql(this.url).execute(statements);
    }

    /** The first column of the first row of {@code sql}, as a long (0 if there is no row). */
    public long queryLong(String sql) {
        return new DirectSql(this.url).queryLong(sql);
    }
}
