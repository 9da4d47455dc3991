package io.github.contextr2dbc.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Picks TCP ports that are free on the loopback address right now. */
final class FreePorts {

    private static final byte[] LOOPBACK = {127, 0, 0, 1};

    private FreePorts() {
    }

    /**
     * Asks the kernel for a free port on 127.0.0.1.
     *
     * @return a port nobody listens on at the moment of the call
     */
    static int pick() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByAddress(LOOPBACK))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot find a free port on the loopback address", e);
        }
    }
}
