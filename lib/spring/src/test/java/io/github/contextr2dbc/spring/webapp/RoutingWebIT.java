package io.github.contextr2dbc.spring.webapp;

import java.util.HashSet;
import java.util.Set;

import io.github.contextr2dbc.Database;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/** Routing through the web filter: GET/HEAD to replicas, other methods to the primary, the token, health, metrics. */
class RoutingWebIT extends AbstractWebIT {

    private static final String HEADER = "Context-R2dbc-Read-After";

    @Autowired
    MeterRegistry registry;

    @BeforeAll
    static void needsTwoReplicas() {
        Assumptions.assumeTrue(WebAppDatabases.REPLICA2 != null, "this provider has no second replica");
    }

    private String get(String uri, Object... variables) {
        return this.client.get().uri(uri, variables).exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
    }

    private static int port(String countAndPort) {
        return Integer.parseInt(countAndPort.substring(countAndPort.indexOf(':') + 1));
    }

    private static Set<Integer> replicaPorts() {
        return Set.of(WebAppDatabases.PAIR.replicaPort(), WebAppDatabases.REPLICA2.port());
    }

    private double decisions(String decision) {
        return this.registry.get("context.r2dbc.routing.decisions").tag("decision", decision).functionCounter().count();
    }

    @Test
    void getReadsGoToBothReplicasAndAPostReadsFromThePrimary() {
        String name = unique("routing-read");
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            ports.add(port(get("/routing/count?name={n}", name)));
        }
        assertThat(ports).isEqualTo(replicaPorts());
        String inPost = this.client.post().uri("/routing/count?name={n}", name).exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
        assertThat(port(inPost)).isEqualTo(WebAppDatabases.PAIR.primaryPort());
    }

    @Test
    void aRequestThatRoutesButRunsNothingTakesNoConnectionAnywhere() {
        long before = this.databases.all().stream().mapToLong(Database::acquisitions).sum();
        assertThat(get("/routing/nothing")).isEqualTo("routed, ran nothing");
        assertThat(this.databases.all().stream().mapToLong(Database::acquisitions).sum()).isEqualTo(before);
    }

    @Test
    void aWriteReturnsATokenThatReadsFromThePrimaryWhileTheReplicasLag() {
        String name = unique("routing-token");
        WebAppDatabases.PAIR.pauseReplay();
        WebAppDatabases.REPLICA2.pauseReplay();
        try {
            double lagging = decisions("fallback-lagging");
            String token = this.client.post().uri("/routing/items?name={n}", name).exchange()
                    .expectStatus().isOk()
                    .expectCookie().exists("read-after")
                    .returnResult(String.class).getResponseHeaders().getFirst(HEADER);
            assertThat(token).matches("[0-9A-F]+/[0-9A-F]+\\.[0-9]+\\.[A-Za-z0-9_-]+");

            String withToken = this.client.get().uri("/routing/count?name={n}", name).header(HEADER, token)
                    .exchange().expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
            assertThat(withToken).isEqualTo("1:" + WebAppDatabases.PAIR.primaryPort());
            assertThat(decisions("fallback-lagging")).isEqualTo(lagging + 1);

            String withCookie = this.client.get().uri("/routing/count?name={n}", name).cookie("read-after", token)
                    .exchange().expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
            assertThat(withCookie).isEqualTo("1:" + WebAppDatabases.PAIR.primaryPort());

            // no token, or a forged one: a replica, which has not replayed the row yet
            assertThat(get("/routing/count?name={n}", name)).startsWith("0:");
            String forged = "FFFF/0" + token.substring(token.indexOf('.'));
            String withForged = this.client.get().uri("/routing/count?name={n}", name).header(HEADER, forged)
                    .exchange().expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
            assertThat(port(withForged)).isIn(replicaPorts());
            // a read-only request issues no token
            this.client.get().uri("/routing/count?name={n}", name).exchange().expectHeader().doesNotExist(HEADER);
        } finally {
            WebAppDatabases.PAIR.resumeReplay();
            WebAppDatabases.REPLICA2.resumeReplay();
        }
        WebAppDatabases.PAIR.awaitReplicaCaughtUp();
    }

    @Test
    void healthShowsTheReplicasInRotation() {
        this.client.get().uri("/actuator/health").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.components.routing.status").isEqualTo("UP")
                .jsonPath("$.components.routing.details.replica.replicaOf").isEqualTo("main")
                .jsonPath("$.components.routing.details.replica.inRotation").isBoolean()
                .jsonPath("$.components.routing.details.replica2.inRotation").isBoolean()
                .jsonPath("$.components.routing.details.replicasInRotation").isNumber();
        assertThat(this.registry.get("context.r2dbc.routing.replica.in.rotation").tag("replica", "replica2").gauge()
                .value()).isBetween(0.0, 1.0);
    }
}
