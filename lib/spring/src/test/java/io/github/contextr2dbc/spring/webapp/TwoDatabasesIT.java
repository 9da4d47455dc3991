package io.github.contextr2dbc.spring.webapp;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two databases in one request: committed in declaration order (main, then audit), whatever order they were used in.
 */
class TwoDatabasesIT extends AbstractWebIT {

    @Test
    void commitsBothDatabases() {
        String name = unique("two");
        this.client.post().uri("/t/two?name={n}", name).exchange().expectStatus().isOk();
        assertThat(items(name)).isEqualTo(1);
        assertThat(auditRows(name)).isEqualTo(1);
    }

    @Test
    void commitsInDeclarationOrderAndReportsAPartialCommit() {
        String name = unique("two-partial");
        this.client.post().uri("/t/two/audit-fails?name={n}", name).exchange()
                .expectStatus().isEqualTo(500)
                .expectBody().jsonPath("$.type").isEqualTo("urn:context-r2dbc:problem:partial-commit");
        // main was declared first, so it committed before audit's COMMIT failed
        assertThat(items(name)).isEqualTo(1);
        assertThat(auditRows(name)).isZero();
    }

    private static long auditRows(String note) {
        return auditSql().queryLong("SELECT count(*) FROM audit WHERE note = '" + note + "'");
    }
}
