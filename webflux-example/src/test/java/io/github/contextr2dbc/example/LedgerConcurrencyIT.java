package io.github.contextr2dbc.example;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static io.github.contextr2dbc.example.LedgerTestSupport.SQL;
import static io.github.contextr2dbc.example.LedgerTestSupport.balance;
import static io.github.contextr2dbc.example.LedgerTestSupport.newRequestId;
import static io.github.contextr2dbc.example.LedgerTestSupport.open;
import static io.github.contextr2dbc.example.LedgerTestSupport.transfer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Transfers racing each other over real HTTP connections: idempotency keys, locks, cancelled requests. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
class LedgerConcurrencyIT {

    @DynamicPropertySource
    static void databases(DynamicPropertyRegistry registry) {
        LocalPostgres.register(registry);
    }

    @Autowired
    private WebTestClient client;

    @LocalServerPort
    private int port;

    private WebClient http() {
        return WebClient.create("http://localhost:" + port);
    }

    private final Map<String, String> problems = new ConcurrentHashMap<>();

    private Mono<Integer> post(Map<String, Object> body) {
        return http().post().uri("/api/transfers").bodyValue(body)
                .exchangeToMono(response -> response.bodyToMono(String.class).defaultIfEmpty("")
                        .map(text -> {
                            int status = response.statusCode().value();
                            if (status >= 400) {
                                problems.putIfAbsent(status + " " + text.replaceAll(".*\"type\":\"([^\"]*)\".*", "$1"),
                                        text);
                            }
                            return status;
                        }));
    }

    @Test
    void concurrentRequestsWithOneRequestIdMakeOneTransfer() {
        long from = open(client, "EUR", "100.00");
        long to = open(client, "EUR", "0.00");
        String requestId = newRequestId();
        List<Integer> statuses = Flux.range(0, 12)
                .flatMap(i -> post(transfer(requestId, from, to, "10.00")), 12)
                .collectList()
                .block(Duration.ofSeconds(60));
        assertThat(statuses).isSubsetOf(201, 200, 409);
        assertThat(statuses).filteredOn(status -> status == 201).hasSize(1);
        assertThat(SQL.queryLong("SELECT count(*) FROM transfers WHERE request_id = '" + requestId + "'"))
                .isEqualTo(1);
        assertThat(balance(from)).isEqualTo("89.99");
        assertThat(balance(to)).isEqualTo("10.00");
    }

    @Test
    void oneRequestIdOnDifferentAccountsAtOnceKeepsOneTransfer() {
        long[] from = {open(client, "EUR", "100.00"), open(client, "EUR", "100.00"), open(client, "EUR", "100.00")};
        long to = open(client, "EUR", "0.00");
        String requestId = newRequestId();
        List<Integer> statuses = Flux.range(0, from.length)
                .flatMap(i -> post(transfer(requestId, from[i], to, "1.00")), from.length)
                .collectList()
                .block(Duration.ofSeconds(60));
        // the ones that did not wait for the first's locks fail at COMMIT on the deferred unique key
        assertThat(statuses).isSubsetOf(201, 409);
        assertThat(statuses).filteredOn(status -> status == 201).hasSize(1);
        assertThat(SQL.queryLong("SELECT count(*) FROM transfers WHERE request_id = '" + requestId + "'"))
                .isEqualTo(1);
        assertThat(balance(to)).isEqualTo("1.00");
        long debited = 0;
        for (long account : from) {
            debited += balance(account).equals("100.00") ? 0 : 1;
        }
        assertThat(debited).isEqualTo(1);
    }

    @Test
    void manyClientsSomeCancelledConserveMoney() {
        int accounts = 12;
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < accounts; i++) {
            ids.add(open(client, "SEK", "1000.00"));
        }
        String idList = ids.toString().replace('[', '(').replace(']', ')');
        Random random = new Random(42);
        List<Map<String, Object>> bodies = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            int a = random.nextInt(accounts);
            int b = (a + 1 + random.nextInt(accounts - 1)) % accounts;
            bodies.add(transfer(newRequestId(), ids.get(a), ids.get(b), (1 + random.nextInt(200)) + ".00"));
        }
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        AtomicInteger cancelled = new AtomicInteger();
        Flux.range(0, bodies.size())
                .flatMap(i -> {
                    Mono<Integer> call = post(bodies.get(i));
                    if (i % 10 == 3) {
                        // the client goes away while the transfer may be anywhere: before, in or after its commit
                        call = call.timeout(Duration.ofMillis(1 + i % 20)).onErrorResume(error -> {
                            cancelled.incrementAndGet();
                            return Mono.empty();
                        });
                    }
                    return call.doOnNext(status -> statuses.computeIfAbsent(status, s -> new AtomicInteger())
                            .incrementAndGet());
                }, 8) // eight clients at a time: fewer than the pool's ten connections, so no one waits for one
                .then()
                .block(Duration.ofMinutes(3));
        assertThat(statuses.keySet()).as("statuses %s, problems %s", statuses, problems.keySet()).isSubsetOf(201, 409);
        assertThat(statuses.get(201).get()).isGreaterThan(100);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            // a cancelled request's unit of work ends after the client left: wait for the last one
            BigDecimal total = new BigDecimal(SQL.queryStrings("SELECT (SELECT sum(balance) FROM accounts WHERE id IN "
                    + idList + ") + (SELECT coalesce(sum(fee), 0) FROM transfers WHERE from_account IN " + idList
                    + ")").get(0));
            assertThat(total).isEqualByComparingTo(new BigDecimal(accounts * 1000));
        });
        long transfers = SQL.queryLong("SELECT count(*) FROM transfers WHERE from_account IN " + idList);
        assertThat(transfers).isGreaterThanOrEqualTo(statuses.get(201).get());
        assertThat(SQL.queryLong("SELECT count(*) FROM audit_log a JOIN transfers t ON t.id = a.transfer_id "
                + "WHERE t.from_account IN " + idList)).isEqualTo(transfers);
        assertThat(SQL.queryLong("SELECT count(*) FROM accounts WHERE balance < 0")).isZero();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(SQL.queryLong(
                "SELECT count(*) FROM outbox o JOIN transfers t ON o.payload LIKE '{\"transferId\":' || t.id || ',%' "
                        + "WHERE o.delivered_at IS NOT NULL AND t.from_account IN " + idList)).isEqualTo(transfers));
    }
}
