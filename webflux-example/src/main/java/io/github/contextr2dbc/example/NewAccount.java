package io.github.contextr2dbc.example;

import java.math.BigDecimal;
import java.util.Locale;

import org.jspecify.annotations.Nullable;

/**
 * The body of {@code POST /api/accounts}: {@code {"owner", "currency", "initialBalance"}}.
 *
 * @param owner          who owns the account (1 to 200 characters)
 * @param currency       an ISO 4217 code (three letters)
 * @param initialBalance the opening balance, zero or more, two decimals at most
 */
record NewAccount(@Nullable String owner, @Nullable String currency, @Nullable BigDecimal initialBalance) {

    /**
     * The checked, normalised request.
     *
     * @return a copy with the owner stripped, the currency in capitals and the balance with two decimals
     * @throws LedgerProblem 400 naming the first field that is wrong
     */
    NewAccount validated() {
        String name = owner == null ? "" : owner.strip();
        if (name.isEmpty() || name.length() > 200) {
            throw LedgerProblem.invalid("owner", "required, 1 to 200 characters");
        }
        String code = currency == null ? "" : currency.strip().toUpperCase(Locale.ROOT);
        if (!code.matches("[A-Z]{3}")) {
            throw LedgerProblem.invalid("currency", "required, a three-letter ISO 4217 code such as \"EUR\"");
        }
        return new NewAccount(name, code, Money.parse("initialBalance", initialBalance, false));
    }
}
