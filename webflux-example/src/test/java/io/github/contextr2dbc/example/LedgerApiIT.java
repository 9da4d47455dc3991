package io.github.contextr2dbc.example;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.test.CapturedOnCommitHooks;
import io.github.contextr2dbc.test.CommitAndCleanUp;
import io.github.contextr2dbc.test.RollbackPerTest;
import io.github.contextr2dbc.test.TestUnitOfWork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static io.github.contextr2dbc.example.LedgerTestSupport.newRequestId;
import static io.github.contextr2dbc.example.LedgerTestSupport.open;
import static io.github.contextr2dbc.example.LedgerTestSupport.transfer;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ledger's HTTP contract, on a real server (random port) and a real PostgreSQL primary + replica. Every test
 * is rolled back ({@code @RollbackPerTest}): what its requests commit is seen by its later requests and by nobody
 * else; the read-your-own-writes test really commits ({@code @CommitAndCleanUp}), as it needs the replica.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    // no background replica checks in the middle of a test that counts connections
    "context-r2dbc.routing.check-interval=1h",
    // the outbox relay is driven by the test (drainOnce), not by its timer
    "example.outbox.interval=1h"})
@AutoConfigureWebTestClient
@RollbackPerTest
class LedgerApiIT {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON_OBJECT =
            new ParameterizedTypeReference<>() { };

    @DynamicPropertySource
    static void databases(DynamicPropertyRegistry registry) {
        LocalPostgres.register(registry);
    }

    @Autowired
    private WebTestClient client;

    @Autowired
    private Database main;

    @Autowired
    @Qualifier("replicaDatabase")
    private Database replica;

    @Autowired
    private OutboxRelay relay;

    /**
     * The on-commit hooks of the requests, captured (Django's captureOnCommitCallbacks): under rollback per
     * test every unit of work takes the test's one connection in turn, and a transfer's hook would wait for the
     * turn its own request holds; the tests run them when they want to see their effect.
     */
    private CapturedOnCommitHooks hooks;

    @BeforeEach
    void captureHooks() {
        hooks = CapturedOnCommitHooks.capture(main);
    }

    @AfterEach
    void stopCapturing() {
        hooks.close();
    }

    /** A balance as the API shows it (routed reads see the test's writes: replicas use the pinned connection). */
    private String balance(long account) {
        return (String) client.get().uri("/api/accounts/{id}", account).exchange()
                .expectStatus().isOk()
                .expectBody(JSON_OBJECT).returnResult().getResponseBody().get("balance");
    }

    /** {@code SELECT count(*) ...} in a throwaway unit of work on the test's connection. */
    private long count(String sql) {
        return TestUnitOfWork.throwaway(dbSession(main).flatMap(session -> session.sql(sql)
                .one(row -> row.get(0, Long.class)))).block(Duration.ofSeconds(30));
    }

    @Test
    void pingTakesNoConnection() {
        relay.stop(); // the background job takes connections of its own
        try {
            long before = main.acquisitions() + replica.acquisitions();
            for (int i = 0; i < 20; i++) {
                client.get().uri("/api/ping").exchange()
                        .expectStatus().isOk()
                        .expectBody().json("{\"status\":\"ok\"}");
            }
            assertThat(main.acquisitions() + replica.acquisitions()).isEqualTo(before);
        } finally {
            relay.start();
        }
    }

    @Test
    void opensAndReadsAnAccountWithMoneyAsStrings() {
        EntityExchangeResult<Map<String, Object>> created = client.post().uri("/api/accounts")
                .bodyValue(Map.of("owner", "Ann", "currency", "eur", "initialBalance", "100.5"))
                .exchange()
                .expectStatus().isCreated()
                .expectBody(JSON_OBJECT).returnResult();
        Map<?, ?> account = created.getResponseBody();
        long id = ((Number) account.get("id")).longValue();
        assertThat(account.get("balance")).isEqualTo("100.50");
        assertThat(account.get("currency")).isEqualTo("EUR");
        assertThat(account.get("owner")).isEqualTo("Ann");
        assertThat(account.get("createdAt")).isNotNull();
        client.get().uri("/api/accounts/{id}", id).exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.id").isEqualTo(id)
                .jsonPath("$.balance").isEqualTo("100.50");
    }

