package io.github.contextr2dbc.example;

import java.math.BigDecimal;
import java.math.RoundingMode;

import org.jspecify.annotations.Nullable;

/**
 * Amounts of money: exact decimals with two digits after the point, sent and received as JSON strings
 * ({@code "12.50"}) so no client reads them as binary floating point.
 */
final class Money {

    /** The largest amount {@code numeric(19, 2)} holds. */
    static final BigDecimal MAX = new BigDecimal("99999999999999999.99");

    /** The transfer fee: 0.1 % of the amount, rounded up to the cent. */
    private static final BigDecimal FEE_RATE = new BigDecimal("0.001");

    private Money() {
    }

    /**
     * Checks an amount the client sent.
     *
     * @param field    the JSON field, for the error
     * @param value    the value (null when missing)
     * @param positive whether zero is refused
     * @return the amount with exactly two decimals
     * @throws LedgerProblem 400 when missing, negative (or zero when {@code positive}), with more than two
     *                       decimals, or too large
     */
    static BigDecimal parse(String field, @Nullable BigDecimal value, boolean positive) {
        if (value == null) {
            throw LedgerProblem.invalid(field, "required: an amount such as \"12.50\"");
        }
        if (value.signum() < 0 || (positive && value.signum() == 0)) {
            throw LedgerProblem.invalid(field, positive ? "must be more than 0" : "must not be negative");
        }
        if (value.stripTrailingZeros().scale() > 2) {
            throw LedgerProblem.invalid(field, "at most two decimals");
        }
        if (value.compareTo(MAX) > 0) {
            throw LedgerProblem.invalid(field, "at most " + MAX.toPlainString());
        }
        return value.setScale(2, RoundingMode.UNNECESSARY);
    }

    /**
     * The fee of a transfer of {@code amount}.
     *
     * @param amount the amount moved
     * @return 0.1 % of it, rounded up to the cent
     */
    static BigDecimal feeFor(BigDecimal amount) {
        return amount.multiply(FEE_RATE).setScale(2, RoundingMode.UP);
    }
}
