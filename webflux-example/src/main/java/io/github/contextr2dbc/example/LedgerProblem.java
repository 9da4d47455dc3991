package io.github.contextr2dbc.example;

import java.net.URI;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * The ledger's own problem responses (RFC 9457): a status, a stable {@code type} and a detail that says what
 * to change. Thrown (or emitted) anywhere in a request; the unit of work then rolls back (a 4xx status).
 */
final class LedgerProblem extends ErrorResponseException {

    private static final long serialVersionUID = 1L;

    private LedgerProblem(HttpStatus status, String type, String title, String detail) {
        super(status, problem(status, type, title, detail), null);
    }

    private static ProblemDetail problem(HttpStatus status, String type, String title, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(URI.create("urn:ledger:problem:" + type));
        problem.setTitle(title);
        return problem;
    }

    static LedgerProblem accountNotFound(long id) {
        return new LedgerProblem(HttpStatus.NOT_FOUND, "account-not-found", "Account not found",
                "There is no account " + id + ".");
    }

    static LedgerProblem invalid(String field, String what) {
        LedgerProblem problem = new LedgerProblem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request",
                field + ": " + what);
        problem.getBody().setProperty("field", field);
        return problem;
    }

    static LedgerProblem insufficientFunds(long account) {
        return new LedgerProblem(HttpStatus.CONFLICT, "insufficient-funds", "Insufficient funds",
                "Account " + account + " does not hold the amount of this transfer; nothing was moved.");
    }

    static LedgerProblem currencyMismatch(long from, long to) {
        return new LedgerProblem(HttpStatus.CONFLICT, "currency-mismatch", "Currencies differ",
                "Accounts " + from + " and " + to + " hold different currencies; transfers convert nothing.");
    }

    static LedgerProblem requestIdReused(String requestId) {
        return new LedgerProblem(HttpStatus.CONFLICT, "request-id-reused", "Request id already used",
                "Request id " + requestId + " was used for a different transfer; use a new request id.");
    }
}
