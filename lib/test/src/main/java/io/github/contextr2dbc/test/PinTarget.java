package io.github.contextr2dbc.test;

import io.github.contextr2dbc.Database;
import org.jspecify.annotations.Nullable;

/** A database a test pins, and the primary it replicates (null for a primary). */
final class PinTarget {

    final Database database;

    @Nullable
    final Database primary;

    PinTarget(Database database, @Nullable Database primary) {
        this.database = database;
        this.primary = primary;
    }
}
