package io.github.contextr2dbc.spring.webapp;

import java.io.IOException;

import io.github.contextr2dbc.spring.RawHttp;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One HTTP/1.1 keep-alive connection keeps answering: a response finished from another thread after its
 * bytes were sent (a timer, or a database error answered from a driver thread), then a response answered
 * at once (a 404), then any request. Reactor Netty before 1.3.8 stops reading the connection there
 * (reactor-netty issue 4361); the toolkit's read re-arm (see README, "Known issue") keeps it reading.
 */
class KeepAliveIT extends AbstractWebIT {

    /** Long enough for a loaded machine; the hang it catches is forever. */
    private static final int TIMEOUT_MILLIS = 10_000;

    @LocalServerPort
    int port;

    @ParameterizedTest(name = "{0} {1}, then a 404, then a third request")
    @CsvSource({"GET, /t/delayed, 200", "POST, /t/problem/22012, 500"})
    void answersTheThirdRequestAfterAnAsynchronousThenASynchronousResponse(String method, String path, int status)
            throws IOException {
        for (int round = 0; round < 5; round++) {
            try (RawHttp connection = new RawHttp(this.port, TIMEOUT_MILLIS)) {
                assertThat(connection.exchange(method, path).status()).isEqualTo(status);
                assertThat(connection.exchange("GET", "/t/no-such-endpoint").status()).isEqualTo(404);
                assertThat(connection.exchange("GET", "/t/no-database").status()).as("third request, round %d", round)
                        .isEqualTo(200);
                assertThat(connection.exchange("GET", "/t/no-database").status()).isEqualTo(200);
            }
        }
    }

    @RepeatedTest(5)
    void answersARequestAfterTwoPipelinedOnes() throws IOException {
        try (RawHttp connection = new RawHttp(this.port, TIMEOUT_MILLIS)) {
            connection.send(RawHttp.request("GET", "/t/delayed"), RawHttp.request("GET", "/t/no-such-endpoint"));
            assertThat(connection.read().status()).isEqualTo(200);
            assertThat(connection.read().status()).isEqualTo(404);
            assertThat(connection.exchange("GET", "/t/no-database").status()).isEqualTo(200);
        }
    }
}
