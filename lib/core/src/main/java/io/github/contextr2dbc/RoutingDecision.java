package io.github.contextr2dbc;

/** Where a routed read went, and why; {@link Routing#decisions(RoutingDecision)} counts them. */
public enum RoutingDecision {

    /** To a replica. */
    REPLICA("replica"),

    /** To the primary: the routers named a database without replicas, or the unit of work reads from primaries. */
    PRIMARY("primary"),

    /** To the primary because this unit of work may have written there (read-your-own-writes). */
    PRIMARY_AFTER_WRITE("primary-after-write"),

    /** To the primary because no replica had replayed the request's read-your-own-writes token in time. */
    FALLBACK_LAGGING("fallback-lagging"),

    /** To the primary because no replica was in rotation. */
    FALLBACK_NO_REPLICA("fallback-no-replica"),

    /** To the database forced with {@link Routing#using} or {@link RoutingHint#using(Database)}. */
    USING("using");

    private final String tag;

    RoutingDecision(String tag) {
        this.tag = tag;
    }

    /** A short tag value for metrics. */
    public String tag() {
        return this.tag;
    }
}
