package io.github.contextr2dbc.example;

import java.math.BigDecimal;
import java.time.OffsetDateTime;

import com.fasterxml.jackson.annotation.JsonFormat;
import io.r2dbc.spi.Readable;
import org.springframework.data.annotation.Id;
import org.springframework.data.annotation.ReadOnlyProperty;
import org.springframework.data.relational.core.mapping.Table;

/**
 * An account, as the API shows it: {@code {"id", "owner", "currency", "balance", "createdAt"}}, the balance as a
 * string with two decimals. A Spring Data entity of table {@code accounts}, for {@link AccountRepository}.
 *
 * @param id        the account's id
 * @param owner     who owns it
 * @param currency  ISO 4217 code, e.g. {@code EUR}
 * @param balance   the balance
 * @param createdAt when it was opened
 */
@Table("accounts")
record Account(@Id Long id, String owner, String currency,
        @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal balance, @ReadOnlyProperty OffsetDateTime createdAt) {

    /** The columns {@link #from(Readable)} reads, in order. */
    static final String COLUMNS = "id, owner, currency, balance, created_at";

    static Account from(Readable row) {
        return new Account(row.get(0, Long.class), row.get(1, String.class), row.get(2, String.class),
                row.get(3, BigDecimal.class), row.get(4, OffsetDateTime.class));
    }
}
