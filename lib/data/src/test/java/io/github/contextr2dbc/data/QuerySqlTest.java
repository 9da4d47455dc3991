package io.github.contextr2dbc.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.data.Repositories.AccountRepository;
import io.github.contextr2dbc.data.Repositories.BookRepository;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Snapshots of the SQL that query sets build (no database: the statements are only rendered). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QuerySqlTest {

    private static final String BOOK_COLUMNS = "book.id, book.title, book.pages, book.status, book.published_on,"
            + " book.author_id";

    private final Database db = Database.builder("snapshots").url("r2dbc:postgresql://app@localhost:1/none").build();

    private final BookRepository books = new BookRepository(this.db);

    private final AccountRepository accounts = new AccountRepository(this.db);

    @AfterAll
    void close() {
        this.db.close().block();
    }

    private static String show(Sql sql) {
        List<Object> values = new ArrayList<>();
        for (Sql.Bind bind : sql.binds) {
            values.add(bind.value());
        }
        return sql.text + " " + values;
    }

    /** The select of {@code books}, built twice: the second time from the statement cache, which must agree. */
    private String select(QuerySet<Book> books) {
        String first = show(books.allSql(new ArrayList<>()));
        assertThat(show(books.allSql(new ArrayList<>()))).isEqualTo(first);
        return first;
    }

    @Test
    void severalLookupsOnOneColumnCombineInsteadOfOverwriting() {
        assertThat(select(this.books.objects().filter("title__icontains", "ann").filter("pages__gte", 100)
                .filter("pages__lt", 500)))
                .isEqualTo("SELECT " + BOOK_COLUMNS + " FROM book WHERE book.title ILIKE $1 AND book.pages >= $2"
                        + " AND book.pages < $3 [%ann%, 100, 500]");
    }

    @Test
    void orAndExcludeNestAndWildcardsInValuesAreEscaped() {
        assertThat(select(this.books.objects().filter(Q.of("status", "draft").or(Q.of("pages__isnull", true)))
                .exclude("title__startswith", "50%_off")))
                .isEqualTo("SELECT " + BOOK_COLUMNS + " FROM book WHERE (book.status = $1 OR book.pages IS NULL)"
                        + " AND NOT (book.title LIKE $2) [draft, 50\\%\\_off%]");
    }

    @Test
    void relationLookupsJoinInnerByDefaultAndSlicesAreLimitOffset() {
        assertThat(select(this.books.objects().filter("author__name__istartswith", "a")
                .orderBy("-published", "author__name").slice(10, 30)))
                .isEqualTo("SELECT " + BOOK_COLUMNS + " FROM book JOIN author j1 ON j1.id = book.author_id"
                        + " WHERE j1.name ILIKE $1 ORDER BY book.published_on DESC, j1.name ASC"
                        + " LIMIT 20 OFFSET 10 [a%]");
    }

    @Test
    void eagerLoadingWithAnOuterJoinAndDateParts() {
        assertThat(select(this.books.objects().outerJoin("author").selectRelated("author")
                .filter("published__year__gte", 2020).filter("published__month", 5)))
                .isEqualTo("SELECT " + BOOK_COLUMNS + ", j1.id AS j1_id, j1.name AS j1_name, j1.born AS j1_born"
                        + " FROM book LEFT OUTER JOIN author j1 ON j1.id = book.author_id"
                        + " WHERE date_part('year', book.published_on) >= $1"
                        + " AND date_part('month', book.published_on) = $2 [2020.0, 5.0]");
    }

    @Test
    void existsIsSqlExists() {
        assertThat(show(this.books.objects().filter("pages__in", List.of(1, 2, 3)).existsSql()))
                .isEqualTo("SELECT EXISTS(SELECT 1 FROM book WHERE book.pages IN ($1, $2, $3) LIMIT 1) [1, 2, 3]");
    }

    @Test
    void countOfASliceCountsASubSelect() {
        assertThat(show(this.books.objects().filter("pages__range", List.of(1, 9)).limit(5).countSql()))
                .isEqualTo("SELECT COUNT(*) FROM (SELECT " + BOOK_COLUMNS + " FROM book WHERE book.pages BETWEEN $1"
                        + " AND $2 LIMIT 5) counted [1, 9]");
    }

    @Test
    void selectForUpdateNowaitAndSkipLocked() {
        assertThat(select(this.books.objects().filter("id", 7).selectForUpdate(true, false)))
                .endsWith("FROM book WHERE book.id = $1 FOR UPDATE OF book NOWAIT [7]");
        assertThat(select(this.books.objects().selectForUpdate(false, true)))
                .endsWith("FOR UPDATE OF book SKIP LOCKED []");
    }

    @Test
    void annotateGroupsByTheValuesFields() {
        assertThat(show(this.books.objects().filter("status", "published")
                .annotate(Aggregate.count().as("n"), Aggregate.sum("pages")).orderBy("-n")
                .valuesSql("authorId", "n", "pages__sum")))
                .isEqualTo("SELECT book.author_id AS v0, COUNT(*) AS n, SUM(book.pages) AS pages__sum FROM book"
                        + " WHERE book.status = $1 GROUP BY book.author_id ORDER BY n DESC [published]");
    }

    @Test
    void updateWithAnFExpressionIsComputedByTheDatabase() {
        assertThat(show(this.accounts.objects().filter("id", 3)
                .updateSql(Map.of("balance", F.of("balance").plus(10)), false)))
                .isEqualTo("UPDATE account SET balance = (account.balance + $1) WHERE account.id = $2 [10, 3]");
    }

    @Test
    void writesAcrossRelationsPickRowsByIdInASubSelect() {
        assertThat(show(this.books.objects().filter("author__name", "x").deleteSql(true)))
                .isEqualTo("DELETE FROM book WHERE book.id IN (SELECT book.id FROM book JOIN author j1"
                        + " ON j1.id = book.author_id WHERE j1.name = $1)"
                        + " RETURNING id, title, pages, status, published_on, author_id [x]");
    }

    @Test
    void emptyInMatchesNothingAndNullMeansIsNull() {
        assertThat(select(this.books.objects().filter("pages__in", List.of()))).endsWith("FROM book WHERE FALSE []");
        assertThat(select(this.books.objects().filter(Book::getPages, Lookup.GT, 3).filter("status", null)
                .filter("title__ne", null)))
                .endsWith("FROM book WHERE book.pages > $1 AND book.status IS NULL AND book.title IS NOT NULL [3]");
    }

    @Test
    void injectionStringsAsValuesAreBoundNeverRendered() {
        String hostile = "x'; DROP TABLE book; --";
        Sql sql = this.books.objects().filter("title", hostile).filter("status__icontains", hostile)
                .allSql(new ArrayList<>());
        assertThat(sql.text).doesNotContain("DROP").endsWith("WHERE book.title = $1 AND book.status ILIKE $2");
        assertThat(sql.binds).extracting(Sql.Bind::value).containsExactly(hostile, "%" + hostile + "%");
    }

    @Test
    void injectionStringsAsFieldNamesAreRefusedListingTheValidFields() {
        assertThatThrownBy(() -> this.books.objects().filter("title = '' OR 1=1 --", 1).allSql(new ArrayList<>()))
                .isInstanceOf(FieldLookupException.class)
                .hasMessageContaining("\"title = '' OR 1=1 --\" is not valid")
                .hasMessageContaining("valid: id, title, pages, status, published, authorId, author");
        assertThatThrownBy(() -> this.books.objects().orderBy("-title; DROP TABLE book").allSql(new ArrayList<>()))
                .isInstanceOf(FieldLookupException.class).hasMessageContaining("Ordering field");
        assertThatThrownBy(() -> this.books.objects().valuesSql("pages) FROM account --"))
                .isInstanceOf(FieldLookupException.class);
        assertThatThrownBy(() -> Aggregate.count().as("n; DROP TABLE book"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("plain identifier");
    }

    @Test
    void unknownLookupsAndRelationFieldsListWhatIsValid() {
        assertThatThrownBy(() -> select(this.books.objects().filter("title__sounds_like", "x")))
                .isInstanceOf(FieldLookupException.class)
                .hasMessageContaining("\"sounds_like\" is not valid")
                .hasMessageContaining("icontains");
        assertThatThrownBy(() -> select(this.books.objects().filter("author__nme", "x")))
                .isInstanceOf(FieldLookupException.class)
                .satisfies(e -> assertThat(((FieldLookupException) e).allowed())
                        .contains("author__name", "author__born"));
        assertThatThrownBy(() -> select(this.books.objects().filter("published__year__icontains", "x")))
                .isInstanceOf(FieldLookupException.class).hasMessageContaining("after year");
    }

    @Test
    void negativeSlicesAndLimitsAreRefused() {
        assertThatThrownBy(() -> this.books.objects().slice(-1, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Negative indexing");
        assertThatThrownBy(() -> this.books.objects().limit(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> this.books.objects().offset(-5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void typedFormNamesPropertiesFromMethodReferences() {
        assertThat(select(this.books.objects().filter(Book::getTitle, "Dune").orderBy(Book::getPages)))
                .endsWith("WHERE book.title = $1 ORDER BY book.pages ASC [Dune]");
        Property<Book, String> lambda = book -> book.getTitle();
        assertThatThrownBy(lambda::propertyName).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a lambda");
    }

    @Test
    void cachedStatementsBindTheirOwnValuesAndValuesThatChangeTheSqlChangeTheKey() {
        QuerySet<Book> all = this.books.objects();
        select(all.filter("title__icontains", "a").filter("pages__in", List.of(1, 2)).filter("published__year", 2000)
                .filter(Q.of("status", "x").or(Q.of("id__range", List.of(1, 2)))));
        assertThat(select(all.filter("title__icontains", "b").filter("pages__in", List.of(3, 4))
                .filter("published__year", 1999).filter(Q.of("status", "y").or(Q.of("id__range", List.of(5, 6))))))
                .endsWith("[%b%, 3, 4, 1999.0, y, 5, 6]");
        assertThat(select(all.filter("pages__in", List.of(3, 4, 5)))).endsWith("IN ($1, $2, $3) [3, 4, 5]");
        assertThat(select(all.filter("pages__isnull", true))).endsWith("book.pages IS NULL []");
        assertThat(select(all.filter("pages__isnull", false))).endsWith("book.pages IS NOT NULL []");
        assertThat(select(all.filter("status", "s"))).endsWith("book.status = $1 [s]");
        assertThat(select(all.filter("status", null))).endsWith("book.status IS NULL []");
    }

    @Test
    void countsExistsUpdatesAndDeletesAreCachedAndBindTheirOwnValues() {
        QuerySet<Book> all = this.books.objects();
        for (int call = 1; call <= 3; call++) { // the first renders, the others come from the cache
            assertThat(show(all.filter("status", "s" + call).filter("pages__in", List.of(call, 10)).countSql()))
                    .isEqualTo("SELECT COUNT(*) FROM book WHERE book.status = $1 AND book.pages IN ($2, $3) [s" + call
                            + ", " + call + ", 10]");
            assertThat(show(all.filter("pages__gte", call).limit(3).countSql())).isEqualTo("SELECT COUNT(*) FROM"
                    + " (SELECT " + BOOK_COLUMNS + " FROM book WHERE book.pages >= $1 LIMIT 3) counted [" + call + "]");
            assertThat(show(all.filter("title", "t" + call).existsSql()))
                    .isEqualTo("SELECT EXISTS(SELECT 1 FROM book WHERE book.title = $1 LIMIT 1) [t" + call + "]");
            Map<String, Object> values = new LinkedHashMap<>();
            values.put("status", call == 2 ? null : "v" + call);
            values.put("pages", call);
            Sql update = all.filter("id", (long) call).updateSql(values, call == 3);
            assertThat(show(update)).startsWith("UPDATE book SET status = $1, pages = $2 WHERE book.id = $3")
                    .endsWith("[" + (call == 2 ? null : "v" + call) + ", " + call + ", " + call + "]");
            assertThat(update.binds.get(0).type()).isEqualTo(String.class);
            assertThat(show(all.filter("author__name", "a" + call).deleteSql(false)))
                    .isEqualTo("DELETE FROM book WHERE book.id IN (SELECT book.id FROM book JOIN author j1"
                            + " ON j1.id = book.author_id WHERE j1.name = $1) [a" + call + "]");
        }
        // the fields assigned, and their order, are part of the statement's shape
        Map<String, Object> reversed = new LinkedHashMap<>();
        reversed.put("pages", 1);
        reversed.put("status", "x");
        assertThat(show(all.filter("id", 9L).updateSql(reversed, false)))
                .isEqualTo("UPDATE book SET pages = $1, status = $2 WHERE book.id = $3 [1, x, 9]");
        assertThat(show(all.filter("id", 9L).updateSql(Map.of("pages", F.of("pages").plus(1)), false)))
                .isEqualTo("UPDATE book SET pages = (book.pages + $1) WHERE book.id = $2 [1, 9]");
    }

    @Test
    void aCachedShapeNeverSkipsTheChecksOfAnother() {
        QuerySet<Book> all = this.books.objects();
        all.filter("status", "x").deleteSql(false);
        all.filter("status", "x").updateSql(Map.of("pages", 1), false);
        assertThatThrownBy(() -> all.filter("status", "x").selectRelated("author").deleteSql(false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("selectRelated");
        assertThatThrownBy(() -> all.filter("status", "x").selectRelated("author").updateSql(Map.of("pages", 1), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("selectRelated");
        select(all.orderBy("title", "pages"));
        assertThatThrownBy(() -> all.orderBy("title,pages").allSql(new ArrayList<>()))
                .isInstanceOf(FieldLookupException.class);
        all.filter("pages", 1).updateSql(Map.of("title", "a"), false);
        assertThatThrownBy(() -> all.filter("pages", 1).updateSql(Map.of("title|status", "a"), false))
                .isInstanceOf(FieldLookupException.class);
    }

    @Test
    void querySetsAreImmutable() {
        QuerySet<Book> all = this.books.objects();
        QuerySet<Book> filtered = all.filter("pages__gt", 1);
        assertThat(select(all)).isEqualTo("SELECT " + BOOK_COLUMNS + " FROM book []");
        assertThat(select(filtered)).endsWith("WHERE book.pages > $1 [1]");
    }
}
