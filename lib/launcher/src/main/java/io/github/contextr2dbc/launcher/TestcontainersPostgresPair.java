package io.github.contextr2dbc.launcher;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

/**
 * A primary and a streaming hot standby in two Docker containers ({@code postgres:15} unless
 * {@code CONTEXT_R2DBC_PG_IMAGE} names another image of the official PostgreSQL 14+ family) on a private
 * network, trusting every connection (no password). The replica's entry point copies the primary with
 * {@code pg_basebackup -R} and then runs {@code postgres} on the copy. Stopping and starting the primary is
 * not supported here: a restarted container may get another host port, which would silently invalidate URLs
 * handed out before.
 */
final class TestcontainersPostgresPair extends AbstractPostgresPair {

    /** Environment variable naming another PostgreSQL image. */
    static final String IMAGE_ENV = "CONTEXT_R2DBC_PG_IMAGE";

    private static final Logger log = LoggerFactory.getLogger(TestcontainersPostgresPair.class);
    private static final String DEFAULT_IMAGE = "postgres:15";
    private static final String USER = "postgres";
    /**
     * No password: the containers trust every connection, like the local pair. Password (SCRAM)
     * authentication would also make r2dbc-postgresql read {@code /dev/urandom} on a Netty thread, which
     * BlockHound reports.
     */
    private static final String PASSWORD = "";
    private static final int PORT = 5432;
    private static final String PRIMARY_ALIAS = "primary";
    private static final Duration STARTUP = Duration.ofMinutes(3);
    private static final List<String> SETTINGS = List.of(
            "-c", "wal_level=replica", "-c", "max_wal_senders=10", "-c", "wal_keep_size=512MB",
            "-c", "hot_standby=on", "-c", "max_connections=200",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "wal_writer_delay=10ms");
    /** Run by the image's entry point on first start: lets the replica container connect for replication. */
    private static final String HBA_SCRIPT = "echo 'host replication all all trust' >> \"$PGDATA/pg_hba.conf\"\n";
    private static final String REPLICA_SCRIPT = String.join("\n",
            "set -e",
            "export PGDATA=/var/lib/postgresql/data",
            "until pg_basebackup -h " + PRIMARY_ALIAS + " -p " + PORT + " -U " + USER
                    + " -D \"$PGDATA\" -R -X stream -c fast --no-sync; do",
            "  echo 'waiting for the primary'; rm -rf \"$PGDATA\"/*; sleep 1",
            "done",
            "chmod 0700 \"$PGDATA\"",
            "exec postgres " + String.join(" ", SETTINGS)
                    + " -c cluster_name=replica -c hot_standby_feedback=on -c wal_retrieve_retry_interval=100ms");

    private final Network network;
    private final GenericContainer<?> primary;
    private final GenericContainer<?> replica;
    private Thread shutdownHook;
    private boolean closed;

    private TestcontainersPostgresPair(Network network, GenericContainer<?> primary, GenericContainer<?> replica) {
        super("testcontainers", endpoint(primary), endpoint(replica));
        this.network = network;
        this.primary = primary;
        this.replica = replica;
    }

