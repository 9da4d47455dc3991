package io.github.contextr2dbc.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A counting TCP relay between the client and PostgreSQL: how many round trips and which protocol messages a
 * unit of work costs on the wire, whatever the variant (raw, context-r2dbc or Spring: nothing is wrapped).
 *
 * <p>A round trip is counted each time the client sends after the server last spoke on that connection (so
 * {@code BEGIN} sent together with the statement, before the server answered, is one round trip with it).
 * The client's messages are counted by type: {@code Q} (simple query: r2dbc-postgresql's {@code BEGIN},
 * {@code COMMIT}, {@code ROLLBACK}, {@code SAVEPOINT}), {@code S} (Sync: the end of an extended-protocol
 * statement), {@code P} (Parse: a statement prepared).
 *
 * <p>Blocking sockets and two threads per connection: for the short counting passes only (it adds latency),
 * never for a timed slice.
 */
final class WireCounter implements AutoCloseable {

    private static final int SSL_REQUEST = 80877103;

    private final ServerSocket server;

    private final String upstreamHost;

    private final int upstreamPort;

    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    final AtomicLong roundTrips = new AtomicLong();

    final AtomicLong simpleQueries = new AtomicLong();

    final AtomicLong syncs = new AtomicLong();

    final AtomicLong parses = new AtomicLong();

    /** Starts relaying 127.0.0.1:{@link #port()} to {@code host:port}. */
    WireCounter(String host, int port) {
        this.upstreamHost = host;
        this.upstreamPort = port;
        try {
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new IllegalStateException("Cannot open the counting relay", e);
        }
        Thread acceptor = new Thread(this::accept, "wire-counter-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** {@code url} with its host and port replaced by this relay's. */
    String relayed(String url) {
        return url.replaceFirst("//([^@/]*@)?[^:/]+:\\d+/", "//$1127.0.0.1:" + port() + "/");
    }

    int port() {
        return this.server.getLocalPort();
    }

    /** Sets every count to 0 (after the warm-up: connecting and preparing statements cost round trips too). */
    void reset() {
        this.roundTrips.set(0);
        this.simpleQueries.set(0);
        this.syncs.set(0);
        this.parses.set(0);
    }

    private void accept() {
        while (!this.server.isClosed()) {
            try {
                Socket client = this.server.accept();
                Socket upstream = new Socket(this.upstreamHost, this.upstreamPort);
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                this.sockets.add(client);
                this.sockets.add(upstream);
                Link link = new Link();
                start(() -> relay(client, upstream, link, true));
                start(() -> relay(upstream, client, link, false));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private static void start(Runnable relay) {
        Thread thread = new Thread(relay, "wire-counter-relay");
        thread.setDaemon(true);
        thread.start();
    }

    private void relay(Socket from, Socket to, Link link, boolean fromClient) {
        byte[] buffer = new byte[65536];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                if (fromClient) {
                    if (link.serverSpokeLast) {
                        link.serverSpokeLast = false;
                        this.roundTrips.incrementAndGet();
                    }
                    link.parse(buffer, n, this);
                } else {
                    link.serverSpokeLast = true;
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException closed) {
            // either side went away: the other relay ends too
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() {
        try {
            this.server.close();
        } catch (IOException ignored) {
            // closing
        }
        this.sockets.forEach(WireCounter::closeQuietly);
    }

    /** One relayed connection: who spoke last, and the framing of the client's messages. */
    private static final class Link {

        volatile boolean serverSpokeLast = true;

        /** Startup phase: messages without a type byte (SSLRequest, StartupMessage). */
        private boolean untyped = true;

        /** Bytes of the current header read so far (type byte, if any, and the 4-byte length). */
        private int headerRead;

        private final byte[] header = new byte[9];

        private long bodyLeft;

        void parse(byte[] bytes, int length, WireCounter counts) {
            int i = 0;
            while (i < length) {
                if (this.bodyLeft > 0) {
                    int skip = (int) Math.min(this.bodyLeft, length - i);
                    this.bodyLeft -= skip;
                    i += skip;
                    continue;
                }
                int headerSize = this.untyped ? 8 : 5;
                this.header[this.headerRead++] = bytes[i++];
                if (this.headerRead < headerSize) {
                    continue;
                }
                this.headerRead = 0;
                if (this.untyped) {
                    int size = readInt(0);
                    int code = readInt(4);
                    this.bodyLeft = size - 8L;
                    this.untyped = code == SSL_REQUEST;
                } else {
                    this.bodyLeft = readInt(1) - 4L;
                    switch (this.header[0]) {
                        case 'Q' -> counts.simpleQueries.incrementAndGet();
                        case 'S' -> counts.syncs.incrementAndGet();
                        case 'P' -> counts.parses.incrementAndGet();
                        default -> {
                            // Bind, Describe, Execute, Terminate, password messages: not counted
                        }
                    }
                }
            }
        }

        private int readInt(int at) {
            return (this.header[at] & 0xff) << 24 | (this.header[at + 1] & 0xff) << 16
                    | (this.header[at + 2] & 0xff) << 8 | this.header[at + 3] & 0xff;
        }
    }
}
