package io.github.contextr2dbc.example;

import java.util.List;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** Reports, read from the replica. */
@RestController
@RequestMapping("/api/reports")
class ReportController {

    /** The body of {@code GET /api/reports/balances}. */
    record Balances(List<Accounts.CurrencyTotal> totals) {
    }

    private final Accounts accounts;

    ReportController(Accounts accounts) {
        this.accounts = accounts;
    }

    /** {@code GET /api/reports/balances}: per currency, the number of accounts and their balances added up. */
    @GetMapping("/balances")
    Mono<Balances> balances() {
        return this.accounts.totals().collectList().map(Balances::new);
    }
}
