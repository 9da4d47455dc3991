package io.github.contextr2dbc.example;

import java.math.BigDecimal;
import java.time.OffsetDateTime;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.r2dbc.spi.Readable;
import org.springframework.data.annotation.Id;
import org.springframework.data.annotation.ReadOnlyProperty;
import org.springframework.data.relational.core.mapping.Table;

/**
 * A transfer, as the API shows it: {@code {"id", "requestId", "from", "to", "amount", "fee", "status",
 * "createdAt"}}, amounts as strings with two decimals. A Spring Data entity of table {@code transfers}, for
 * {@link TransferRepository}.
 *
 * @param id        the transfer's id
 * @param requestId the client's idempotency key
 * @param fromAccount the debited account ({@code "from"} in JSON)
 * @param toAccount   the credited account ({@code "to"} in JSON)
 * @param amount    the amount moved
 * @param fee       the fee charged to {@code from} on top of the amount ({@code "0.00"} when waived)
 * @param status    {@code completed}, or {@code completed-fee-waived} when the sender could pay the amount
 *                  but not the fee as well
 * @param createdAt when it was made
 */
@Table("transfers")
record Transfer(@Id Long id, String requestId, @JsonProperty("from") Long fromAccount,
        @JsonProperty("to") Long toAccount,
        @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal amount,
        @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal fee, String status,
        @ReadOnlyProperty OffsetDateTime createdAt) {

    /** The columns {@link #from(Readable)} reads, in order. */
    static final String COLUMNS = "id, request_id, from_account, to_account, amount, fee, status, created_at";

    static Transfer from(Readable row) {
        return new Transfer(row.get(0, Long.class), row.get(1, String.class), row.get(2, Long.class),
                row.get(3, Long.class), row.get(4, BigDecimal.class), row.get(5, BigDecimal.class),
                row.get(6, String.class), row.get(7, OffsetDateTime.class));
    }

    /** Whether this transfer is the one {@code request} asks for (same accounts and amount). */
    boolean matches(NewTransfer request) {
        return fromAccount.equals(request.from()) && toAccount.equals(request.to())
                && amount.compareTo(request.amount()) == 0;
    }
}
