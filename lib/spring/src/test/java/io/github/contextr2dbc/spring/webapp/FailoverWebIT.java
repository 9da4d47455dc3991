package io.github.contextr2dbc.spring.webapp;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import io.github.contextr2dbc.launcher.PostgresPair;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The failover drill through the real WebFlux stack: an application of its own on a private pair, with
 * {@code failover-hosts}, serving a steady stream of writes (POST) and routed reads (GET) while the primary is
 * stopped and the replica promoted. Writes in the gap get a 503 problem (never a 2xx, never a 500, never a hang
 * past the acquire timeout), reads keep being served by the replica, and once the replica is promoted writes
 * succeed again without restarting the application.
 */
class FailoverWebIT {

    private static final Logger log = LoggerFactory.getLogger(FailoverWebIT.class);

    private static final Duration ACQUIRE_TIMEOUT = Duration.ofSeconds(2);

    /** Longer than any answer may take: the acquire timeout, the resolver's checks and a loaded machine. */
    private static final Duration REQUEST_LIMIT = ACQUIRE_TIMEOUT.plusSeconds(8);

    private static final Duration WAIT = Duration.ofSeconds(60);

    /** One answered request: the phase it started and ended in (0 healthy, 1 no primary, 2 promoted). */
    record Outcome(String method, String uri, int startPhase, int endPhase, long startedNanos, long tookMillis,
            int status, String contentType, String body) {

        boolean inGap() {
            return this.startPhase == 1 && this.endPhase == 1;
        }
    }

    private static ConfigurableApplicationContext start(PostgresPair pair) {
        String hosts = pair.host() + ":" + pair.primaryPort() + "," + pair.host() + ":" + pair.replicaPort();
        Map<String, Object> properties = Map.ofEntries(
                Map.entry("server.port", "0"),
                Map.entry("context-r2dbc.databases.main.url", pair.primaryUrl()),
                Map.entry("context-r2dbc.databases.main.default", "true"),
                Map.entry("context-r2dbc.databases.main.failover-hosts", hosts),
                Map.entry("context-r2dbc.databases.main.pool.acquire-timeout", ACQUIRE_TIMEOUT.toMillis() + "ms"),
                Map.entry("context-r2dbc.databases.replica.url", pair.replicaUrl()),
                Map.entry("context-r2dbc.databases.replica.replica-of", "main"),
                // the test application's controllers also name these two; nothing here uses them
                Map.entry("context-r2dbc.databases.audit.url", pair.primaryUrl()),
                Map.entry("context-r2dbc.databases.tiny.url", pair.primaryUrl()),
                Map.entry("context-r2dbc.routing.check-interval", "300ms"),
                Map.entry("context-r2dbc.routing.check-timeout", "1s"));
        return new SpringApplicationBuilder(WebTestApplication.class).properties(properties).run();
    }

    @Test
    void writesIn503DuringTheGapReadsFromTheReplicaAndWritesAgainAfterPromotion() {
        assumeThat(PostgresPair.shared().kind()).as("the drill stops and promotes servers the launcher started")
                .isEqualTo("local");
        try (PostgresPair pair = PostgresPair.startNew()) {
            pair.execute("CREATE TABLE item (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE)");
            pair.awaitReplicaCaughtUp();
            ConfigurableApplicationContext app = start(pair);
            try {
                int port = ((WebServerApplicationContext) app).getWebServer().getPort();
                drill(pair, WebClient.create("http://127.0.0.1:" + port));
            } finally {
                app.close();
            }
        }
    }

