package io.github.contextr2dbc.spring.slice;

import io.github.contextr2dbc.launcher.PostgresPair;
import io.github.contextr2dbc.spring.ContextR2dbcWebFilter;
import io.github.contextr2dbc.spring.TestSql;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webflux.test.autoconfigure.WebFluxTest;
import org.springframework.context.ApplicationContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code @WebFluxTest} brings the toolkit's filter: each request is a unit of work committed by status. */
@WebFluxTest(SliceApplication.NoteController.class)
class WebFluxSliceIT {

    private static final PostgresPair PAIR = PostgresPair.shared();

    private static final String DATABASE = PAIR.createDatabase("spring_slice_web");

    private static final TestSql SQL = new TestSql(PAIR.primaryUrl(DATABASE));

    @DynamicPropertySource
    static void databases(DynamicPropertyRegistry registry) {
        SQL.execute("CREATE TABLE IF NOT EXISTS note (id bigserial PRIMARY KEY, text text)");
        registry.add("context-r2dbc.databases.main.url", () -> PAIR.primaryUrl(DATABASE));
    }

    @Autowired
    WebTestClient client;

    @Autowired
    ApplicationContext context;

    @Test
    void theSliceCommitsA2xxAndRollsBackA4xx() {
        assertThat(this.context.getBeansOfType(ContextR2dbcWebFilter.class)).hasSize(1);
        this.client.post().uri("/notes/kept/201").exchange().expectStatus().isCreated();
        this.client.post().uri("/notes/dropped/400").exchange().expectStatus().isBadRequest();
        assertThat(SQL.queryLong("SELECT count(*) FROM note WHERE text = 'kept'")).isEqualTo(1);
        assertThat(SQL.queryLong("SELECT count(*) FROM note WHERE text = 'dropped'")).isZero();
    }
}
