package io.github.contextr2dbc.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * The client side of {@link WebFilterBenchmark}: Reactor Netty's {@code HttpClient}, in the benchmark's
 * JVM, to one {@link WebServer}, with a connection pool of its own as large as the number of requests in
 * flight (so no request waits for a connection), keeping its connections alive between requests. Every
 * request checks that the status is 200.
 *
 * <p>Threads: Reactor Netty's defaults, deliberately: the default HTTP event loops, which the server shares
 * (see {@link WebServer}). On 2 cores the client, the server and PostgreSQL share the CPU anyway.
 */
final class BenchHttpClient implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final ConnectionProvider connections;

    private final HttpClient client;

    private final HttpClient jsonClient;

    /** A client of the server on {@code 127.0.0.1:port} for {@code concurrency} requests in flight. */
    BenchHttpClient(int port, int concurrency) {
        this.connections = ConnectionProvider.builder("bench-http-client").maxConnections(concurrency).build();
        this.client = HttpClient.create(this.connections).baseUrl("http://127.0.0.1:" + port);
        this.jsonClient = this.client.headers(headers -> headers.set(HttpHeaderNames.CONTENT_TYPE,
                HttpHeaderValues.APPLICATION_JSON));
    }

    /** {@code GET uri}: the body; error if the status is not 200. */
    Mono<String> get(String uri) {
        return bodyOf200(this.client.get().uri(uri));
    }

    /** {@code POST uri} with a JSON body: the response body; error if the status is not 200. */
    Mono<String> postJson(String uri, String json) {
        return bodyOf200(this.jsonClient.post().uri(uri).send(ByteBufFlux.fromString(Mono.just(json))));
    }

    private static Mono<String> bodyOf200(HttpClient.ResponseReceiver<?> request) {
        return request.responseSingle((response, body) -> body.asString(StandardCharsets.UTF_8)
                .defaultIfEmpty("")
                .flatMap(text -> response.status().code() == 200 ? Mono.just(text)
                        : Mono.error(new IllegalStateException(response.method() + " " + response.uri() + ": "
                                + response.status() + " " + text))));
    }

    /** Closes the client's connections, waiting for it. */
    @Override
    public void close() {
        this.connections.disposeLater().block(TIMEOUT);
    }
}
