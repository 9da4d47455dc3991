package io.github.contextr2dbc.launcher;

import io.r2dbc.spi.ConnectionFactory;

/**
 * The one pair per JVM behind {@link PostgresPair#shared()}: started on first use, stopped by the pair's own
 * JVM shutdown hook. This view ignores {@link #close()} so that no test can stop it for the others; every
 * other call goes to the pair.
 */
final class SharedPair implements PostgresPair {

    private static final Object LOCK = new Object();
    private static SharedPair instance;
    private static RuntimeException failure;

    private final PostgresPair pair;

    private SharedPair(PostgresPair pair) {
        this.pair = pair;
    }

    /**
     * Returns the shared pair, starting it on the first call.
     *
     * @return the shared pair
     * @throws IllegalStateException if it cannot start; later calls fail at once with the same cause
     */
    static PostgresPair instance() {
        synchronized (LOCK) {
            if (instance != null) {
                return instance;
            }
            if (failure != null) {
                throw new IllegalStateException("The shared PostgreSQL pair failed to start earlier in this JVM: "
                        + failure.getMessage(), failure);
            }
            try {
                instance = new SharedPair(PairProviders.start());
                return instance;
            } catch (RuntimeException e) {
                failure = e;
                throw e;
            }
        }
    }

    @Override
    public String kind() {
        return pair.kind();
    }

    @Override
    public String host() {
        return pair.host();
    }

    @Override
    public int primaryPort() {
        return pair.primaryPort();
    }

    @Override
    public int replicaPort() {
        return pair.replicaPort();
    }

    @Override
    public String username() {
        return pair.username();
    }

    @Override
    public String password() {
        return pair.password();
    }

    @Override
    public String database() {
        return pair.database();
    }

    @Override
    public String primaryUrl() {
        return pair.primaryUrl();
    }

    @Override
    public String replicaUrl() {
        return pair.replicaUrl();
    }

    @Override
    public String primaryUrl(String database) {
        return pair.primaryUrl(database);
    }

    @Override
    public String replicaUrl(String database) {
        return pair.replicaUrl(database);
    }

    @Override
    public ConnectionFactory primaryConnectionFactory() {
        return pair.primaryConnectionFactory();
    }

    @Override
    public ConnectionFactory replicaConnectionFactory() {
        return pair.replicaConnectionFactory();
    }

    @Override
    public String createDatabase(String prefix) {
        return pair.createDatabase(prefix);
    }

    @Override
    public void execute(String sql) {
        pair.execute(sql);
    }

    @Override
    public void awaitReplicaCaughtUp() {
        pair.awaitReplicaCaughtUp();
    }

    @Override
    public void pauseReplay() {
        pair.pauseReplay();
    }

    @Override
    public void resumeReplay() {
        pair.resumeReplay();
    }

    @Override
    public void stopPrimary() {
        pair.stopPrimary();
    }

    @Override
    public void startPrimary() {
        pair.startPrimary();
    }

    @Override
    public void promoteReplica() {
        pair.promoteReplica();
    }

    /** Does nothing: the shared pair lives until the JVM exits. */
    @Override
    public void close() {
        // stopped by the JVM shutdown hook
    }

    @Override
    public String toString() {
        return "shared " + pair;
    }

    @Override
    public PostgresReplica secondReplica() {
        return pair.secondReplica();
    }

    @Override
    public void startPrimaryAsStandby() {
        pair.startPrimaryAsStandby();
    }

    @Override
    public void requirePassword(String role, String password) {
        pair.requirePassword(role, password);
    }
}
