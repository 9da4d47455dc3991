package io.github.contextr2dbc;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Picks the replica a routed read goes to, among the replicas of one primary that are in rotation. Called for
 * every routed read on the request's thread: fast, non-blocking, thread-safe.
 */
@FunctionalInterface
public interface ReplicaBalancer {

    /**
     * One of {@code candidates}.
     *
     * @param candidates the replicas in rotation, never empty, in the order they were declared
     * @param hint what the read is for
     */
    Database pick(List<Database> candidates, RoutingHint hint);

    /** Each replica in turn (the default). */
    static ReplicaBalancer roundRobin() {
        AtomicInteger next = new AtomicInteger();
        return (candidates, hint) -> candidates.get(Math.floorMod(next.getAndIncrement(), candidates.size()));
    }
}
