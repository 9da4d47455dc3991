package io.github.contextr2dbc.launcher;

import java.util.Locale;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses where a new pair comes from: external URLs, then local server binaries, then Testcontainers (see
 * {@link PostgresPair} for the reasons and the environment variables).
 */
final class PairProviders {

    /** Forces a provider: {@code local}, {@code testcontainers} or {@code external}. */
    static final String PROVIDER_ENV = "CONTEXT_R2DBC_PG_PROVIDER";
    /** R2DBC URL of an external primary. */
    static final String PRIMARY_URL_ENV = "CONTEXT_R2DBC_PRIMARY_URL";
    /** R2DBC URL of an external replica. */
    static final String REPLICA_URL_ENV = "CONTEXT_R2DBC_REPLICA_URL";

    private static final Logger log = LoggerFactory.getLogger(PairProviders.class);

    private static final String INSTALL_HINT = "install the PostgreSQL server binaries (for example "
            + "'apt-get install postgresql-15', 'dnf install postgresql-server' or 'brew install postgresql@15'; "
            + "they are found on the PATH, through pg_config or under /usr/lib/postgresql/*/bin), or name their "
            + "folder in " + PostgresBinaries.BIN_ENV + ".";

    private PairProviders() {
    }

    /**
     * Starts (or, for external URLs, connects to) a new pair.
     *
     * @return the pair
     * @throws IllegalStateException if no provider can give one; the message says how to get a database
     */
    static PostgresPair start() {
        String forced = env(PROVIDER_ENV).map(v -> v.toLowerCase(Locale.ROOT)).orElse("");
        switch (forced) {
            case "":
                return startFirstAvailable();
            case "external":
                return external().orElseThrow(() -> new IllegalStateException(PROVIDER_ENV + "=external needs "
                        + PRIMARY_URL_ENV + " and " + REPLICA_URL_ENV + " (R2DBC URLs such as "
                        + "r2dbc:postgresql://user:password@host:5432/database)"));
            case "local":
                return PostgresBinaries.find().map(LocalPostgresPair::start).orElseThrow(() ->
                        new IllegalStateException(PROVIDER_ENV + "=local but no PostgreSQL server binaries were "
                                + "found; " + INSTALL_HINT));
            case "testcontainers":
                if (!DockerProbe.dockerAvailable()) {
                    throw new IllegalStateException(PROVIDER_ENV + "=testcontainers but no Docker engine answers "
                            + "(or Testcontainers is not on the class path); start Docker or choose another "
                            + "provider");
                }
                return TestcontainersPostgresPair.start();
            default:
                throw new IllegalStateException(PROVIDER_ENV + "=" + forced
                        + " is not a provider; use local, testcontainers or external (or unset it)");
        }
    }

    private static PostgresPair startFirstAvailable() {
        Optional<PostgresPair> external = external();
        if (external.isPresent()) {
            return external.get();
        }
        Optional<PostgresBinaries> bin = PostgresBinaries.find();
        if (bin.isPresent()) {
            return LocalPostgresPair.start(bin.get());
        }
        log.info("No PostgreSQL server binaries found; asking Testcontainers for a Docker engine");
        if (DockerProbe.dockerAvailable()) {
            return TestcontainersPostgresPair.start();
        }
        throw new IllegalStateException("No PostgreSQL primary + replica for the tests: there are no PostgreSQL "
                + "server binaries on this machine and no Docker engine answers. Either " + INSTALL_HINT
                + " Or start a Docker engine (Testcontainers then runs postgres:15). Or point the tests at an "
                + "existing pair: " + PRIMARY_URL_ENV + "=r2dbc:postgresql://user:password@host:5432/db and "
                + REPLICA_URL_ENV + "=... (the replica must be a streaming standby of the primary).");
    }

    private static Optional<PostgresPair> external() {
        Optional<String> primary = env(PRIMARY_URL_ENV);
        Optional<String> replica = env(REPLICA_URL_ENV);
        if (primary.isEmpty() && replica.isEmpty()) {
            return Optional.empty();
        }
        if (primary.isEmpty() || replica.isEmpty()) {
            throw new IllegalStateException("Set both " + PRIMARY_URL_ENV + " and " + REPLICA_URL_ENV
                    + " (or neither, to let the launcher start its own pair); only "
                    + (primary.isPresent() ? PRIMARY_URL_ENV : REPLICA_URL_ENV) + " is set");
        }
        ExternalPostgresPair pair = new ExternalPostgresPair(primary.get(), replica.get());
        log.info("Using the external PostgreSQL pair {}", pair);
        return Optional.of(pair);
    }

    private static Optional<String> env(String name) {
        return Optional.ofNullable(System.getenv(name)).map(String::trim).filter(v -> !v.isEmpty());
    }
}
