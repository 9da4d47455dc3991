package io.github.contextr2dbc.spring.data;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.data.FilterSet;
import io.github.contextr2dbc.data.ListQuery;
import io.github.contextr2dbc.data.Lookup;
import io.github.contextr2dbc.data.Ordering;
import io.github.contextr2dbc.data.QuerySet;
import io.github.contextr2dbc.data.Repository;
import io.github.contextr2dbc.launcher.PostgresPair;
import io.github.contextr2dbc.spring.ContextR2dbcWebFilter;
import io.github.contextr2dbc.spring.TestSql;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.data.annotation.Id;
import org.springframework.data.relational.core.mapping.Table;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.server.RouterFunctions;

import static org.assertj.core.api.Assertions.assertThat;

/** A list endpoint in a few lines: filters, ordering and pages from query parameters; hostile ones get 400. */
class ListEndpointIT {

    private static final PostgresPair PAIR = PostgresPair.shared();

    private static Database db;

    private static TestSql sql;

    /** A book. */
    @Table("book")
    public static final class Book {

        @Id
        public Long id;

        public String title;

        public Integer pages;

        public String status;
    }

    static final class Books extends Repository<Book, Long> {

        Books(Database database) {
            super(database);
        }

        QuerySet<Book> published() {
            return objects().filter("status", "published");
        }
    }

    private final Books books = new Books(db);

    private final WebTestClient client = WebTestClient.bindToRouterFunction(RouterFunctions.route()
                    .GET("/books", ListEndpoint.of(this.books::published, ListQuery.create()
                            .filters(FilterSet.create().allow("title", Lookup.EXACT, Lookup.ICONTAINS)
                                    .allow("pages", Lookup.GTE, Lookup.LTE, Lookup.IN))
                            .ordering(Ordering.allow("title", "pages").byDefault("title"))
                            .pageSize(2, 3)))
                    .build())
            .webFilter(ContextR2dbcWebFilter.builder().build())
            .build();

    @BeforeAll
    static void database() {
        String name = PAIR.createDatabase("spring_list");
        sql = new TestSql(PAIR.primaryUrl(name));
        sql.execute("CREATE TABLE book (id bigserial PRIMARY KEY, title text NOT NULL, pages int, status text)",
                "INSERT INTO book (title, pages, status) VALUES ('Dune', 412, 'published'), ('Emma', 474, 'published'),"
                        + " ('Ubik', 202, 'published'), ('Solaris', 204, 'published'), ('Draft', 1, 'draft')");
        db = Database.builder("list").url(PAIR.primaryUrl(name)).maxSize(2).build();
        db.inSession(session -> session.sql("SELECT 1").execute()).blockLast(TestSql.TIMEOUT);
    }

    @AfterAll
    static void close() {
        db.close().block(TestSql.TIMEOUT);
    }

    @Test
    void filtersOrdersAndPaginatesFromQueryParameters() {
        this.client.get().uri("/books?pages__lte=300&ordering=-pages&limit=1&offset=1").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.data.length()").isEqualTo(1)
                .jsonPath("$.data[0].title").isEqualTo("Ubik")
                .jsonPath("$.meta.offset").isEqualTo(1)
                .jsonPath("$.meta.limit").isEqualTo(1)
                .jsonPath("$.meta.totalItems").isEqualTo(2)
                .jsonPath("$.meta.totalPages").isEqualTo(2)
                .jsonPath("$.meta.pageNumber").isEqualTo(2);
        this.client.get().uri("/books").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.data[0].title").isEqualTo("Dune")
                .jsonPath("$.meta.limit").isEqualTo(2)
                .jsonPath("$.meta.totalItems").isEqualTo(4);
        this.client.get().uri(b -> b.path("/books").queryParam("title__icontains", "{t}").build("%' OR 1=1 --"))
                .exchange().expectStatus().isOk().expectBody().jsonPath("$.meta.totalItems").isEqualTo(0);
        this.client.get().uri("/books?pages__in=202,204&ordering=title").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.data[0].title").isEqualTo("Solaris").jsonPath("$.data[1].title")
                .isEqualTo("Ubik");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "status=draft",
        "title__startswith=D",
        "pages__gt=1",
        "pages__gte=abc",
        "pages__gte=1&pages__gte=2",
        "pages__in=1,x",
        "ordering=status",
        "ordering=-title;DROP TABLE book",
        "ordering=title,title,title",
        "limit=0",
        "limit=4",
        "limit=-1",
        "limit=99999999999999999999",
        "offset=-1",
        "offset=x",
        "title') OR 1=1 --=x",
        "pages__isnull=true",
    })
    void hostileOrUnknownParametersGet400NamingTheParameter(String query) {
        String parameter = query.substring(0, query.indexOf('='));
        String body = this.client.get().uri(b -> b.path("/books").query("{q}").build(query)).exchange()
                .expectStatus().isBadRequest()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody(String.class).returnResult().getResponseBody();
        assertThat(body).contains("\"parameter\":").contains("\"allowed\":").contains("Invalid query parameter");
        assertThat(body).contains(parameter.replace("\"", "\\\""));
        assertThat(sql.queryLong("SELECT count(*) FROM book")).isEqualTo(5);
    }
}
