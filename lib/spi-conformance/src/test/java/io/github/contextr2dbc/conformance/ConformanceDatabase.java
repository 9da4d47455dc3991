package io.github.contextr2dbc.conformance;

import io.github.contextr2dbc.launcher.PostgresPair;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.jdbc.core.JdbcOperations;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * A fresh database on the shared primary for one TestKit class: its R2DBC URL and driver, and the
 * {@link JdbcOperations} TestKit sets up and checks its tables with (plain JDBC, on the test thread).
 */
final class ConformanceDatabase {

    final String url;

    final JdbcOperations jdbc;

    ConformanceDatabase(String prefix) {
        PostgresPair pair = PostgresPair.shared();
        String name = pair.createDatabase(prefix);
        this.url = pair.primaryUrl(name);
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setServerNames(new String[] {pair.host()});
        dataSource.setPortNumbers(new int[] {pair.primaryPort()});
        dataSource.setDatabaseName(name);
        dataSource.setUser(pair.username());
        dataSource.setPassword(pair.password());
        // a test that leaves a transaction open must fail TestKit's DROP TABLE, not hang it
        dataSource.setOptions("-c lock_timeout=10s");
        this.jdbc = new JdbcTemplate(dataSource);
    }

    /** The plain (unpooled) r2dbc-postgresql factory of this database. */
    ConnectionFactory driver() {
        return ConnectionFactories.get(this.url);
    }
}