    @Test
    @CommitAndCleanUp
    void theTokenOfAWriteReadsItBackWhileTheReplicaLags() {
        LocalPostgres.pair().awaitReplicaCaughtUp();
        LocalPostgres.pair().pauseReplay();
        try {
            EntityExchangeResult<Map<String, Object>> created = client.post().uri("/api/accounts")
                    .bodyValue(Map.of("owner", "Cy", "currency", "EUR", "initialBalance", "7.00"))
                    .exchange()
                    .expectStatus().isCreated()
                    .expectBody(JSON_OBJECT).returnResult();
            String token = created.getResponseHeaders().getFirst("Read-After");
            String cookie = created.getResponseCookies().getFirst("read-after").getValue();
            long id = ((Number) created.getResponseBody().get("id")).longValue();
            // without the token the read goes to the replica, which has not replayed the insert
            problem(client.get().uri("/api/accounts/{id}", id).exchange(), 404);
            // with it (header or cookie) the read goes to the primary
            client.get().uri("/api/accounts/{id}", id).header("Read-After", token).exchange()
                    .expectStatus().isOk()
                    .expectBody().jsonPath("$.balance").isEqualTo("7.00");
            client.get().uri("/api/accounts/{id}", id).cookie("read-after", cookie).exchange()
                    .expectStatus().isOk();
        } finally {
            LocalPostgres.pair().resumeReplay();
        }
    }

    @Test
    void theLocationOfANewAccountPointsAtIt() {
        client.post().uri("/api/accounts")
                .bodyValue(Map.of("owner", "Bo", "currency", "USD", "initialBalance", "0"))
                .exchange()
                .expectStatus().isCreated()
                .expectHeader().value("Location", location -> assertThat(location).matches("/api/accounts/\\d+"));
    }

    @Test
    void invalidAccountsAreProblemsNamingTheField() {
        problem(client.post().uri("/api/accounts")
                .bodyValue(Map.of("owner", "", "currency", "EUR", "initialBalance", "1")).exchange(), 400)
                .jsonPath("$.field").isEqualTo("owner");
        problem(client.post().uri("/api/accounts")
                .bodyValue(Map.of("owner", "x", "currency", "EURO", "initialBalance", "1")).exchange(), 400)
                .jsonPath("$.field").isEqualTo("currency");
        problem(client.post().uri("/api/accounts")
                .bodyValue(Map.of("owner", "x", "currency", "EUR", "initialBalance", "-1")).exchange(), 400)
                .jsonPath("$.field").isEqualTo("initialBalance");
        problem(client.post().uri("/api/accounts")
                .bodyValue(Map.of("owner", "x", "currency", "EUR", "initialBalance", "1.001")).exchange(), 400)
                .jsonPath("$.field").isEqualTo("initialBalance");
    }

