package io.github.contextr2dbc.example;

import io.github.contextr2dbc.Routing;
import io.github.contextr2dbc.data.Q;
import io.github.contextr2dbc.data.QuerySet;
import io.github.contextr2dbc.data.Repository;
import org.springframework.stereotype.Component;

/** Transfers, through the toolkit's routing (see {@link AccountRepository}). */
@Component
class TransferRepository extends Repository<Transfer, Long> {

    TransferRepository(Routing routing) {
        super(routing);
    }

    /** A manager: the transfers from or to {@code account}. */
    QuerySet<Transfer> ofAccount(long account) {
        return objects().filter(Q.of("fromAccount", account).or(Q.of("toAccount", account)));
    }
}
