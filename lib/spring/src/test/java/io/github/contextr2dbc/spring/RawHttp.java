package io.github.contextr2dbc.spring;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 keep-alive connection on a plain socket: requests written by hand, responses read by
 * their declared length (or chunks), every read bounded by a timeout. For tests of the connection
 * itself, where a pooling client would hide what the server did on that one connection.
 */
public final class RawHttp implements AutoCloseable {

    /** A response as read from the connection. */
    public record Response(int status, Map<String, String> headers, byte[] body) {

        public String header(String name) {
            return this.headers.get(name.toLowerCase(Locale.ROOT));
        }

        public String text() {
            return new String(this.body, StandardCharsets.UTF_8);
        }
    }

    private final Socket socket;

    private final InputStream in;

    private final OutputStream out;

    public RawHttp(int port, int timeoutMillis) throws IOException {
        this.socket = new Socket("localhost", port);
        this.socket.setSoTimeout(timeoutMillis);
        this.socket.setTcpNoDelay(true);
        this.in = this.socket.getInputStream();
        this.out = this.socket.getOutputStream();
    }

    public static String request(String method, String path) {
        return method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n"
                + (method.equals("POST") ? "Content-Length: 0\r\n" : "") + "\r\n";
    }

    /** Writes the requests in one write (pipelined when more than one). */
    public void send(String... requests) throws IOException {
        this.out.write(String.join("", requests).getBytes(StandardCharsets.US_ASCII));
        this.out.flush();
    }

    /** Writes a request with a body of {@code length} bytes. */
    public void sendWithBody(String method, String path, int length) throws IOException {
        this.out.write((method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n"
                + "Content-Type: application/octet-stream\r\nContent-Length: " + length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        byte[] chunk = new byte[8192];
        for (int sent = 0; sent < length; sent += chunk.length) {
            this.out.write(chunk, 0, Math.min(chunk.length, length - sent));
        }
        this.out.flush();
    }

    /** Sends one request and reads its response. */
    public Response exchange(String method, String path) throws IOException {
        send(request(method, path));
        return read();
    }

    /**
     * Reads one response.
     *
     * @throws SocketTimeoutException when the server did not answer in time
     */
    public Response read() throws IOException {
        String statusLine = line();
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("Not an HTTP response: " + statusLine);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String header = line(); !header.isEmpty(); header = line()) {
            int colon = header.indexOf(':');
            headers.merge(header.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                    header.substring(colon + 1).trim(),
                    (a, b) -> a + ", " + b);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (headers.containsKey("content-length")) {
            body.write(this.in.readNBytes(Integer.parseInt(headers.get("content-length"))));
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            for (int size = Integer.parseInt(line().trim(), 16); size > 0; size = Integer.parseInt(line().trim(), 16)) {
                body.write(this.in.readNBytes(size));
                line();
            }
            line();
        }
        return new Response(Integer.parseInt(parts[1]), headers, body.toByteArray());
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int previous = -1;
        for (int b = this.in.read(); ; b = this.in.read()) {
            if (b == -1) {
                throw new IOException("The server closed the connection");
            }
            if (previous == '\r' && b == '\n') {
                byte[] bytes = line.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
            previous = b;
        }
    }

    @Override
    public void close() throws IOException {
        this.socket.close();
    }
}