    /**
     * Starts both containers and waits until the replica streams.
     *
     * @return the running pair
     * @throws IllegalStateException if the containers do not come up
     */
    static TestcontainersPostgresPair start() {
        long started = System.nanoTime();
        String imageName = System.getenv(IMAGE_ENV) == null || System.getenv(IMAGE_ENV).isBlank()
                ? DEFAULT_IMAGE : System.getenv(IMAGE_ENV).trim();
        DockerImageName image = DockerImageName.parse(imageName);
        Network network = Network.newNetwork();
        List<String> primaryCommand = new ArrayList<>(List.of("postgres"));
        primaryCommand.addAll(SETTINGS);
        primaryCommand.addAll(List.of("-c", "cluster_name=primary"));
        GenericContainer<?> primary = new GenericContainer<>(image)
                .withNetwork(network)
                .withNetworkAliases(PRIMARY_ALIAS)
                .withEnv("POSTGRES_USER", USER)
                .withEnv("POSTGRES_HOST_AUTH_METHOD", "trust")
                .withCopyToContainer(Transferable.of(HBA_SCRIPT, 0755),
                        "/docker-entrypoint-initdb.d/10-replication.sh")
                .withCommand(primaryCommand.toArray(new String[0]))
                .withExposedPorts(PORT)
                // the image's entry point starts a temporary server for initialisation first
                .waitingFor(Wait.forLogMessage(".*database system is ready to accept connections.*\\s", 2)
                        .withStartupTimeout(STARTUP));
        GenericContainer<?> replica = new GenericContainer<>(image)
                .withNetwork(network)
                .withExposedPorts(PORT)
                .withCreateContainerCmdModifier(cmd -> cmd.withUser(USER).withEntrypoint("bash", "-c", REPLICA_SCRIPT))
                .waitingFor(Wait.forLogMessage(".*database system is ready to accept read-only connections.*\\s", 1)
                        .withStartupTimeout(STARTUP));
        try {
            primary.start();
            replica.start();
            TestcontainersPostgresPair pair = new TestcontainersPostgresPair(network, primary, replica);
            pair.awaitStreaming(() -> "--- replica container log ---" + System.lineSeparator() + replica.getLogs());
            pair.registerShutdownHook();
            log.info("PostgreSQL pair (testcontainers, {}) up in {} ms: primary {}:{}, replica {}:{}", imageName,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), pair.host(), pair.primaryPort(),
                    pair.host(), pair.replicaPort());
            return pair;
        } catch (RuntimeException e) {
            String logs = primary.isCreated() ? primary.getLogs() : "(primary container not created)";
            stopQuietly(replica, primary, network);
            throw new IllegalStateException("Could not start the PostgreSQL pair in Docker (" + imageName + "): "
                    + e.getMessage() + System.lineSeparator() + "--- primary container log ---"
                    + System.lineSeparator() + logs + System.lineSeparator() + "Install the PostgreSQL server "
                    + "binaries (for example 'apt-get install postgresql-15') to use the faster local provider, "
                    + "or set " + PairProviders.PRIMARY_URL_ENV + " and " + PairProviders.REPLICA_URL_ENV + ".", e);
        }
    }

    /**
     * Not supported here.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public void stopPrimary() {
        throw unsupported("Stopping the primary");
    }

    /**
     * Not supported here.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public void startPrimary() {
        throw unsupported("Starting the primary");
    }

    /** Stops and removes both containers and the network. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (shutdownHook != null) {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            }
        } catch (IllegalStateException e) {
            // the JVM is shutting down: this is the hook
        }
        closeControlConnections();
        stopQuietly(replica, primary, network);
    }

    @Override
    public String toString() {
        return "PostgresPair[testcontainers, primary " + primaryEndpoint() + ", replica " + replicaEndpoint() + "]";
    }

    private synchronized void registerShutdownHook() {
        shutdownHook = new Thread(this::close, "context-r2dbc-pg-containers-stop");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    private static Endpoint endpoint(GenericContainer<?> container) {
        return new Endpoint(container.getHost(), container.getMappedPort(PORT), USER, PASSWORD, "postgres", "");
    }

    private static void stopQuietly(GenericContainer<?> replica, GenericContainer<?> primary, Network network) {
        for (AutoCloseable resource : List.<AutoCloseable>of(replica::stop, primary::stop, network)) {
            try {
                resource.close();
            } catch (Exception e) {
                log.warn("Could not stop a PostgreSQL container: {}", e.toString());
            }
        }
    }

    private static UnsupportedOperationException unsupported(String what) {
        return new UnsupportedOperationException(what + " is not supported on the Testcontainers pair (a restarted "
                + "container may get another port). Install the PostgreSQL server binaries (for example "
                + "'apt-get install postgresql-15') so that the launcher uses the local provider, which supports it.");
    }
}
