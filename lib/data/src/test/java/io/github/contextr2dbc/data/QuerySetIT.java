package io.github.contextr2dbc.data;

import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.NoUnitOfWorkException;
import io.github.contextr2dbc.OutsideUnitOfWork;
import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.data.Repositories.AccountRepository;
import io.github.contextr2dbc.data.Repositories.AuthorRepository;
import io.github.contextr2dbc.data.Repositories.BookRepository;
import io.github.contextr2dbc.launcher.DirectSql;
import io.github.contextr2dbc.launcher.PostgresPair;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.util.RaceTestUtils;

import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;
import static org.assertj.core.api.Assertions.assertThat;

/** Repositories and query sets against the real primary, in units of work. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QuerySetIT {

    static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final PostgresPair pair = PostgresPair.shared();

    private final String url = this.pair.primaryUrl(this.pair.createDatabase("data"));

    private final DirectSql direct = new DirectSql(this.url);

    private final Database db = Database.builder("main").url(this.url).maxSize(10).build();

    private final BookRepository books = new BookRepository(this.db);

    private final AuthorRepository authors = new AuthorRepository(this.db);

    private final AccountRepository accounts = new AccountRepository(this.db);

    private long ann;

    private long bob;

    @BeforeEach
    void schema() {
        this.direct.execute("DROP TABLE IF EXISTS book", "DROP TABLE IF EXISTS author", "DROP TABLE IF EXISTS account",
                "CREATE TABLE author (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, born date)",
                "CREATE TABLE book (id bigserial PRIMARY KEY, title text NOT NULL UNIQUE, pages int, status text,"
                        + " published_on date, author_id bigint REFERENCES author(id))",
                "CREATE TABLE account (id bigserial PRIMARY KEY, owner text NOT NULL UNIQUE, balance bigint NOT NULL)",
                "INSERT INTO author (name, born) VALUES ('Ann Leckie', '1966-03-02'), ('Bob Shaw', '1931-12-31')");
        this.ann = this.direct.queryLong("SELECT id FROM author WHERE name = 'Ann Leckie'");
        this.bob = this.direct.queryLong("SELECT id FROM author WHERE name = 'Bob Shaw'");
        this.direct.execute("INSERT INTO book (title, pages, status, published_on, author_id) VALUES"
                + " ('Ancillary Justice', 386, 'published', '2013-10-01', " + this.ann + "),"
                + " ('Ancillary Sword', 356, 'published', '2014-10-07', " + this.ann + "),"
                + " ('Provenance', 448, 'draft', '2017-09-26', " + this.ann + "),"
                + " ('Orbitsville', 190, 'published', '1975-05-01', " + this.bob + "),"
                + " ('100% Pure_Text', NULL, NULL, NULL, NULL)");
    }

    @AfterAll
    void close() {
        this.db.close().block(TIMEOUT);
    }

    private <T> T run(Mono<T> work) {
        return inNewUnitOfWork(work).block(TIMEOUT);
    }

    private List<String> titles(QuerySet<Book> books) {
        return run(books.orderBy("title").valuesListFlat("title", String.class).collectList());
    }

    @Test
    void everyLookup() {
        QuerySet<Book> all = this.books.objects();
        assertThat(titles(all.filter("title", "Provenance"))).containsExactly("Provenance");
        assertThat(titles(all.filter("title__eq", "Provenance"))).containsExactly("Provenance");
        assertThat(titles(all.filter("status__ne", "published"))).containsExactly("Provenance");
        assertThat(titles(all.filter("pages__gt", 386))).containsExactly("Provenance");
        assertThat(titles(all.filter("pages__gte", 386))).containsExactly("Ancillary Justice", "Provenance");
        assertThat(titles(all.filter("pages__lt", 356))).containsExactly("Orbitsville");
        assertThat(titles(all.filter("pages__lte", 356))).containsExactly("Ancillary Sword", "Orbitsville");
        assertThat(titles(all.filter("pages__in", List.of(190, 448)))).containsExactly("Orbitsville", "Provenance");
        assertThat(titles(all.filter("pages__notin", new int[] {190, 448})))
                .containsExactly("Ancillary Justice", "Ancillary Sword");
        assertThat(titles(all.filter("pages__range", List.of(300, 400))))
                .containsExactly("Ancillary Justice", "Ancillary Sword");
        assertThat(titles(all.filter("title__like", "Anc%Sw_rd"))).containsExactly("Ancillary Sword");
        assertThat(titles(all.filter("title__ilike", "anc%"))).containsExactly("Ancillary Justice", "Ancillary Sword");
        assertThat(titles(all.filter("title__contains", "Just"))).containsExactly("Ancillary Justice");
        assertThat(titles(all.filter("title__icontains", "just"))).containsExactly("Ancillary Justice");
        assertThat(titles(all.filter("title__contains", "% P"))).containsExactly("100% Pure_Text");
        assertThat(titles(all.filter("title__contains", "_"))).containsExactly("100% Pure_Text");
        assertThat(titles(all.filter("title__startswith", "Orb"))).containsExactly("Orbitsville");
        assertThat(titles(all.filter("title__istartswith", "orb"))).containsExactly("Orbitsville");
        assertThat(titles(all.filter("title__endswith", "nce"))).containsExactly("Provenance");
        assertThat(titles(all.filter("title__iendswith", "NCE"))).containsExactly("Provenance");
        assertThat(titles(all.filter("pages__isnull", true))).containsExactly("100% Pure_Text");
        assertThat(titles(all.filter("pages__isnull", false))).hasSize(4);
        assertThat(titles(all.filter("published__year", 2014))).containsExactly("Ancillary Sword");
        assertThat(titles(all.filter("published__year__lt", 2000))).containsExactly("Orbitsville");
        assertThat(titles(all.filter("published__month", 10))).containsExactly("Ancillary Justice", "Ancillary Sword");
        assertThat(titles(all.filter("published__day__gte", 26))).containsExactly("Provenance");
        assertThat(titles(all.filter("status", null))).containsExactly("100% Pure_Text");
    }

    @Test
    void qCombinationsAndExclude() {
        QuerySet<Book> all = this.books.objects();
        assertThat(titles(all.filter(Q.of("status", "draft").or(Q.of("pages__lt", 200)))))
                .containsExactly("Orbitsville", "Provenance");
        assertThat(titles(all.filter(Q.of("status", "published").and(Q.of("pages__lt", 200).not()))))
                .containsExactly("Ancillary Justice", "Ancillary Sword");
        assertThat(titles(all.exclude("status", "published").exclude("pages__isnull", true)))
                .containsExactly("Provenance");
        assertThat(titles(all.exclude(Q.of("title__startswith", "Anc").or(Q.of("status", "draft")))))
                .containsExactly("Orbitsville");
        assertThat(titles(all.filter(Book::getPages, Lookup.GTE, 400))).containsExactly("Provenance");
    }

    @Test
    void relationsJoinAndLoadEagerly() {
        assertThat(titles(this.books.objects().filter("author__name__icontains", "leckie").filter("pages__lt", 400)))
                .containsExactly("Ancillary Justice", "Ancillary Sword");
        List<Book> loaded = run(this.books.objects().selectRelated("author").orderBy("author__name", "-pages")
                .all().collectList());
        assertThat(loaded).extracting(Book::getTitle)
                .containsExactly("Provenance", "Ancillary Justice", "Ancillary Sword", "Orbitsville");
        assertThat(loaded).extracting(book -> book.getAuthor().getName())
                .containsExactly("Ann Leckie", "Ann Leckie", "Ann Leckie", "Bob Shaw");
        assertThat(loaded.get(3).getAuthor().getBorn()).isEqualTo(LocalDate.of(1931, 12, 31));
        List<Book> outer = run(this.books.objects().outerJoin("author").selectRelated("author").orderBy("title")
                .all().collectList());
        assertThat(outer).hasSize(5);
        assertThat(outer.get(0).getTitle()).isEqualTo("100% Pure_Text");
        assertThat(outer.get(0).getAuthor()).isNull();
        assertThat(run(this.books.objects().filter("author", this.bob).count())).isEqualTo(1);
    }

    @Test
    void terminals() {
        QuerySet<Book> all = this.books.objects();
        assertThat(run(all.count())).isEqualTo(5);
        assertThat(run(all.filter("status", "published").count())).isEqualTo(3);
        assertThat(run(all.filter("title__icontains", "sword").exists())).isTrue();
        assertThat(run(all.filter("title__icontains", "nothing").exists())).isFalse();
        assertThat(run(all.filter("pages__isnull", false).orderBy("-pages").first()).getTitle())
                .isEqualTo("Provenance");
        assertThat(run(all.orderBy("-pages").first()).getTitle()).isEqualTo("100% Pure_Text"); // NULLS FIRST
        assertThat(run(all.filter("pages__gt", 10_000).first().hasElement())).isFalse();
        assertThat(run(all.get("title", "Orbitsville")).getPages()).isEqualTo(190);
        StepVerifier.create(inNewUnitOfWork(all.get("title", "Nope"))).expectError(ObjectNotFoundException.class)
                .verify(TIMEOUT);
        StepVerifier.create(inNewUnitOfWork(all.get("status", "published")))
                .expectError(MultipleObjectsReturnedException.class).verify(TIMEOUT);
        assertThat(run(all.filter("title", "Provenance").values("title", "pages", "author__name").next()))
                .containsExactly(Map.entry("title", "Provenance"), Map.entry("pages", 448),
                        Map.entry("author__name", "Ann Leckie"));
        assertThat(run(all.filter("pages__lt", 200).valuesList("title", "pages").collectList()))
                .containsExactly(List.of("Orbitsville", 190));
        assertThat(run(all.orderBy("pages").limit(2).count())).isEqualTo(2);
        assertThat(run(all.orderBy("pages").slice(1, 3).valuesListFlat("title", String.class).collectList()))
                .containsExactly("Ancillary Sword", "Ancillary Justice");
        assertThat(run(all.distinct().orderBy("status").valuesListFlat("status", String.class).collectList()))
                .containsExactly("draft", "published");
        Map<Object, Book> byId = run(all.inBulk(List.of(1L, 2L, 999L)));
        assertThat(byId).containsOnlyKeys(1L, 2L);
    }

    @Test
    void aggregatesAndAnnotate() {
        Map<String, Object> totals = run(this.books.objects().aggregate(Aggregate.count(), Aggregate.sum("pages"),
                Aggregate.avg("pages").as("average"), Aggregate.min("pages"), Aggregate.max("published")));
        assertThat(totals.get("count")).isEqualTo(5L);
        assertThat(((Number) totals.get("pages__sum")).longValue()).isEqualTo(386 + 356 + 448 + 190);
        assertThat(((Number) totals.get("average")).doubleValue()).isEqualTo((386 + 356 + 448 + 190) / 4.0);
        assertThat(totals.get("pages__min")).isEqualTo(190);
        assertThat(totals.get("published__max")).isEqualTo(LocalDate.of(2017, 9, 26));
        List<Map<String, Object>> perAuthor = run(this.books.objects().filter("author__isnull", false)
                .annotate(Aggregate.count().as("books"), Aggregate.sum("pages").as("pages"))
                .orderBy("-books").values("author__name", "books", "pages").collectList());
        assertThat(perAuthor).hasSize(2);
        assertThat(perAuthor.get(0)).containsEntry("author__name", "Ann Leckie").containsEntry("books", 3L);
        assertThat(((Number) perAuthor.get(1).get("pages")).longValue()).isEqualTo(190);
    }

    @Test
    void repositoryBaseMethodsAndAManager() {
        Book created = run(this.books.create(new Book("Luck in the Greater Sense", 100, "draft", null, this.ann)));
        assertThat(created.getId()).isNotNull();
        assertThat(run(this.books.get(created.getId())).getTitle()).isEqualTo("Luck in the Greater Sense");
        created.setTitle("Translation State");
        assertThat(run(this.books.update(created)).getTitle()).isEqualTo("Translation State");
        assertThat(run(this.books.count())).isEqualTo(6);
        assertThat(run(this.books.delete(created))).isTrue();
        assertThat(run(this.books.deleteById(created.getId()))).isFalse();
        assertThat(titles(this.books.published().filter("author", this.ann)))
                .containsExactly("Ancillary Justice", "Ancillary Sword");
        List<Author> many = IntStream.range(0, 1203).mapToObj(i -> new Author("author " + i, null)).toList();
        List<Author> stored = run(this.authors.bulkCreate(many).collectList());
        assertThat(stored).hasSize(1203).allSatisfy(a -> assertThat(a.getId()).isNotNull());
        assertThat(stored.get(1202).getName()).isEqualTo("author 1202");
        assertThat(this.direct.queryLong("SELECT count(*) FROM author")).isEqualTo(1205);
        Page<Book> page = run(this.books.page(2, 2));
        assertThat(page.data()).extracting(Book::getTitle).containsExactly("Provenance", "Orbitsville");
        assertThat(page.meta()).isEqualTo(new Page.Meta(2, 2, 5, 3, 2));
    }

    @Test
    void injectionStringsAsValuesAreStoredAndMatchedLiterally() {
        String hostile = "Robert'); DROP TABLE book; --";
        run(this.books.create(new Book(hostile, 1, "x' OR '1'='1", null, null)));
        assertThat(titles(this.books.objects().filter("title", hostile))).containsExactly(hostile);
        assertThat(run(this.books.objects().filter("status", "x' OR '1'='1").count())).isEqualTo(1);
        assertThat(run(this.books.objects().filter("status__icontains", "' OR '").count())).isEqualTo(1);
        assertThat(this.direct.queryLong("SELECT count(*) FROM book")).isEqualTo(6);
    }

    @Test
    void fUpdatesUnderConcurrencyLoseNoUpdate() {
        Account account = run(this.accounts.create(new Account("ann", 0)));
        int updates = 200;
        Flux.range(0, updates)
                .flatMap(i -> inNewUnitOfWork(this.accounts.objects().filter("id", account.getId())
                        .update(Map.of("balance", F.of("balance").plus(1)))), 8)
                .blockLast(TIMEOUT);
        assertThat(this.direct.queryLong("SELECT balance FROM account")).isEqualTo(updates);
        List<Account> returned = run(this.accounts.objects().filter("owner", "ann")
                .updateReturning(Map.of("balance", F.of("balance").times(2).minus(F.of("id")))).collectList());
        assertThat(returned.get(0).getBalance()).isEqualTo(2L * updates - account.getId());
    }

    @Test
    void getOrCreateAndUpdateOrCreateReportWhetherTheyCreated() {
        QuerySet<Account> ann = this.accounts.objects().filter("owner", "ann");
        Created<Account> first = run(ann.getOrCreate(() -> new Account("ann", 5)));
        Created<Account> second = run(ann.getOrCreate(() -> new Account("ann", 7)));
        assertThat(first.created()).isTrue();
        assertThat(second.created()).isFalse();
        assertThat(second.object().getBalance()).isEqualTo(5);
        QuerySet<Account> bob = this.accounts.objects().filter("owner", "bob");
        Created<Account> made = run(bob.updateOrCreate(Map.of("balance", 1), () -> new Account("bob", 10)));
        Created<Account> updated = run(bob.updateOrCreate(Map.of("balance", 1), () -> new Account("bob", 10)));
        assertThat(made.created()).isTrue();
        assertThat(made.object().getBalance()).isEqualTo(10);
        assertThat(updated.created()).isFalse();
        assertThat(updated.object().getBalance()).isEqualTo(1);
        // racing creators: exactly one creates, the others find its row (ON CONFLICT DO NOTHING, no aborted
        // transaction)
        List<Created<Account>> raced = Flux.range(0, 12)
                .flatMap(i -> inNewUnitOfWork(this.accounts.objects().filter("owner", "carol")
                        .getOrCreate(() -> new Account("carol", i))), 12)
                .collectList().block(TIMEOUT);
        assertThat(raced).filteredOn(Created::created).hasSize(1);
        assertThat(this.direct.queryLong("SELECT count(*) FROM account WHERE owner = 'carol'")).isEqualTo(1);
    }

    @Test
    void deleteAndDeleteReturningAcrossARelation() {
        assertThat(run(this.books.objects().filter("author__name", "Bob Shaw").deleteReturning().collectList()))
                .extracting(Book::getTitle).containsExactly("Orbitsville");
        assertThat(run(this.books.objects().filter("status", "draft").delete())).isEqualTo(1);
        assertThat(this.direct.queryLong("SELECT count(*) FROM book")).isEqualTo(3);
    }

    @Test
    void aQuerySetNeverCommitsItsUnitOfWorkDoes() {
        UnitOfWork unitOfWork = UnitOfWork.create();
        this.books.objects().filter("status", "draft").update(Map.of("status", "gone"))
                .contextWrite(unitOfWork.bind()).block(TIMEOUT);
        assertThat(this.direct.queryLong("SELECT count(*) FROM book WHERE status = 'gone'")).isZero();
        unitOfWork.rollback().then(unitOfWork.close()).block(TIMEOUT);
        assertThat(this.direct.queryLong("SELECT count(*) FROM book WHERE status = 'gone'")).isZero();
        assertThat(this.db.connectionsInUse()).isZero();
    }

    @Test
    void outsideAUnitOfWorkItFailsUnlessTheDatabaseAllowsAutocommit() {
        StepVerifier.create(this.books.objects().count()).expectError(NoUnitOfWorkException.class).verify(TIMEOUT);
        Database autocommit = Database.builder("autocommit").url(this.url)
                .outsideUnitOfWork(OutsideUnitOfWork.AUTOCOMMIT).build();
        try {
            BookRepository repository = new BookRepository(autocommit);
            assertThat(repository.objects().count().block(TIMEOUT)).isEqualTo(5);
            assertThat(repository.objects().filter("status", "draft").update(Map.of("pages", 1)).block(TIMEOUT))
                    .isEqualTo(1);
            assertThat(this.direct.queryLong("SELECT pages FROM book WHERE status = 'draft'")).isEqualTo(1);
        } finally {
            autocommit.close().block(TIMEOUT);
        }
    }

    @Test
    void allStreamsWithBackpressureAndCancelReleasesTheConnection() {
        this.direct.execute("INSERT INTO author (name) SELECT 'generated ' || g FROM generate_series(1, 5000) g");
        List<Author> firstFew = new ArrayList<>();
        StepVerifier.create(inNewUnitOfWork(this.authors.objects().orderBy("id").all()), 3)
                .recordWith(() -> firstFew)
                .expectNextCount(3)
                .thenCancel()
                .verify(TIMEOUT);
        assertThat(firstFew).extracting(Author::getName).containsExactly("Ann Leckie", "Bob Shaw", "generated 1");
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (this.db.connectionsInUse() != 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(this.db.connectionsInUse()).isZero();
        assertThat(run(this.authors.objects().count())).isEqualTo(5002);
    }

    @Test
    void cancellingStreamsAndRacingCancelsLeakNoConnection() {
        this.direct.execute("INSERT INTO author (name) SELECT 'generated ' || g FROM generate_series(1, 300) g");
        for (int i = 0; i < 60; i++) {
            StepVerifier.create(inNewUnitOfWork(this.authors.objects().orderBy("-id").all()), 0)
                    .thenRequest(1 + i % 7)
                    .thenCancel()
                    .verify(TIMEOUT);
            Disposable running = inNewUnitOfWork(this.books.objects().filter("author__name__icontains", "a")
                    .selectRelated("author").all().collectList()).subscribe();
            RaceTestUtils.race(running::dispose, () -> { });
        }
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (this.db.connectionsInUse() != 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(this.db.connectionsInUse()).isZero();
        assertThat(run(this.authors.objects().count())).isEqualTo(302);
    }

    @Test
    void selectForUpdateSkipLockedAndNowait() {
        UnitOfWork holder = UnitOfWork.create();
        this.books.objects().filter("title", "Provenance").selectForUpdate().get().contextWrite(holder.bind())
                .block(TIMEOUT);
        try {
            assertThat(titles(this.books.objects().filter("status", "draft").selectForUpdate(false, true))).isEmpty();
            assertThat(titles(this.books.objects().filter("status", "published").selectForUpdate(false, true)))
                    .hasSize(3);
            StepVerifier.create(inNewUnitOfWork(this.books.objects().filter("status", "draft")
                    .selectForUpdate(true, false).all())).expectErrorMatches(e -> e.getMessage().contains("lock"))
                    .verify(TIMEOUT);
        } finally {
            holder.rollback().then(holder.close()).block(TIMEOUT);
        }
    }

    @Test
    void usingRunsOnAnotherDatabase() {
        String otherUrl = this.pair.primaryUrl(this.pair.createDatabase("other"));
        new DirectSql(otherUrl).execute("CREATE TABLE book (id bigserial PRIMARY KEY, title text, pages int,"
                + " status text, published_on date, author_id bigint)",
                "INSERT INTO book (title) VALUES ('elsewhere')");
        Database other = Database.builder("other").url(otherUrl).build();
        try {
            assertThat(run(this.books.objects().using(other).valuesListFlat("title", String.class).collectList()))
                    .containsExactly("elsewhere");
        } finally {
            other.close().block(TIMEOUT);
        }
    }
}
