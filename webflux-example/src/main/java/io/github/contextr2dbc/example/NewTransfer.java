package io.github.contextr2dbc.example;

import java.math.BigDecimal;

import org.jspecify.annotations.Nullable;

/**
 * The body of {@code POST /api/transfers}: {@code {"requestId", "from", "to", "amount"}}.
 *
 * @param requestId the client's idempotency key (1 to 100 characters): the same key again returns the first
 *                  transfer and moves nothing
 * @param from      the account to debit
 * @param to        the account to credit
 * @param amount    more than zero, two decimals at most
 */
record NewTransfer(@Nullable String requestId, @Nullable Long from, @Nullable Long to, @Nullable BigDecimal amount) {

    /**
     * The checked request.
     *
     * @return a copy with the amount at two decimals
     * @throws LedgerProblem 400 naming the first field that is wrong
     */
    NewTransfer validated() {
        if (requestId == null || requestId.isBlank() || requestId.length() > 100) {
            throw LedgerProblem.invalid("requestId", "required, 1 to 100 characters (an idempotency key)");
        }
        if (from == null) {
            throw LedgerProblem.invalid("from", "required, an account id");
        }
        if (to == null) {
            throw LedgerProblem.invalid("to", "required, an account id");
        }
        if (from.equals(to)) {
            throw LedgerProblem.invalid("to", "must differ from \"from\"");
        }
        return new NewTransfer(requestId, from, to, Money.parse("amount", amount, true));
    }
}
