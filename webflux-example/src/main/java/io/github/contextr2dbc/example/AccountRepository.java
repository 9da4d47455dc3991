package io.github.contextr2dbc.example;

import java.util.List;

import io.github.contextr2dbc.Routing;
import io.github.contextr2dbc.data.QuerySet;
import io.github.contextr2dbc.data.Repository;
import org.springframework.stereotype.Component;

/**
 * Accounts, Django-ORM style, through the toolkit's routing: reads go to a replica in GET requests (the primary
 * after a write in the same request, or for a client presenting a read-your-own-writes token the replicas have
 * not replayed), writes and locking reads to the primary.
 */
@Component
class AccountRepository extends Repository<Account, Long> {

    AccountRepository(Routing routing) {
        super(routing);
    }

    /**
     * A manager: the accounts of {@code ids}, locked for update ({@code SELECT ... FOR UPDATE}), lowest id
     * first, so two transactions locking the same accounts wait for each other instead of deadlocking.
     */
    QuerySet<Account> lockedInOrder(Long... ids) {
        return objects().filter("id__in", List.of(ids)).orderBy("id").selectForUpdate();
    }
}
