package io.github.contextr2dbc.spring.boot;

import java.io.IOException;
import java.time.Duration;

import io.github.contextr2dbc.spring.RawHttp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The read re-arm on a bare Reactor Netty server (no Spring, no database), and its auto-configuration's
 * switch. Without the re-arm, Reactor Netty 1.3.6 fails the pipelined case every time (the third request
 * is never read); the sequential case does not reproduce the bug on a bare server (its first response's
 * operations end before the next request arrives; through WebFlux they do not, see {@code KeepAliveIT})
 * and checks that the re-arm leaves an ordinary keep-alive connection working.
 */
class KeepAliveReadRearmTest {

    private static final int TIMEOUT_MILLIS = 10_000;

    private DisposableServer server;

    @AfterEach
    void stop() {
        if (this.server != null) {
            this.server.disposeNow();
        }
    }

    private int start() {
        NettyServerCustomizer customizer = new ContextR2dbcNettyAutoConfiguration().contextR2dbcKeepAliveReadRearm();
        this.server = customizer.apply(HttpServer.create().host("localhost").port(0))
                .route(routes -> routes
                        .get("/delayed", (request, response) -> response.sendString(
                                Mono.delay(Duration.ofMillis(20)).thenReturn("late")))
                        .get("/now", (request, response) -> response.status(404).send())
                        .get("/ok", (request, response) -> response.sendString(Mono.just("ok"))))
                .bindNow();
        return this.server.port();
    }

    @RepeatedTest(5)
    void answersTheThirdRequestAfterADelayedThenAnImmediateResponse() throws IOException {
        try (RawHttp connection = new RawHttp(start(), TIMEOUT_MILLIS)) {
            assertThat(connection.exchange("GET", "/delayed").text()).isEqualTo("late");
            assertThat(connection.exchange("GET", "/now").status()).isEqualTo(404);
            assertThat(connection.exchange("GET", "/ok").text()).isEqualTo("ok");
            assertThat(connection.exchange("GET", "/ok").text()).isEqualTo("ok");
        }
    }

    @RepeatedTest(5)
    void answersARequestAfterTwoPipelinedOnes() throws IOException {
        try (RawHttp connection = new RawHttp(start(), TIMEOUT_MILLIS)) {
            connection.send(RawHttp.request("GET", "/delayed"), RawHttp.request("GET", "/now"));
            assertThat(connection.read().status()).isEqualTo(200);
            assertThat(connection.read().status()).isEqualTo(404);
            assertThat(connection.exchange("GET", "/ok").text()).isEqualTo("ok");
        }
    }

    @Test
    void isOnByDefaultAndOffByProperty() {
        ReactiveWebApplicationContextRunner runner = new ReactiveWebApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ContextR2dbcNettyAutoConfiguration.class));
        runner.run(context -> assertThat(context).hasSingleBean(NettyServerCustomizer.class));
        runner.withPropertyValues("context-r2dbc.web.rearm-keep-alive-read=false")
                .run(context -> assertThat(context).doesNotHaveBean(NettyServerCustomizer.class));
    }
}
