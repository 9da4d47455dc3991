package io.github.contextr2dbc.data;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.launcher.DirectSql;
import io.github.contextr2dbc.launcher.PostgresPair;
import io.r2dbc.spi.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.core.convert.converter.Converter;
import org.springframework.data.annotation.Id;
import org.springframework.data.convert.ReadingConverter;
import org.springframework.data.convert.WritingConverter;
import org.springframework.data.relational.core.mapping.Column;
import org.springframework.data.relational.core.mapping.Table;
import reactor.core.publisher.Mono;

import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The query sets' entity reader ({@link EntityReader}) against Spring Data's {@code converter.read} on the same
 * rows of the real primary: numbers, text, timestamps with and without zone, dates, enums, UUIDs, bytes,
 * nulls, {@code @Column} names, custom converters, records and mutable classes; and the entities it leaves to
 * the converter.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EntityReaderIT {

    static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final PostgresPair pair = PostgresPair.shared();

    private final String url = this.pair.primaryUrl(this.pair.createDatabase("reader"));

    private final DirectSql direct = new DirectSql(this.url);

    private final Database db = Database.builder("reader").url(this.url).maxSize(4).build();

    enum Mood { CALM, ANGRY }

    /** A money amount stored as text {@code "12.50 EUR"}: read and written by the custom converters below. */
    record Money(BigDecimal amount, String currency) {
    }

    @ReadingConverter
    static final class MoneyReader implements Converter<String, Money> {
        @Override
        public Money convert(String source) {
            String[] parts = source.split(" ");
            return new Money(new BigDecimal(parts[0]), parts[1]);
        }
    }

    @WritingConverter
    static final class MoneyWriter implements Converter<Money, String> {
        @Override
        public String convert(Money source) {
            return source.amount().toPlainString() + " " + source.currency();
        }
    }

    /** Every kind of column, as a record (constructor only). */
    @Table("sample")
    record SampleRecord(@Id Long id, int small, long big, Integer nullableInt, BigDecimal price, double ratio,
            Double nullableRatio, boolean flag, String name, @Column("display_name") String display,
            LocalDateTime created, OffsetDateTime stamped, Instant instant, LocalDate day, Mood mood,
            UUID token, byte[] data) {
    }

    /** The same columns as a mutable class (no-argument constructor, fields set after), with defaults. */
    @Table("sample")
    static final class SampleBean {
        @Id
        Long id;
        int small;
        long big;
        Integer nullableInt = 42;
        BigDecimal price;
        double ratio;
        Double nullableRatio;
        boolean flag;
        String name = "default name";
        @Column("display_name")
        String display;
        LocalDateTime created;
        OffsetDateTime stamped;
        Instant instant;
        LocalDate day;
        Mood mood;
        UUID token;
        byte[] data;
    }

    /** Some columns by constructor, the others set after. */
    @Table("sample")
    static final class SampleMixed {
        @Id
        final Long id;
        final String name;
        Mood mood;
        Integer nullableInt = 7;

        SampleMixed(Long id, String name) {
            this.id = id;
            this.name = name;
        }
    }

    /** Custom value converters. */
    @Table("priced")
    record Priced(@Id Long id, Money cost, @Column("other_cost") Money otherCost) {
    }

    /** Read by a converter of the whole row: left to converter.read. */
    @Table("priced")
    record WholeRow(@Id Long id, String cost) {
    }

    @ReadingConverter
    static final class WholeRowReader implements Converter<Row, WholeRow> {
        @Override
        public WholeRow convert(Row row) {
            return new WholeRow(row.get("id", Long.class), "row " + row.get("cost", String.class));
        }
    }

    @BeforeAll
    void schema() {
        this.direct.execute("DROP TABLE IF EXISTS sample", "DROP TABLE IF EXISTS priced",
                "CREATE TABLE sample (id bigserial PRIMARY KEY, small int NOT NULL, big bigint NOT NULL,"
                        + " nullable_int int, price numeric(12, 2), ratio double precision NOT NULL,"
                        + " nullable_ratio double precision, flag boolean NOT NULL, name text,"
                        + " display_name text, created timestamp, stamped timestamptz, instant timestamptz,"
                        + " day date, mood text, token uuid, data bytea)",
                "INSERT INTO sample (small, big, nullable_int, price, ratio, nullable_ratio, flag, name,"
                        + " display_name, created, stamped, instant, day, mood, token, data) VALUES"
                        + " (1, 9000000000, 5, 12.50, 0.25, 1.5, true, 'first', 'First one',"
                        + " '2024-02-29 13:14:15.123456', '2024-02-29 13:14:15+02', '2001-01-01 00:00:00Z',"
                        + " '2024-02-29', 'ANGRY', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\xdeadbeef'),"
                        + " (-2, -1, NULL, NULL, -0.5, NULL, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
                        + " NULL, NULL)",
                "CREATE TABLE priced (id bigserial PRIMARY KEY, cost text, other_cost text)",
                "INSERT INTO priced (cost, other_cost) VALUES ('12.50 EUR', '3 USD'), ('0.01 GBP', NULL)");
    }

    @AfterAll
    void close() {
        this.db.close().block(TIMEOUT);
    }

    /** The rows of {@code objects().orderBy("id").all()} read both ways: the reader's, then the converter's. */
    private <T> List<List<T>> bothWays(Repository<T, Long> repository) {
        QuerySet<T> all = repository.objects().orderBy("id");
        EntityReader<T> reader = all.metadata().reader;
        String sql = all.allSql(new ArrayList<>()).text;
        Mono<List<List<T>>> both = all.all().collectList().zipWith(UnitOfWork.dbSession(this.db)
                .flatMap(session -> session.sql(sql).map(reader::readWithConverter).collectList()), List::of);
        return inNewUnitOfWork(both).block(TIMEOUT);
    }

    @Test
    void recordsReadAsTheConverterReadsThem() {
        Repository<SampleRecord, Long> samples = Repository.of(this.db, SampleRecord.class);
        List<List<SampleRecord>> both = bothWays(samples);
        assertThat(samples.objects().metadata().reader.direct()).isTrue();
        assertThat(both.get(0)).hasSize(2).usingRecursiveFieldByFieldElementComparator().isEqualTo(both.get(1));
        SampleRecord first = both.get(0).get(0);
        assertThat(first.big()).isEqualTo(9_000_000_000L);
        assertThat(first.display()).isEqualTo("First one");
        assertThat(first.mood()).isEqualTo(Mood.ANGRY);
        assertThat(first.instant()).isEqualTo(Instant.parse("2001-01-01T00:00:00Z"));
        assertThat(first.stamped().toInstant()).isEqualTo(Instant.parse("2024-02-29T11:14:15Z"));
        assertThat(first.data()).containsExactly(0xde, 0xad, 0xbe, 0xef);
        SampleRecord second = both.get(0).get(1);
        assertThat(second.nullableInt()).isNull();
        assertThat(second.mood()).isNull();
        assertThat(second.small()).isEqualTo(-2);
    }

    @Test
    void mutableClassesReadAsTheConverterReadsThem() {
        Repository<SampleBean, Long> samples = Repository.of(this.db, SampleBean.class);
        List<List<SampleBean>> both = bothWays(samples);
        assertThat(samples.objects().metadata().reader.direct()).isTrue();
        assertThat(both.get(0)).hasSize(2).usingRecursiveFieldByFieldElementComparator().isEqualTo(both.get(1));
        assertThat(both.get(0).get(0).display).isEqualTo("First one");
        // a NULL column leaves the field as the constructor left it, as converter.read does
        assertThat(both.get(0).get(1).nullableInt).isEqualTo(42);
        assertThat(both.get(0).get(1).name).isEqualTo("default name");
        assertThat(both.get(0).get(1).token).isNull();

        Repository<SampleMixed, Long> mixed = Repository.of(this.db, SampleMixed.class);
        List<List<SampleMixed>> mixedBoth = bothWays(mixed);
        assertThat(mixedBoth.get(0)).hasSize(2).usingRecursiveFieldByFieldElementComparator()
                .isEqualTo(mixedBoth.get(1));
        assertThat(mixedBoth.get(0).get(0).mood).isEqualTo(Mood.ANGRY);
        assertThat(mixedBoth.get(0).get(1).nullableInt).isEqualTo(7);
    }

    @Test
    void customConvertersApplyToEachValue() {
        EntityMapping mapping = EntityMapping.withConverters(List.of(new MoneyReader(), new MoneyWriter()));
        Repository<Priced, Long> prices = new Repository<>(this.db, mapping, Priced.class) {
        };
        List<List<Priced>> both = bothWays(prices);
        assertThat(prices.objects().metadata().reader.direct()).isTrue();
        assertThat(both.get(0)).isEqualTo(both.get(1)).containsExactly(
                new Priced(both.get(0).get(0).id(), new Money(new BigDecimal("12.50"), "EUR"),
                        new Money(new BigDecimal("3"), "USD")),
                new Priced(both.get(0).get(1).id(), new Money(new BigDecimal("0.01"), "GBP"), null));
        Priced got = inNewUnitOfWork(prices.get(both.get(0).get(0).id())).block(TIMEOUT);
        assertThat(got).isEqualTo(both.get(0).get(0));
    }

    @Test
    void aConverterOfTheWholeRowIsLeftToTheConverter() {
        EntityMapping mapping = EntityMapping.withConverters(List.of(new WholeRowReader()));
        Repository<WholeRow, Long> rows = new Repository<>(this.db, mapping, WholeRow.class) {
        };
        assertThat(rows.objects().metadata().reader.direct()).isFalse();
        List<List<WholeRow>> both = bothWays(rows);
        assertThat(both.get(0)).isEqualTo(both.get(1));
        assertThat(both.get(0)).extracting(WholeRow::cost).containsExactly("row 12.50 EUR", "row 0.01 GBP");
    }
}
