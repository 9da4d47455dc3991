package io.github.contextr2dbc;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * A replica as the last background check saw it (see {@link Routing#replicas()}).
 *
 * @param replica the replica
 * @param inRotation whether routed reads may go to it
 * @param lagBytes how far its replay is behind the primary's WAL position, in bytes; -1 if unknown
 * @param replayLsn the last WAL position it replayed ({@code pg_last_wal_replay_lsn()}), or null if unknown
 * @param reason why it is out of rotation, or null
 * @param checkedAt when it was last checked, or null if never
 */
public record ReplicaStatus(Database replica, boolean inRotation, long lagBytes, @Nullable String replayLsn,
        @Nullable String reason, @Nullable Instant checkedAt) {
}