    private static void drill(PostgresPair pair, WebClient client) {
        AtomicInteger phase = new AtomicInteger();
        AtomicInteger written = new AtomicInteger();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        Flux<Outcome> writes = Mono.defer(() -> request(client, phase, "POST",
                        "/routing/items?name=drill-" + written.incrementAndGet()))
                .delayElement(Duration.ofMillis(25))
                .repeat(running::get);
        Flux<Outcome> reads = Mono.defer(() -> request(client, phase, "GET", "/routing/count?name=drill-1"))
                .delayElement(Duration.ofMillis(25))
                .repeat(running::get);
        Mono<Void> traffic = Flux.merge(writes, reads).doOnNext(outcomes::add).then().cache();
        traffic.subscribe();

        await("writes and reads served while healthy", () -> count(outcomes,
                o -> o.startPhase() == 0 && o.status() == 200 && o.method().equals("POST")) >= 3
                && count(outcomes, o -> o.startPhase() == 0 && o.status() == 200 && o.method().equals("GET")) >= 3);
        pair.stopPrimary();
        phase.set(1);
        await("requests answered in the gap", () -> count(outcomes, o -> o.inGap() && o.method().equals("POST")) >= 5
                && count(outcomes, o -> o.inGap() && o.method().equals("GET")) >= 5);
        pair.promoteReplica();
        long promoted = System.nanoTime();
        phase.set(2);
        await("writes after the promotion", () -> count(outcomes, o -> o.startPhase() == 2 && o.status() == 200
                && o.method().equals("POST")) >= 5);
        running.set(false);
        traffic.block(WAIT);

        List<Outcome> posts = outcomes.stream().filter(o -> o.method().equals("POST")).toList();
        List<Outcome> gets = outcomes.stream().filter(o -> o.method().equals("GET")).toList();
        assertThat(outcomes).as("every request answered in time, none a 500")
                .allSatisfy(o -> assertThat(o.status()).as("%s", o).isIn(200, 503));
        assertThat(outcomes).filteredOn(o -> o.status() == 503).allSatisfy(o -> {
            assertThat(o.contentType()).as("%s", o).startsWith(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
            assertThat(o.body()).as("%s", o).contains("\"retryable\":true");
        });
        assertThat(posts).filteredOn(Outcome::inGap).as("writes while there is no primary")
                .isNotEmpty()
                .allSatisfy(o -> {
                    assertThat(o.status()).as("%s", o).isEqualTo(503);
                    assertThat(o.tookMillis()).as("failing fast: %s", o).isLessThan(ACQUIRE_TIMEOUT.toMillis() + 3000);
                });
        assertThat(gets).filteredOn(Outcome::inGap).as("reads while there is no primary: the replica serves them")
                .isNotEmpty()
                .allSatisfy(o -> {
                    assertThat(o.status()).as("%s", o).isEqualTo(200);
                    assertThat(o.body()).as("%s", o).endsWith(":" + pair.replicaPort());
                });
        Outcome firstWrite = posts.stream().filter(o -> o.startPhase() == 2 && o.status() == 200)
                .min((a, b) -> Long.compare(a.startedNanos(), b.startedNanos())).orElseThrow();
        assertThat(posts).filteredOn(o -> o.startedNanos() > firstWrite.startedNanos() + firstWrite.tookMillis()
                        * 1_000_000L)
                .as("writes after the first one on the promoted replica")
                .isNotEmpty()
                .allSatisfy(o -> assertThat(o.status()).as("%s", o).isEqualTo(200));
        long recovery = (firstWrite.startedNanos() - promoted) / 1_000_000 + firstWrite.tookMillis();
        log.info("Web failover drill: {} writes and {} reads; in the gap {} writes answered 503 and {} reads 200; "
                        + "first write on the promoted replica answered {} ms after the promotion",
                posts.size(), gets.size(), count(posts, Outcome::inGap), count(gets, Outcome::inGap), recovery);
        List<String> rows = Flux.usingWhen(pair.replicaConnectionFactory().create(),
                        c -> Flux.from(c.createStatement("SELECT name FROM item").execute())
                                .concatMap(r -> r.map(row -> row.get(0, String.class))),
                        c -> c.close())
                .collectList().block(WAIT);
        assertThat(rows).as("on the promoted replica: every write answered 2xx, committed before or after")
                .containsAll(posts.stream().filter(o -> o.status() == 200)
                        .map(o -> o.uri().substring(o.uri().indexOf('=') + 1)).toList());
    }

    private static Mono<Outcome> request(WebClient client, AtomicInteger phase, String method, String uri) {
        int startPhase = phase.get();
        long started = System.nanoTime();
        WebClient.RequestBodySpec spec = client.method(HttpMethod.valueOf(method)).uri(uri);
        return spec.exchangeToMono(response -> response.bodyToMono(String.class).defaultIfEmpty("")
                        .map(body -> new Outcome(method, uri, startPhase, phase.get(), started,
                                (System.nanoTime() - started) / 1_000_000, response.statusCode().value(),
                                response.headers().contentType().map(MediaType::toString).orElse(""), body)))
                .timeout(REQUEST_LIMIT)
                .onErrorResume(error -> Mono.just(new Outcome(method, uri, startPhase, phase.get(), started,
                        (System.nanoTime() - started) / 1_000_000, -1, "", error.toString())));
    }

    private static long count(List<Outcome> outcomes, Predicate<Outcome> test) {
        return new ArrayList<>(outcomes).stream().filter(test).count();
    }

    private static void await(String what, BooleanSupplier done) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for %s", what).isLessThan(deadline);
            Mono.delay(Duration.ofMillis(20)).block();
        }
    }
}
