package io.github.contextr2dbc.example;

import java.util.Map;
import java.util.UUID;

import io.github.contextr2dbc.launcher.DirectSql;
import org.springframework.test.web.reactive.server.WebTestClient;

/** Set-up shared by the ledger's API tests: accounts made over HTTP, checks made with direct SQL. */
final class LedgerTestSupport {

    static final DirectSql SQL = new DirectSql(LocalPostgres.primaryUrl());

    private LedgerTestSupport() {
    }

    /** Opens an account over HTTP and returns its id. */
    static long open(WebTestClient client, String currency, String balance) {
        Map<?, ?> account = client.post().uri("/api/accounts")
                .bodyValue(Map.of("owner", "owner-" + UUID.randomUUID(), "currency", currency,
                        "initialBalance", balance))
                .exchange()
                .expectStatus().isCreated()
                .expectBody(Map.class).returnResult().getResponseBody();
        return ((Number) account.get("id")).longValue();
    }

    /** The balance of an account, read on the primary, as {@code numeric::text}. */
    static String balance(long account) {
        return SQL.queryStrings("SELECT balance::text FROM accounts WHERE id = " + account).get(0);
    }

    static Map<String, Object> transfer(String requestId, long from, long to, String amount) {
        return Map.of("requestId", requestId, "from", from, "to", to, "amount", amount);
    }

    static String newRequestId() {
        return "req-" + UUID.randomUUID();
    }
}
