package io.github.contextr2dbc;

import org.jspecify.annotations.Nullable;

/** What the Reactor Context says about routed reads: primaries only, a position to wait for, a forced database. */
final class ReadScope {

    static final ReadScope DEFAULT = new ReadScope(false, Lsn.NONE, null);

    final boolean primaryOnly;

    final long minLsn;

    @Nullable
    final Database using;

    ReadScope(boolean primaryOnly, long minLsn, @Nullable Database using) {
        this.primaryOnly = primaryOnly;
        this.minLsn = minLsn;
        this.using = using;
    }

    ReadScope primaryOnly(boolean value) {
        return new ReadScope(value, this.minLsn, this.using);
    }

    ReadScope after(long lsn) {
        return new ReadScope(this.primaryOnly, Math.max(lsn, this.minLsn), this.using);
    }

    ReadScope with(Database db) {
        return new ReadScope(this.primaryOnly, this.minLsn, db);
    }
}
