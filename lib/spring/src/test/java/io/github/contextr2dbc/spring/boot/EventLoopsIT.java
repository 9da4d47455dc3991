package io.github.contextr2dbc.spring.boot;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.launcher.PostgresPair;
import io.github.contextr2dbc.spring.Databases;
import io.github.contextr2dbc.spring.TestSql;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code context-r2dbc.event-loops} in a real Spring Boot application on Reactor Netty: by default the driver of
 * the databases built from properties (and of Spring Boot's own database) runs on the web server's event loops
 * ({@code reactor-http-*}), with {@code driver} on its own ({@code reactor-tcp-*}); stopping the application closes
 * every connection before the loops go, with nothing logged, and a request in flight when it stops still commits.
 */
class EventLoopsIT {

    private static final PostgresPair PAIR = PostgresPair.shared();

    private static final Duration WAIT = Duration.ofSeconds(30);

    private static String name;

    private static TestSql sql;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(WAIT).build();

    @BeforeAll
    static void createDatabase() {
        name = PAIR.createDatabase("spring_event_loops");
        sql = new TestSql(PAIR.primaryUrl(name));
        sql.execute("CREATE TABLE item (name text PRIMARY KEY)");
    }

    /** The application: one route answers the thread its row was read on, one writes slowly. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class LoopsApplication {

        @Bean
        RouterFunction<ServerResponse> routes(Databases databases) {
            Database db = databases.defaultDatabase();
            return RouterFunctions.route()
                    .GET("/thread", request -> UnitOfWork.dbSession(db)
                            .flatMap(session -> session.sql("SELECT 1").one(row -> Thread.currentThread().getName()))
                            .flatMap(thread -> ServerResponse.ok().bodyValue(thread)))
                    .POST("/slow", request -> {
                        String item = request.queryParam("name").orElseThrow();
                        return UnitOfWork.dbSession(db)
                                .flatMap(session -> session.sql("SELECT pg_sleep(1.5)").execute()
                                        .then(session.sql("INSERT INTO item VALUES ($1)").bind(0, item).execute()))
                                .then(ServerResponse.ok().bodyValue(item));
                    })
                    .build();
        }
    }

    private static ConfigurableApplicationContext start(String... properties) {
        List<String> all = new ArrayList<>(List.of("server.port=0", "server.shutdown=graceful",
                "spring.main.banner-mode=off", "management.endpoints.access.default=none"));
        all.addAll(List.of(properties));
        return new SpringApplicationBuilder(LoopsApplication.class).properties(all.toArray(String[]::new)).run();
    }

    private static String databaseUrl() {
        return PAIR.primaryUrl(name);
    }

    private static URI uri(ConfigurableApplicationContext app, String path) {
        return URI.create("http://127.0.0.1:" + ((WebServerApplicationContext) app).getWebServer().getPort() + path);
    }

    private String get(ConfigurableApplicationContext app, String path) throws Exception {
        HttpResponse<String> response = this.http.send(HttpRequest.newBuilder(uri(app, path)).timeout(WAIT).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.body();
    }

    /** The connections to the test database, other than the one asking. */
    private static long connections() {
        return sql.queryLong("SELECT count(*) FROM pg_stat_activity WHERE datname = '" + name
                + "' AND pid <> pg_backend_pid()");
    }

    /** The driver's thread for each configuration. */
    @Test
    void theDriverRunsOnTheServersLoopsByDefaultAndOnItsOwnWithDriver() throws Exception {
        ConfigurableApplicationContext app = start("context-r2dbc.databases.main.url=" + databaseUrl());
        try {
            assertThat(app.containsBean(ServerEventLoops.BEAN)).isTrue();
            for (int i = 0; i < 5; i++) {
                assertThat(get(app, "/thread")).as("default: the server's loops").startsWith("reactor-http-");
            }
        } finally {
            app.close();
        }
        app = start("context-r2dbc.databases.main.url=" + databaseUrl(), "context-r2dbc.event-loops=driver");
        try {
            assertThat(app.containsBean(ServerEventLoops.BEAN)).isFalse();
            assertThat(get(app, "/thread")).as("event-loops=driver: the driver's own").startsWith("reactor-tcp-");
        } finally {
            app.close();
        }
        app = start("spring.r2dbc.url=" + databaseUrl());
        try {
            assertThat(get(app, "/thread")).as("Spring Boot's database, by default").startsWith("reactor-http-");
        } finally {
            app.close();
        }
    }

    @Test
    void stoppingTheApplicationClosesEveryConnectionBeforeTheLoopsGoWithNothingLogged() throws Exception {
        long baseline = connections();
        ConfigurableApplicationContext app = start("context-r2dbc.databases.main.url=" + databaseUrl(),
                "context-r2dbc.databases.main.pool.initial-size=4", "context-r2dbc.startup-probe.enabled=true");
        ByteArrayOutputStream logged = new ByteArrayOutputStream();
        try {
            List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                requests.add(this.http.sendAsync(HttpRequest.newBuilder(uri(app, "/thread")).timeout(WAIT).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> request : requests) {
                assertThat(request.get().body()).startsWith("reactor-http-");
            }
            assertThat(connections()).as("the pool's connections").isGreaterThanOrEqualTo(baseline + 4);
        } finally {
            PrintStream err = System.err;
            System.setErr(new PrintStream(new Tee(err, logged), true, StandardCharsets.UTF_8));
            try {
                app.close();
            } finally {
                System.setErr(err);
            }
        }
        Awaitility.await().atMost(WAIT).until(() -> connections() == baseline);
        assertThat(logged.toString(StandardCharsets.UTF_8)).as("logged while stopping").isEmpty();
    }

    @Test
    void aRequestInFlightWhenTheApplicationStopsStillCommits() throws Exception {
        long baseline = connections();
        ConfigurableApplicationContext app = start("context-r2dbc.databases.main.url=" + databaseUrl());
        CompletableFuture<HttpResponse<String>> slow;
        try {
            slow = this.http.sendAsync(HttpRequest.newBuilder(uri(app, "/slow?name=graceful")).timeout(WAIT)
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            Awaitility.await().atMost(WAIT).until(() -> sql.queryLong("SELECT count(*) FROM pg_stat_activity "
                    + "WHERE datname = '" + name + "' AND query LIKE 'SELECT pg_sleep%'") == 1);
        } finally {
            app.close();
        }
        HttpResponse<String> answered = slow.get();
        assertThat(answered.statusCode()).as(answered.body()).isEqualTo(200);
        assertThat(sql.queryLong("SELECT count(*) FROM item WHERE name = 'graceful'")).isEqualTo(1);
        Awaitility.await().atMost(WAIT).until(() -> connections() == baseline);
    }

    /** Writes to two streams. */
    private static final class Tee extends OutputStream {

        private final OutputStream first;

        private final OutputStream second;

        Tee(OutputStream first, OutputStream second) {
            this.first = first;
            this.second = second;
        }

        @Override
        public void write(int b) throws IOException {
            this.first.write(b);
            this.second.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            this.first.write(b, off, len);
            this.second.write(b, off, len);
        }
    }
}
