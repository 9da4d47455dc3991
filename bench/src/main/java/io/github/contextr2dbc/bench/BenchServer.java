package io.github.contextr2dbc.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.contextr2dbc.DbSession;
import io.github.contextr2dbc.bench.server.InsertedRow;
import io.github.contextr2dbc.bench.server.InsertedRows;
import io.github.contextr2dbc.bench.server.ItemRow;
import io.github.contextr2dbc.bench.server.ItemRows;
import io.github.contextr2dbc.spring.Databases;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactoryOptions;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.data.r2dbc.repository.config.EnableR2dbcRepositories;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import reactor.netty.http.HttpResources;

/**
 * The servers of the HTTP comparison ({@link HttpComparison}): one Spring Boot WebFlux application, written as
 * a user writes one (annotated controllers, Boot's auto-configuration, Spring Data repositories found by
 * {@code @EnableR2dbcRepositories}), serving {@code GET /items/{id}} (the point read, the item as JSON),
 * {@code POST /items} (the insert, the generated id as JSON) and {@code GET /ping} ({@code pong}), in one of
 * five ways ({@code -Dbench.variant=…}):
 *
 * <ul>
 * <li>{@code raw-pipelined}: hand-written r2dbc-pool code in the handlers ({@link RawVariant}, {@code BEGIN}
 *     pipelined with the statement); {@code /ping} touches no database;
 * <li>{@code context}: context-r2dbc's auto-configured WebFilter (every request a unit of work, committed before
 *     the response), the handlers take a {@link DbSession} argument; {@code /ping} asks for nothing, so nothing
 *     is acquired;
 * <li>{@code context-data}: the same WebFilter, the handlers call Spring Data repositories (which run in the
 *     request's session);
 * <li>{@code tx-client}: a {@code @Transactional} controller ({@code R2dbcTransactionManager}, Boot's) with
 *     {@code DatabaseClient}; {@code /ping} is in the class's transaction too, so it takes a connection;
 * <li>{@code tx-data}: a {@code @Transactional} controller with the Spring Data repositories.
 * </ul>
 *
 * Every variant gets the pool of {@link BenchSettings} (16 connections, the acquire-timeout mode of
 * {@code -Dbench.acquire-timeout}): context-r2dbc through its {@code context-r2dbc.databases.main.*} properties,
 * the others through a {@link CountingConnectionFactory} bean, on which Boot builds its transaction manager,
 * {@code DatabaseClient} and repositories. {@code GET /bench/acquisitions} gives the pool acquisitions so far.
 *
 * <pre>{@code
 * java [JvmFlags] -Dbench.variant=context -Dbench.url=r2dbc:postgresql://… -Dserver.port=8080 \
 *     -cp benchmarks.jar io.github.contextr2dbc.bench.BenchServer
 * }</pre>
 * Event loops: the context-r2dbc variants follow the library's default, as any Boot application does
 * ({@code context-r2dbc.event-loops=server}: r2dbc-postgresql on the server's event loops);
 * {@code -Dbench.own-loops=true} gives them {@code context-r2dbc.event-loops=driver} (the driver's own
 * {@code reactor-tcp-*} loops).
 * {@code -Dbench.shared-loops=true}: the r2dbc-pool variants' driver connections run on the server's event loops
 * (Reactor Netty's {@code HttpResources}) instead of the driver's own, their default as for any hand-made pool.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@EnableR2dbcRepositories(basePackageClasses = ItemRows.class)
@Import({BenchServer.Pools.class, BenchServer.Acquisitions.class, BenchServer.RawController.class,
    BenchServer.ContextController.class, BenchServer.ContextDataController.class, BenchServer.TxClientController.class,
    BenchServer.TxDataController.class})
public class BenchServer {

    /**
     * The variants, as {@code -Dbench.variant} names them. (QuerySet placeholder, issue 17 item 5: a
     * {@code context-queryset} server, the WebFilter with lib/data's QuerySets, goes here once they exist.)
     */
    static final List<String> VARIANTS = List.of("raw-pipelined", "context", "context-data", "tx-client", "tx-data");

    static final String VARIANT = "bench.variant";

    static final String URL = "bench.url";

    static final String PONG = "pong";

    /** {@code true}: the context-r2dbc variants' driver on its own event loops, not the server's (the default). */
    static final String OWN_LOOPS = "bench.own-loops";

    /** {@code true}: the r2dbc-pool variants' driver on the server's event loops, not its own (the default). */
    static final String SHARED_LOOPS = "bench.shared-loops";

    public static void main(String[] args) {
        String variant = System.getProperty(VARIANT, "");
        String url = System.getProperty(URL, "");
        if (!VARIANTS.contains(variant) || url.isBlank()) {
            throw new IllegalArgumentException("-D" + VARIANT + "=" + String.join("|", VARIANTS) + " and -D" + URL
                    + "=<R2DBC URL> are required");
        }
        SpringApplication application = new SpringApplication(BenchServer.class);
        application.setDefaultProperties(properties(variant, url));
        application.run(args);
    }

    /** Boot properties of the variant: the server, and for context-r2dbc its database and pool. */
    static Map<String, Object> properties(String variant, String url) {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("server.address", "127.0.0.1");
        properties.put("spring.main.banner-mode", "off");
        properties.put("spring.r2dbc.url", "");
        if (variant.startsWith("context")) {
            String database = "context-r2dbc.databases.main.";
            properties.put(database + "url", url);
            properties.put(database + "default", "true");
            properties.put(database + "pool.max-size", BenchSettings.POOL_SIZE);
            properties.put(database + "pool.initial-size", 0);
            properties.put(database + "pool.acquire-timeout",
                    BenchSettings.AcquireTimeoutMode.current() == BenchSettings.AcquireTimeoutMode.NONE ? "0"
                            : BenchSettings.ACQUIRE_TIMEOUT.toString());
            properties.put(database + "pool.max-idle-time", BenchSettings.MAX_IDLE_TIME.toString());
            properties.put(database + "pool.max-life-time", BenchSettings.MAX_LIFE_TIME.toString());
            if (Boolean.getBoolean(OWN_LOOPS)) {
                properties.put("context-r2dbc.event-loops", "driver");
            }
        }
        return properties;
    }

    /**
     * The pool of the r2dbc-pool variants (raw and {@code @Transactional}); Boot builds its transaction manager,
     * {@code DatabaseClient} and repositories on it. Not closed by the context: the process ends with it.
     */
    @Configuration(proxyBeanMethods = false)
    static class Pools {

        @Bean(destroyMethod = "")
        @org.springframework.boot.autoconfigure.condition.ConditionalOnExpression(
                "!'${bench.variant}'.startsWith('context')")
        CountingConnectionFactory benchPool(org.springframework.core.env.Environment environment) {
            ConnectionFactoryOptions options = ConnectionFactoryOptions.parse(environment.getRequiredProperty(URL));
            if (Boolean.getBoolean(SHARED_LOOPS)) {
                options = options.mutate().option(PostgresqlConnectionFactoryProvider.LOOP_RESOURCES,
                        HttpResources.get()).build();
            }
            String variant = environment.getRequiredProperty(VARIANT);
            return new CountingConnectionFactory(new ConnectionPool(BenchSettings.pool(ConnectionFactories.get(options),
                    variant)));
        }
    }

    /** {@code GET /bench/acquisitions}: the pool acquisitions so far (outside any transaction). */
    @RestController
    static class Acquisitions {

        private final ObjectProvider<Databases> databases;

        private final ObjectProvider<CountingConnectionFactory> pool;

        Acquisitions(ObjectProvider<Databases> databases, ObjectProvider<CountingConnectionFactory> pool) {
            this.databases = databases;
            this.pool = pool;
        }

        @GetMapping("/bench/acquisitions")
        long acquisitions() {
            CountingConnectionFactory counting = this.pool.getIfAvailable();
            return counting != null ? counting.acquisitions() : this.databases.getObject().defaultDatabase()
                    .acquisitions();
        }
    }

    /** Hand-written r2dbc-pool code, {@code BEGIN} pipelined with the statement. */
    @RestController
    @ConditionalOnProperty(name = VARIANT, havingValue = "raw-pipelined")
    static class RawController {

        private final RawVariant raw;

        RawController(CountingConnectionFactory pool) {
            this.raw = new RawVariant(pool, true);
        }

        @GetMapping("/items/{id}")
        Mono<Item> one(@PathVariable int id) {
            return this.raw.read(id);
        }

        @PostMapping("/items")
        Mono<Long> create(@RequestBody NewItem item) {
            return this.raw.insert(item.name(), item.price());
        }

        @GetMapping("/ping")
        Mono<String> ping() {
            return Mono.just(PONG);
        }
    }

    /** context-r2dbc's WebFilter; the handlers run statements on the request's {@link DbSession}. */
    @RestController
    @ConditionalOnProperty(name = VARIANT, havingValue = "context")
    static class ContextController {

        @GetMapping("/items/{id}")
        Mono<Item> one(@PathVariable int id, DbSession session) {
            return session.sql(Workload.READ_SQL).bind(0, id).one(Item::of);
        }

        @PostMapping("/items")
        Mono<Long> create(@RequestBody NewItem item, DbSession session) {
            return session.sql(Workload.INSERT_SQL).bind(0, item.name()).bind(1, item.price())
                    .one(row -> row.get(0, Long.class));
        }

        @GetMapping("/ping")
        Mono<String> ping() {
            return Mono.just(PONG);
        }
    }

    /** context-r2dbc's WebFilter; the handlers call Spring Data repositories. */
    @RestController
    @ConditionalOnProperty(name = VARIANT, havingValue = "context-data")
    static class ContextDataController {

        private final ItemRows items;

        private final InsertedRows inserted;

        ContextDataController(ItemRows items, InsertedRows inserted) {
            this.items = items;
            this.inserted = inserted;
        }

        @GetMapping("/items/{id}")
        Mono<Item> one(@PathVariable int id) {
            return this.items.findById(id).map(BenchServer::item);
        }

        @PostMapping("/items")
        Mono<Long> create(@RequestBody NewItem item) {
            return this.inserted.save(new InsertedRow(null, item.name(), item.price())).map(InsertedRow::id);
        }

        @GetMapping("/ping")
        Mono<String> ping() {
            return Mono.just(PONG);
        }
    }

    /** Spring's {@code @Transactional} controller with {@code DatabaseClient}. */
    @RestController
    @Transactional
    @ConditionalOnProperty(name = VARIANT, havingValue = "tx-client")
    static class TxClientController {

        private final DatabaseClient client;

        TxClientController(DatabaseClient client) {
            this.client = client;
        }

        @GetMapping("/items/{id}")
        public Mono<Item> one(@PathVariable int id) {
            return this.client.sql(Workload.READ_SQL).bind(0, id).map(Item::of).one();
        }

        @PostMapping("/items")
        public Mono<Long> create(@RequestBody NewItem item) {
            return this.client.sql(Workload.INSERT_SQL).bind(0, item.name()).bind(1, item.price())
                    .map(row -> row.get(0, Long.class)).one();
        }

        @GetMapping("/ping")
        public Mono<String> ping() {
            return Mono.just(PONG);
        }
    }

    /** Spring's {@code @Transactional} controller with Spring Data repositories. */
    @RestController
    @Transactional
    @ConditionalOnProperty(name = VARIANT, havingValue = "tx-data")
    static class TxDataController {

        private final ItemRows items;

        private final InsertedRows inserted;

        TxDataController(ItemRows items, InsertedRows inserted) {
            this.items = items;
            this.inserted = inserted;
        }

        @GetMapping("/items/{id}")
        public Mono<Item> one(@PathVariable int id) {
            return this.items.findById(id).map(BenchServer::item);
        }

        @PostMapping("/items")
        public Mono<Long> create(@RequestBody NewItem item) {
            return this.inserted.save(new InsertedRow(null, item.name(), item.price())).map(InsertedRow::id);
        }

        @GetMapping("/ping")
        public Mono<String> ping() {
            return Mono.just(PONG);
        }
    }

    static Item item(ItemRow row) {
        return new Item(row.id(), row.name(), row.price());
    }
}
