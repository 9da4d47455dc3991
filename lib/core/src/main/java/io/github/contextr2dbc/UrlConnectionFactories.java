package io.github.contextr2dbc;

import java.util.Map;
import java.util.function.Supplier;

import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.r2dbc.spi.Option;

/**
 * The connection factories of an R2DBC URL given to {@link DatabaseBuilder#url(String)}: one per host,
 * every other part of the URL kept. Error messages never quote the URL's password.
 */
final class UrlConnectionFactories {

    private final String url;

    private final ConnectionFactoryOptions options;

    private final String host;

    /** The names of the options given to {@link DatabaseBuilder#option(Option, Object)}, for error messages. */
    private final String extraNames;

    private UrlConnectionFactories(String url, ConnectionFactoryOptions options, String host, String extraNames) {
        this.url = url;
        this.options = options;
        this.host = host;
        this.extraNames = extraNames;
    }

    /**
     * Parses {@code url}.
     *
     * @throws IllegalArgumentException if the URL cannot be parsed or names no host
     */
    static UrlConnectionFactories parse(String url) {
        if (url == null) {
            throw new IllegalArgumentException("url(...) needs an R2DBC URL, e.g. "
                    + "r2dbc:postgresql://app@localhost:5432/shop");
        }
        ConnectionFactoryOptions options;
        try {
            options = ConnectionFactoryOptions.parse(url);
        } catch (RuntimeException e) {
            // the SPI's message repeats the URL as given, password included: neither it nor the
            // exception is passed on
            throw new IllegalArgumentException("Not an R2DBC URL: " + RedactedUrl.of(url) + "; expected "
                    + "r2dbc:DRIVER://[user[:password]@]host[:port]/database, e.g. "
                    + "r2dbc:postgresql://app@localhost:5432/shop");
        }
        Object host = options.getValue(ConnectionFactoryOptions.HOST);
        if (host == null || host.toString().isBlank()) {
            throw new IllegalArgumentException("The R2DBC URL " + RedactedUrl.of(url) + " names no host; add "
                    + "one, e.g. r2dbc:postgresql://app@localhost:5432/shop");
        }
        Object port = options.getValue(ConnectionFactoryOptions.PORT);
        return new UrlConnectionFactories(url, options, port == null ? host.toString() : host + ":" + port, "");
    }

    /**
     * The same URL with {@code password} as the driver's password option, a supplier the driver asks for each
     * new connection (routing, issue 13: rotating credentials).
     */
    UrlConnectionFactories withPassword(Supplier<? extends CharSequence> password) {
        Supplier<CharSequence> supplier = password::get;
        return new UrlConnectionFactories(this.url, this.options.mutate()
                .option(Option.<Object>valueOf("password"), supplier).build(), this.host, this.extraNames);
    }

    /**
     * The same URL with {@code extra} on top of its options (each replaces the URL's value of the same option):
     * {@link DatabaseBuilder#option(Option, Object)}.
     */
    @SuppressWarnings("unchecked")
    UrlConnectionFactories withOptions(Map<Option<?>, Object> extra) {
        if (extra.isEmpty()) {
            return this;
        }
        ConnectionFactoryOptions.Builder builder = this.options.mutate();
        extra.forEach((option, value) -> builder.option((Option<Object>) option, value));
        return new UrlConnectionFactories(this.url, builder.build(), this.host,
                extra.keySet().stream().map(Option::name).sorted().toList().toString());
    }

    /** The URL's host ({@code host} or {@code host:port}). */
    String host() {
        return this.host;
    }

    /** A factory for the URL with {@code target} ({@code host} or {@code host:port}) as its host. */
    ConnectionFactory forHost(String target) {
        try {
            return ConnectionFactories.get(optionsFor(target));
        } catch (RuntimeException e) {
            // a driver's message may quote the options it refused (some print their values)
            throw new IllegalArgumentException("No R2DBC driver accepts " + RedactedUrl.of(this.url) + " ("
                    + e.getClass().getSimpleName() + "); check the driver name after r2dbc: (is its jar on "
                    + "the class path?) and the URL's options" + (this.extraNames.isEmpty() ? ""
                    : " and those given to option(...) " + this.extraNames)
                    + ", e.g. r2dbc:postgresql://app@localhost:5432/shop");
        }
    }

    /** The options a factory for {@code target} ({@code host} or {@code host:port}) is made with. */
    ConnectionFactoryOptions optionsFor(String target) {
        ConnectionFactoryOptions.Builder builder = this.options.mutate();
        int colon = target.lastIndexOf(':');
        boolean bracketedIpv6 = target.startsWith("[");
        if (colon > 0 && (!bracketedIpv6 || target.lastIndexOf(']') < colon)) {
            builder.option(ConnectionFactoryOptions.HOST, target.substring(0, colon));
            try {
                builder.option(ConnectionFactoryOptions.PORT, Integer.parseInt(target.substring(colon + 1)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Not a host:port: " + target, e);
            }
        } else {
            builder.option(ConnectionFactoryOptions.HOST, target);
        }
        return builder.build();
    }
}
