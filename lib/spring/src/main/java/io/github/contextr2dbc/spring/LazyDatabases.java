package io.github.contextr2dbc.spring;

import java.util.Objects;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

/**
 * The {@link Databases} of an advisor, taken from a supplier when first needed: auto-proxy creators create
 * advisors early, before the databases may be created. Thread-safe; the supplier may be asked more than
 * once by racing first calls, and must return the same databases each time.
 */
final class LazyDatabases {

    private final Supplier<Databases> supplier;

    private volatile @Nullable Databases databases;

    LazyDatabases(Supplier<Databases> supplier) {
        this.supplier = Objects.requireNonNull(supplier, "databases");
    }

    /** The databases, asking the supplier the first time. */
    Databases get() {
        Databases all = this.databases;
        if (all == null) {
            all = Objects.requireNonNull(this.supplier.get(), "the Databases supplier returned null");
            this.databases = all;
        }
        return all;
    }

    /** The databases if the supplier was already asked, else null (nothing is created). */
    @Nullable
    Databases ifKnown() {
        return this.databases;
    }
}
