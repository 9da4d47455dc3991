package io.github.contextr2dbc.spring.boot;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.github.contextr2dbc.spring.TestSql;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.CompositeReactiveHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/** The health check's time limit is {@code context-r2dbc.health.timeout}. */
class HealthTimeoutIT {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ContextR2dbcAutoConfiguration.class,
                    ContextR2dbcHealthAutoConfiguration.class));

    @Test
    void aDatabaseThatAcceptsButNeverAnswersIsDownAfterTheConfiguredTimeout() throws IOException {
        // a server that accepts connections and never says anything: the check waits until its time limit
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new ArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (!silent.isClosed()) {
                        accepted.add(silent.accept());
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            }, "silent-server");
            acceptor.setDaemon(true);
            acceptor.start();
            this.runner.withPropertyValues(
                            "context-r2dbc.databases.main.url=r2dbc:postgresql://app@127.0.0.1:" + silent.getLocalPort()
                                    + "/nothing",
                            "context-r2dbc.health.timeout=300ms")
                    .run(context -> {
                        ReactiveHealthIndicator main = (ReactiveHealthIndicator) context
                                .getBean("r2dbcHealthContributor", CompositeReactiveHealthContributor.class)
                                .getContributor("main");
                        long started = System.nanoTime();
                        Health health = main.health().block(TestSql.TIMEOUT);
                        Duration took = Duration.ofNanos(System.nanoTime() - started);
                        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                        assertThat(took).as("the configured 300 ms, not the default 5 s")
                                .isGreaterThanOrEqualTo(Duration.ofMillis(300)).isLessThan(Duration.ofSeconds(4));
                    });
            for (Socket socket : accepted) {
                socket.close();
            }
        }
    }

    @Test
    void aTimeoutThatIsNotPositiveFailsTheStartupWithTheRemedy() {
        this.runner.withPropertyValues("context-r2dbc.databases.main.url=r2dbc:postgresql://app@127.0.0.1:1/x",
                        "context-r2dbc.health.timeout=0s")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .hasStackTraceContaining("context-r2dbc.health.timeout must be a positive duration"));
    }
}
