package io.github.contextr2dbc.launcher;

/**
 * A pair somebody else runs, given by R2DBC URLs; nothing is started, stopped or deleted.
 */
final class ExternalPostgresPair extends AbstractPostgresPair {

    /** The environment variable naming a second replica's R2DBC URL. */
    static final String REPLICA2_URL_ENV = "CONTEXT_R2DBC_REPLICA2_URL";

    /**
     * Uses the servers behind two URLs.
     *
     * @param primaryUrl R2DBC URL of the primary
     * @param replicaUrl R2DBC URL of the replica
     * @throws IllegalArgumentException if a URL is not a plain {@code r2dbc:postgresql://} URL
     */
    ExternalPostgresPair(String primaryUrl, String replicaUrl) {
        super("external", Endpoint.parse(primaryUrl, PairProviders.PRIMARY_URL_ENV),
                Endpoint.parse(replicaUrl, PairProviders.REPLICA_URL_ENV));
    }

    /**
     * {@inheritDoc}
     *
     * <p>Here: the server at {@code CONTEXT_R2DBC_REPLICA2_URL}.
     */
    @Override
    public PostgresReplica secondReplica() {
        String url = System.getenv(REPLICA2_URL_ENV);
        if (url == null || url.isBlank()) {
            throw new UnsupportedOperationException("An external pair has a second replica only when "
                    + REPLICA2_URL_ENV + " holds its R2DBC URL");
        }
        return secondReplica(() -> Endpoint.parse(url.trim(), REPLICA2_URL_ENV));
    }

    /**
     * Not possible here.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public void stopPrimary() {
        throw unsupported("Stopping the primary");
    }

    /**
     * Not possible here.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public void startPrimary() {
        throw unsupported("Starting the primary");
    }

    /**
     * Not possible here.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public void promoteReplica() {
        throw unsupported("Promoting the replica");
    }

    /** Does nothing: the servers belong to somebody else. */
    @Override
    public void close() {
        // not ours to stop
    }

    @Override
    public String toString() {
        return "PostgresPair[external, primary " + primaryEndpoint() + ", replica " + replicaEndpoint() + "]";
    }

    private static UnsupportedOperationException unsupported(String what) {
        return new UnsupportedOperationException(what + " is not possible on an externally provided pair; unset "
                + PairProviders.PRIMARY_URL_ENV + " to let the launcher start its own");
    }
}
