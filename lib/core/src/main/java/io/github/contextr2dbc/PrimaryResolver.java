package io.github.contextr2dbc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTransientResourceException;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Finds which of several candidate hosts is the primary now ({@code pg_is_in_recovery()} false) and keeps a
 * {@link Database} on it, through the database's {@code beforeSession} hook and {@link Database#changeHost(String)}:
 *
 * <pre>{@code
 * PrimaryResolver resolver = PrimaryResolver.of(List.of("db1:5432", "db2:5432"),
 *         host -> ConnectionFactories.get("r2dbc:postgresql://app:secret@" + host + "/shop"));
 * Database main = Database.builder("main")
 *         .connectionFactory("db1:5432", resolver::connectionFactory)
 *         .beforeSession(resolver::beforeSession)
 *         .build();
 * }</pre>
 *
 * <p>The answer is cached: a session costs nothing more than a volatile read until something fails. Connecting to
 * the current host failing as unreachable (connection refused, reset, timed out: an R2DBC resource exception)
 * marks the answer stale, and the failing acquisition ends with a {@link PrimaryUnavailableException} (the web layer
 * answers 503). So does a statement on the current host refused as read-only (SQLSTATE 25006: the old primary came
 * back as a standby), seen on the connections this resolver's factory makes; that statement's error is passed on
 * unchanged (a 503 {@code read-only} problem on the web). The next session then asks every candidate, one short
 * connection each (one resolution at a time, shared by every session waiting for it); the first that is not in
 * recovery becomes the database's host. If none is, that session fails at once with
 * {@link PrimaryUnavailableException} and the next one asks again.
 * {@link #markStale()} forces the same from outside.
 *
 * <p>What r2dbc-postgresql offers by itself, and where this differs: a URL with several hosts and
 * {@code targetServerType=primary}
 * ({@code r2dbc:postgresql:failover://db1:5432,db2:5432/shop?targetServerType=primary})
 * makes every new connection look for a writable host ({@code SHOW transaction_read_only}), caching each host's
 * state for {@code hostRecheckTime}. That works with a {@link Database} built from such a URL too; this resolver adds
 * a database-level answer (one pool per primary, the old pool drained and disposed by {@code changeHost}), errors
 * that say there is no primary instead of the last host's connection error, and a check that does not depend on
 * {@code default_transaction_read_only}.
 */
public final class PrimaryResolver {

    private static final Logger log = LoggerFactory.getLogger(PrimaryResolver.class);

    private final List<String> candidates;

    private final Function<String, ConnectionFactory> creator;

    /** A factory per candidate, made when the resolver is built (finding a driver may read jar files). */
    private final Map<String, ConnectionFactory> factories = new LinkedHashMap<>();

    private final Duration checkTimeout;

    /** The host known to be the primary, or null when it must be looked for. */
    private volatile @Nullable String primary;

    private final AtomicReference<Mono<String>> resolving = new AtomicReference<>();

    private PrimaryResolver(List<String> candidates, Function<String, ConnectionFactory> creator,
            Duration checkTimeout) {
        this.candidates = candidates;
        this.creator = creator;
        this.checkTimeout = checkTimeout;
        for (String host : candidates) {
            this.factories.put(host, creator.apply(host));
        }
    }

    /**
     * A resolver over {@code candidates} ({@code host:port}), connecting through {@code creator} (an unpooled
     * factory per host, called now for each candidate; it must not connect). Each check gets 2 seconds.
     *
     * @throws IllegalArgumentException if there is no candidate
     */
    public static PrimaryResolver of(List<String> candidates, Function<String, ConnectionFactory> creator) {
        return of(candidates, creator, Duration.ofSeconds(2));
    }

    /** Like {@link #of(List, Function)}, each host's check limited to {@code checkTimeout}. */
    public static PrimaryResolver of(List<String> candidates, Function<String, ConnectionFactory> creator,
            Duration checkTimeout) {
        if (candidates == null || candidates.isEmpty()) {
            throw new IllegalArgumentException("PrimaryResolver needs candidate hosts, e.g. List.of(\"db1:5432\", "
                    + "\"db2:5432\")");
        }
        return new PrimaryResolver(List.copyOf(candidates), Objects.requireNonNull(creator, "creator"),
                Objects.requireNonNull(checkTimeout, "checkTimeout"));
    }

    /** The host last found to be the primary, or null if it is to be looked for. */
    @Nullable
    public String primary() {
        return this.primary;
    }

    /** Forgets the primary: the next session looks for it again. */
    public void markStale() {
        this.primary = null;
    }

    /**
     * For {@link DatabaseBuilder#beforeSession}: nothing while the primary is known and is {@code db}'s host;
     * otherwise finds the primary and switches {@code db} to it.
     *
     * @return a {@link Mono}: complete once {@code db} is on the primary; error: {@link PrimaryUnavailableException}
     * if no candidate is a primary now; cancel: a resolution under way finishes for the other sessions waiting on it
     */
    public Mono<Void> beforeSession(Database db) {
        String known = this.primary;
        if (known != null && known.equals(db.host())) {
            return Mono.empty();
        }
        if (known != null) {
            return db.changeHost(known);
        }
        return sharedResolution().flatMap(db::changeHost);
    }

    /**
     * For {@link DatabaseBuilder#connectionFactory(String, Function)}: the creator's factory for {@code host},
     * whose failures to connect mark the primary stale and end as {@link PrimaryUnavailableException}, and whose
     * connections mark it stale when a statement is refused as read-only (SQLSTATE 25006). The connections are
     * the driver's, wrapped ({@link io.r2dbc.spi.Wrapped#unwrap()} gives the driver's).
     */
    public ConnectionFactory connectionFactory(String host) {
        ConnectionFactory known = this.factories.get(host);
        ConnectionFactory factory = known != null ? known : this.creator.apply(host);
        return new ConnectionFactory() {
            @Override
            public Publisher<? extends Connection> create() {
                return Mono.from(factory.create()).<Connection>map(connection ->
                        new PrimaryConnection(connection, () -> refusedAsReadOnly(host))
                ).onErrorMap(PrimaryResolver::unreachable, error -> {
                    if (host.equals(PrimaryResolver.this.primary)) {
                        log.warn("The primary {} cannot be reached ({}): looking for the primary again", host,
                                error.toString());
                        markStale();
                    }
                    return new PrimaryUnavailableException("The primary " + host + " cannot be reached; the next "
                            + "session looks for the primary among " + PrimaryResolver.this.candidates, error);
                });
            }

            @Override
            public ConnectionFactoryMetadata getMetadata() {
                return factory.getMetadata();
            }
        };
    }

    /**
     * A statement on {@code host} was refused as read-only (SQLSTATE 25006): if that host is the known primary, it
     * is not any more (an old primary back as a standby); the next session looks for the primary. A healthy
     * primary refusing a write in a {@code READ ONLY} transaction costs one needless look (it finds the same
     * host, and nothing changes).
     */
    private void refusedAsReadOnly(String host) {
        if (host.equals(this.primary)) {
            log.warn("The primary {} refused a statement as read-only (SQLSTATE 25006): looking for the primary "
                    + "again", host);
            markStale();
        }
    }

    private static boolean unreachable(Throwable error) {
        return error instanceof R2dbcNonTransientResourceException || error instanceof R2dbcTransientResourceException
                || !(error instanceof R2dbcException);
    }

    /** One resolution at a time, shared by every session waiting for it. */
    private Mono<String> sharedResolution() {
        Mono<String> current = this.resolving.get();
        if (current != null) {
            return current;
        }
        AtomicReference<Mono<String>> self = new AtomicReference<>();
        Mono<String> created = resolve()
                .doOnTerminate(() -> this.resolving.compareAndSet(self.get(), null))
                .cache();
        self.set(created);
        return this.resolving.compareAndSet(null, created) ? created : Mono.defer(this::sharedResolution);
    }

    /**
     * Asks every candidate, in order, whether it is in recovery; the first that is not is the primary.
     *
     * @return a cold {@link Mono} of the primary's host; error: {@link PrimaryUnavailableException} naming what each
     * candidate answered
     */
    public Mono<String> resolve() {
        List<String> answers = new ArrayList<>();
        return Flux.fromIterable(this.candidates)
                .concatMap(host -> isPrimary(host)
                        .doOnNext(primary -> answers.add(host + ": " + (primary ? "primary" : "in recovery")))
                        .onErrorResume(error -> {
                            answers.add(host + ": " + error.getClass().getSimpleName());
                            return Mono.just(false);
                        })
                        .filter(Boolean::booleanValue)
                        .map(primary -> host))
                .next()
                .doOnNext(host -> {
                    log.info("The primary is {} ({})", host, answers);
                    this.primary = host;
                })
                .switchIfEmpty(Mono.error(() -> new PrimaryUnavailableException("No primary among the candidates "
                        + answers + "; retry later (a standby may be being promoted)", null)));
    }

    private Mono<Boolean> isPrimary(String host) {
        return Mono.usingWhen(
                        Mono.from(this.factories.get(host).create()),
                        connection -> Flux.from(connection.createStatement("SELECT pg_is_in_recovery()").execute())
                                .concatMap(result -> result.map(row -> !Boolean.TRUE.equals(row.get(0, Boolean.class))))
                                .next(),
                        Connection::close,
                        (connection, error) -> connection.close(),
                        Connection::close)
                .timeout(this.checkTimeout);
    }
}
