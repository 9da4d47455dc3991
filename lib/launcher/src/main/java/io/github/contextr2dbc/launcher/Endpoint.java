package io.github.contextr2dbc.launcher;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;

/**
 * Where one PostgreSQL server is and how to log in to it; builds its R2DBC URLs and plain connection
 * factories.
 *
 * @param host     host name or address
 * @param port     TCP port
 * @param user     user name
 * @param password password, {@code ""} for none
 * @param database default database
 * @param query    the URL's query string without {@code ?} (driver options), {@code ""} for none
 */
record Endpoint(String host, int port, String user, String password, String database, String query) {

    private static final String SCHEME = "r2dbc:postgresql://";

    Endpoint {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(query, "query");
    }

    /**
     * Reads an endpoint from an R2DBC URL such as {@code r2dbc:postgresql://user:pw@host:5432/db?sslMode=disable}.
     *
     * @param url  the URL
     * @param name what the URL is, for error messages (for example the environment variable's name)
     * @return the endpoint
     * @throws IllegalArgumentException if the URL is not a plain {@code r2dbc:postgresql://} URL with a host
     */
    static Endpoint parse(String url, String name) {
        ConnectionFactoryOptions options;
        try {
            options = ConnectionFactoryOptions.parse(url.trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(name + " is not an R2DBC URL: " + e.getMessage()
                    + "; expected r2dbc:postgresql://user:password@host:5432/database", e);
        }
        Object driver = options.getValue(ConnectionFactoryOptions.DRIVER);
        if (!"postgresql".equals(driver) || options.hasOption(ConnectionFactoryOptions.PROTOCOL)) {
            throw new IllegalArgumentException(name + " must be a plain r2dbc:postgresql:// URL (no pool), got "
                    + redact(url));
        }
        Object host = options.getValue(ConnectionFactoryOptions.HOST);
        if (host == null) {
            throw new IllegalArgumentException(name + " names no host: " + redact(url));
        }
        Object port = options.getValue(ConnectionFactoryOptions.PORT);
        Object user = options.getValue(ConnectionFactoryOptions.USER);
        Object password = options.getValue(ConnectionFactoryOptions.PASSWORD);
        Object database = options.getValue(ConnectionFactoryOptions.DATABASE);
        int queryStart = url.indexOf('?');
        return new Endpoint(host.toString(),
                port == null ? 5432 : Integer.parseInt(port.toString()),
                user == null ? "postgres" : user.toString(),
                password == null ? "" : password.toString(),
                database == null || database.toString().isEmpty() ? "postgres" : database.toString(),
                queryStart < 0 ? "" : url.substring(queryStart + 1).trim());
    }

    /**
     * Returns the R2DBC URL of the default database.
     *
     * @return the URL, with the password when there is one
     */
    String url() {
        return url(database);
    }

    /**
     * Returns the R2DBC URL of a database on this server.
     *
     * @param name the database
     * @return the URL, with the password when there is one
     */
    String url(String name) {
        Objects.requireNonNull(name, "database");
        StringBuilder url = new StringBuilder(SCHEME).append(encode(user));
        if (!password.isEmpty()) {
            url.append(':').append(encode(password));
        }
        url.append('@').append(host.indexOf(':') >= 0 ? '[' + host + ']' : host).append(':').append(port)
                .append('/').append(encode(name));
        if (!query.isEmpty()) {
            url.append('?').append(query);
        }
        return url.toString();
    }

    /**
     * Returns a plain (unpooled) connection factory for the default database.
     *
     * @return a new r2dbc-postgresql connection factory
     */
    ConnectionFactory connectionFactory() {
        return connectionFactory(database);
    }

    /**
     * Returns a plain (unpooled) connection factory for a database on this server.
     *
     * @param name the database
     * @return a new r2dbc-postgresql connection factory
     */
    ConnectionFactory connectionFactory(String name) {
        return ConnectionFactories.get(url(name));
    }

    /**
     * Describes the endpoint for log and error messages, without the password.
     *
     * @return {@code user@host:port/database}
     */
    @Override
    public String toString() {
        return user + "@" + host + ":" + port + "/" + database;
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String redact(String url) {
        return url.replaceAll("(://[^:/@]*:)[^@]*@", "$1***@");
    }
}
