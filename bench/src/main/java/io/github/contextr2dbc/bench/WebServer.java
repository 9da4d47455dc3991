package io.github.contextr2dbc.bench;

import java.time.Duration;
import java.util.List;

import io.github.contextr2dbc.spring.ContextR2dbcWebFilter;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.adapter.WebHttpHandlerBuilder;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * A Spring WebFlux server on Reactor Netty serving {@link WebRoutes} for one variant, on a free loopback
 * port: the routes' handler, behind {@code ContextR2dbcWebFilter} for context-r2dbc and behind no filter
 * for the others, built by {@code WebHttpHandlerBuilder} as a Spring application would be (no Spring Boot
 * auto-configuration: nothing else in the chain).
 *
 * <p>Threads: Reactor Netty's defaults, deliberately. The server runs on the default HTTP event loops
 * ({@code HttpResources}: {@code reactor-http-*}, max(cores, 4) threads), which the benchmark's client
 * ({@link BenchHttpClient}) shares; r2dbc-postgresql's connections run on {@code reactor-tcp-*}. On 2
 * cores the client, the server and PostgreSQL share the CPU whatever the threads, and every variant runs
 * on the same ones.
 *
 * <p>The variant (its pool) belongs to the caller, who closes it after the server.
 */
final class WebServer implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final DisposableServer server;

    private WebServer(DisposableServer server) {
        this.server = server;
    }

    /**
     * Starts the server of {@code variant}, of kind {@code kind}: {@code raw}, {@code context} or
     * {@code spring-client}.
     */
    static WebServer start(Variant.Kind kind, Variant variant) {
        return switch (kind) {
            case CONTEXT -> start(WebRoutes.inRequestUnitOfWork((ContextVariant) variant),
                    List.of(ContextR2dbcWebFilter.builder().build()));
            case RAW, SPRING_CLIENT -> start(WebRoutes.inOwnTransaction(variant), List.of());
            default -> throw new IllegalArgumentException("No HTTP variant " + kind + ": raw, context, spring-client");
        };
    }

    private static WebServer start(RouterFunction<ServerResponse> routes, List<WebFilter> filters) {
        HttpHandler handler = WebHttpHandlerBuilder.webHandler(RouterFunctions.toWebHandler(routes))
                .filters(chain -> chain.addAll(filters))
                .build();
        // Reactor Netty's defaults: the event loops of HttpResources, no access log, HTTP/1.1
        return new WebServer(HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .handle(new ReactorHttpHandlerAdapter(handler))
                .bindNow(TIMEOUT));
    }

    /** The port the server listens on, on 127.0.0.1. */
    int port() {
        return this.server.port();
    }

    /** Stops the server, waiting for it. */
    @Override
    public void close() {
        this.server.disposeNow(TIMEOUT);
    }
}