    @Test
    void everyErrorIsAProblemDocument() {
        problem(client.get().uri("/api/accounts/999999999").exchange(), 404)
                .jsonPath("$.type").isEqualTo("urn:ledger:problem:account-not-found");
        problem(client.get().uri("/api/nothing-here").exchange(), 404);
        problem(client.delete().uri("/api/accounts/1").exchange(), 405);
        problem(client.post().uri("/api/accounts").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"owner\": \"x\", ").exchange(), 400);
        problem(client.post().uri("/api/accounts").contentType(MediaType.TEXT_PLAIN)
                .bodyValue("owner=x").exchange(), 415);
        problem(client.get().uri("/api/accounts/not-a-number").exchange(), 400);
    }

    @Test
    void aTransferMovesTheAmountAndTheFeeAndIsAudited() {
        long from = open(client, "EUR", "1000.00");
        long to = open(client, "EUR", "0.00");
        Map<?, ?> made = client.post().uri("/api/transfers")
                .bodyValue(transfer(newRequestId(), from, to, "250.00"))
                .exchange()
                .expectStatus().isCreated()
                .expectBody(Map.class).returnResult().getResponseBody();
        assertThat(made.get("amount")).isEqualTo("250.00");
        assertThat(made.get("fee")).isEqualTo("0.25");
        assertThat(made.get("status")).isEqualTo("completed");
        assertThat(((Number) made.get("from")).longValue()).isEqualTo(from);
        assertThat(balance(from)).isEqualTo("749.75");
        assertThat(balance(to)).isEqualTo("250.00");
        long id = ((Number) made.get("id")).longValue();
        assertThat(count("SELECT count(*) FROM audit_log WHERE transfer_id = " + id)).isEqualTo(1);
        String enqueued = "SELECT count(*) FROM outbox WHERE payload LIKE '{\"transferId\":" + id + ",%'";
        assertThat(hooks.count()).as("the transfer's on-commit hook, captured").isEqualTo(1);
        assertThat(count(enqueued)).as("nothing enqueued before the hook runs").isZero();
        hooks.run().block(Duration.ofSeconds(30));
        assertThat(count(enqueued)).as("enqueued by the on-commit hook").isEqualTo(1);
        assertThat(relay.drainOnce().block(Duration.ofSeconds(30))).isPositive();
        assertThat(count(enqueued + " AND delivered_at IS NOT NULL")).as("delivered by the relay").isEqualTo(1);
    }

    @Test
    void theSameRequestIdAgainReturnsTheOriginalAndMovesNothing() {
        long from = open(client, "EUR", "100.00");
        long to = open(client, "EUR", "0.00");
        String requestId = newRequestId();
        Map<?, ?> first = client.post().uri("/api/transfers").bodyValue(transfer(requestId, from, to, "10.00"))
                .exchange().expectStatus().isCreated()
                .expectBody(Map.class).returnResult().getResponseBody();
        Map<?, ?> again = client.post().uri("/api/transfers").bodyValue(transfer(requestId, from, to, "10.00"))
                .exchange().expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody();
        assertThat(again).isEqualTo(first);
        assertThat(balance(from)).isEqualTo("89.99");
        problem(client.post().uri("/api/transfers").bodyValue(transfer(requestId, from, to, "11.00")).exchange(), 409)
                .jsonPath("$.type").isEqualTo("urn:ledger:problem:request-id-reused");
        assertThat(balance(from)).isEqualTo("89.99");
        assertThat(count("SELECT count(*) FROM transfers WHERE request_id = '" + requestId + "'"))
                .isEqualTo(1);
    }

    @Test
    void insufficientFundsIsAConflictAndWritesNothing() {
        int hooksBefore = hooks.count();
        long from = open(client, "EUR", "5.00");
        long to = open(client, "EUR", "0.00");
        String requestId = newRequestId();
        problem(client.post().uri("/api/transfers").bodyValue(transfer(requestId, from, to, "5.01")).exchange(), 409)
                .jsonPath("$.type").isEqualTo("urn:ledger:problem:insufficient-funds");
        assertThat(hooks.count()).as("no hook for a transfer that rolled back").isEqualTo(hooksBefore);
        assertThat(balance(from)).isEqualTo("5.00");
        assertThat(count("SELECT count(*) FROM transfers WHERE request_id = '" + requestId + "'"))
                .isZero();
    }

    @Test
    void aFeeTheSenderCannotPayIsWaivedInItsSavepoint() {
        long from = open(client, "EUR", "5.00");
        long to = open(client, "EUR", "0.00");
        client.post().uri("/api/transfers").bodyValue(transfer(newRequestId(), from, to, "5.00"))
                .exchange()
                .expectStatus().isCreated()
                .expectBody()
                .jsonPath("$.fee").isEqualTo("0.00")
                .jsonPath("$.status").isEqualTo("completed-fee-waived");
        assertThat(balance(from)).isEqualTo("0.00");
        assertThat(balance(to)).isEqualTo("5.00");
    }

    @Test
    void unknownAccountsAndMixedCurrenciesAreRefused() {
        long eur = open(client, "EUR", "50.00");
        long usd = open(client, "USD", "50.00");
        problem(client.post().uri("/api/transfers").bodyValue(transfer(newRequestId(), eur, 999_999_999L, "1.00"))
                .exchange(), 404)
                .jsonPath("$.type").isEqualTo("urn:ledger:problem:account-not-found");
        problem(client.post().uri("/api/transfers").bodyValue(transfer(newRequestId(), eur, usd, "1.00"))
                .exchange(), 409)
                .jsonPath("$.type").isEqualTo("urn:ledger:problem:currency-mismatch");
        problem(client.post().uri("/api/transfers").bodyValue(transfer(newRequestId(), eur, eur, "1.00"))
                .exchange(), 400)
                .jsonPath("$.field").isEqualTo("to");
        problem(client.post().uri("/api/transfers").bodyValue(transfer(newRequestId(), eur, usd, "0.00"))
                .exchange(), 400)
                .jsonPath("$.field").isEqualTo("amount");
        assertThat(balance(eur)).isEqualTo("50.00");
    }

    @Test
    void theStatementStreamsTheAccountsTransfersAsNdjson() {
        long a = open(client, "EUR", "100.00");
        long b = open(client, "EUR", "100.00");
        client.post().uri("/api/transfers").bodyValue(transfer(newRequestId(), a, b, "1.00"))
                .exchange().expectStatus().isCreated();
        client.post().uri("/api/transfers").bodyValue(transfer(newRequestId(), b, a, "2.00"))
                .exchange().expectStatus().isCreated();
        List<Map<String, Object>> lines = client.get().uri("/api/accounts/{id}/statement", a)
                .accept(MediaType.APPLICATION_NDJSON)
                .exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_NDJSON)
                .returnResult(new ParameterizedTypeReference<Map<String, Object>>() { })
                .getResponseBody().collectList().block(Duration.ofSeconds(30));
        assertThat(lines).extracting(line -> line.get("amount")).containsExactly("1.00", "2.00");
        problem(client.get().uri("/api/accounts/999999999/statement").accept(MediaType.APPLICATION_NDJSON)
                .exchange(), 404);
    }

    @Test
    void theBalancesReportAddsUpPerCurrency() {
        open(client, "CHF", "1.10");
        open(client, "CHF", "2.20");
        client.get().uri("/api/reports/balances").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.totals[?(@.currency == 'CHF')].balance").isEqualTo("3.30")
                .jsonPath("$.totals[?(@.currency == 'CHF')].accounts").isEqualTo(2);
    }

    @Test
    void accountsAreListedFilteredOrderedAndPaginated() {
        String tag = "zed" + System.nanoTime();
        for (String balance : new String[] {"10.00", "30.00", "20.00"}) {
            client.post().uri("/api/accounts")
                    .bodyValue(Map.of("owner", "Owner " + tag.toUpperCase(), "currency", "NOK",
                            "initialBalance", balance))
                    .exchange().expectStatus().isCreated();
        }
        client.get().uri("/api/accounts?owner__icontains={tag}&currency=NOK&ordering=-balance&limit=2", tag)
                .exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.data.length()").isEqualTo(2)
                .jsonPath("$.data[0].balance").isEqualTo("30.00")
                .jsonPath("$.data[1].balance").isEqualTo("20.00")
                .jsonPath("$.meta.totalItems").isEqualTo(3)
                .jsonPath("$.meta.totalPages").isEqualTo(2)
                .jsonPath("$.meta.limit").isEqualTo(2)
                .jsonPath("$.meta.offset").isEqualTo(0)
                .jsonPath("$.meta.pageNumber").isEqualTo(1);
        client.get().uri("/api/accounts?owner__icontains={tag}&balance__gte=15&balance__lte=25", tag).exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.data.length()").isEqualTo(1)
                .jsonPath("$.data[0].balance").isEqualTo("20.00");
        client.get().uri("/api/accounts?owner__icontains={value}", "' OR 1=1 --").exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.meta.totalItems").isEqualTo(0);
    }

    @Test
    void listParametersOutsideTheAllowListAreProblemsNamingThem() {
        String[][] hostile = {
            {"name=x", "name"}, {"owner__startswith=x", "owner__startswith"}, {"ordering=secret", "ordering"},
            {"limit=0", "limit"}, {"limit=101", "limit"}, {"offset=-1", "offset"},
            {"balance__gte=abc", "balance__gte"},
            {"ordering=owner;DROP TABLE accounts", "ordering"}};
        for (String[] query : hostile) {
            problem(client.get().uri("/api/accounts?" + query[0]).exchange(), 400)
                    .jsonPath("$.parameter").isEqualTo(query[1]);
        }
        problem(client.get().uri("/api/transfers?account=abc").exchange(), 400).jsonPath("$.parameter")
                .isEqualTo("account");
        problem(client.get().uri("/api/transfers?amount__gte=1").exchange(), 400);
    }

    @Test
    void transfersAreListedPerAccountNewestFirst() {
        long a = open(client, "EUR", "100.00");
        long b = open(client, "EUR", "100.00");
        client.post().uri("/api/transfers").bodyValue(transfer(newRequestId(), a, b, "1.00"))
                .exchange().expectStatus().isCreated();
        client.post().uri("/api/transfers").bodyValue(transfer(newRequestId(), b, a, "2.00"))
                .exchange().expectStatus().isCreated();
        client.get().uri("/api/transfers?account={id}&ordering=-createdAt&limit=1", a).exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.data.length()").isEqualTo(1)
                .jsonPath("$.data[0].amount").isEqualTo("2.00")
                .jsonPath("$.data[0].from").isEqualTo(b)
                .jsonPath("$.meta.totalItems").isEqualTo(2);
    }

    @Test
    void healthMetricsAndTheOpenApiDocumentAreServed() {
        client.get().uri("/actuator/health").exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("UP");
        client.get().uri("/actuator/metrics/context.r2dbc.pool.acquired").exchange().expectStatus().isOk();
        client.get().uri("/v3/api-docs").exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.paths['/api/transfers']").exists();
    }

    private static WebTestClient.BodyContentSpec problem(WebTestClient.ResponseSpec response, int status) {
        return response.expectStatus().isEqualTo(status)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.status").isEqualTo(status)
                .jsonPath("$.title").exists();
    }
}
