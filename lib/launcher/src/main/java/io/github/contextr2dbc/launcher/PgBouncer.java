package io.github.contextr2dbc.launcher;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PgBouncer in front of a PostgreSQL server, for tests: started from the {@code pgbouncer} program installed
 * on this machine (Debian's package: {@code apt-get install pgbouncer}), on a free port of 127.0.0.1, trusting
 * the server's users, in the pooling mode asked for. Like the servers, it runs as the unprivileged OS user when
 * the JVM runs as root (PgBouncer refuses to run as root). Every wait is bounded; methods block the calling thread
 * and are meant for test set-up.
 */
public final class PgBouncer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PgBouncer.class);

    private static final long START_MILLIS = 20_000;

    private final Path dir;

    private final int port;

    private final Process process;

    private PgBouncer(Path dir, int port, Process process) {
        this.dir = dir;
        this.port = port;
        this.process = process;
    }

    /**
     * Finds the {@code pgbouncer} program: {@code /usr/sbin/pgbouncer} (Debian), else on the {@code PATH}.
     *
     * @return the program, or empty when it is not installed
     */
    public static Optional<Path> program() {
        Path debian = Path.of("/usr/sbin/pgbouncer");
        if (Files.isExecutable(debian)) {
            return Optional.of(debian);
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                Path candidate = Path.of(dir, "pgbouncer");
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Starts a PgBouncer in front of {@code 127.0.0.1:serverPort} (every database, user {@code postgres}), and
     * waits until it accepts connections.
     *
     * @param serverPort the PostgreSQL server's port on 127.0.0.1
     * @param poolMode   {@code session}, {@code transaction} or {@code statement}
     * @param poolSize   server connections per database and user
     * @return the running PgBouncer; close it
     * @throws IllegalStateException if {@code pgbouncer} is not installed or does not start
     */
    public static PgBouncer start(int serverPort, String poolMode, int poolSize) {
        Path program = program().orElseThrow(() -> new IllegalStateException("pgbouncer is not installed; install "
                + "it with: apt-get install -y pgbouncer"));
        OsUser user = OsUser.forServers();
        int port = FreePorts.pick();
        try {
            Path dir = Files.createTempDirectory("context-r2dbc-pgbouncer-");
            Path ini = dir.resolve("pgbouncer.ini");
            Path users = dir.resolve("userlist.txt");
            Files.writeString(users, "\"postgres\" \"\"\n", StandardCharsets.UTF_8);
            Files.writeString(ini, String.join("\n",
                    "[databases]",
                    "* = host=127.0.0.1 port=" + serverPort,
                    "[pgbouncer]",
                    "listen_addr = 127.0.0.1",
                    "listen_port = " + port,
                    "unix_socket_dir =",
                    "auth_type = trust",
                    "auth_file = " + users,
                    "pool_mode = " + poolMode,
                    "default_pool_size = " + poolSize,
                    "max_client_conn = 500",
                    "pidfile = " + dir.resolve("pgbouncer.pid"),
                    // startup parameters r2dbc-postgresql sends that PgBouncer does not track itself
                    "ignore_startup_parameters = extra_float_digits,options,search_path",
                    ""), StandardCharsets.UTF_8);
            for (Path file : List.of(dir, ini, users)) {
                user.own(file);
            }
            Process process = new ProcessBuilder(user.command(List.of(program.toString(), ini.toString())))
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("pgbouncer.log").toFile())
                    .start();
            PgBouncer bouncer = new PgBouncer(dir, port, process);
            bouncer.awaitListening();
            log.info("PgBouncer ({} pooling, {} server connections) on 127.0.0.1:{} in front of 127.0.0.1:{}",
                    poolMode, poolSize, port, serverPort);
            return bouncer;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start pgbouncer: " + e.getMessage(), e);
        }
    }

    private void awaitListening() {
        long deadline = System.currentTimeMillis() + START_MILLIS;
        while (System.currentTimeMillis() < deadline) {
            if (!this.process.isAlive()) {
                String tail = LogTail.of(this.dir.resolve("pgbouncer.log"), 20);
                close();
                throw new IllegalStateException("pgbouncer exited at start:" + System.lineSeparator() + tail);
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", this.port), 200);
                return;
            } catch (IOException notYet) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("Interrupted while waiting for pgbouncer", e);
                }
            }
        }
        close();
        throw new IllegalStateException("pgbouncer did not listen on 127.0.0.1:" + this.port + " within "
                + START_MILLIS + " ms");
    }

    /**
     * Returns the port PgBouncer listens on.
     *
     * @return the TCP port on 127.0.0.1
     */
    public int port() {
        return this.port;
    }

    /**
     * Returns an R2DBC URL of a database through PgBouncer, as user {@code postgres}.
     *
     * @param database the database
     * @param query    URL options without the {@code ?} (for example {@code preparedStatementCacheQueries=0}), or
     *                 an empty string
     * @return the URL
     */
    public String url(String database, String query) {
        return "r2dbc:postgresql://postgres@127.0.0.1:" + this.port + "/" + database
                + (query.isEmpty() ? "" : "?" + query);
    }

    /** Stops PgBouncer (through its pid file, else the process started) and deletes its folder. */
    @Override
    public void close() {
        try {
            Path pidFile = this.dir.resolve("pgbouncer.pid");
            if (Files.exists(pidFile)) {
                long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.UTF_8).trim());
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
            }
            this.process.destroy();
            if (!this.process.waitFor(10, TimeUnit.SECONDS)) {
                this.process.destroyForcibly();
            }
        } catch (IOException | NumberFormatException e) {
            this.process.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            this.process.destroyForcibly();
        }
        try {
            RunFolder.deleteTree(this.dir);
        } catch (RuntimeException e) {
            log.warn("Could not delete {}: {}", this.dir, e.toString());
        }
    }
}
