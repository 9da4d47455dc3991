package io.github.contextr2dbc.bench.stub;

import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;

import io.r2dbc.spi.ColumnMetadata;
import io.r2dbc.spi.Nullability;
import io.r2dbc.spi.R2dbcType;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.RowMetadata;
import io.r2dbc.spi.Type;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The two results of the stub: one row of {@code (id, name, price)}, or an update count of 1. Stateless, shared. */
final class StubResult implements Result {

    static final StubResult ONE_ROW = new StubResult(true);

    static final StubResult UPDATE = new StubResult(false);

    private static final Mono<Long> ONE = Mono.just(1L);

    private static final Mono<Long> NONE = Mono.just(0L);

    private static final StubRow ROW = new StubRow();

    private final boolean rows;

    private StubResult(boolean rows) {
        this.rows = rows;
    }

    @Override
    public Mono<Long> getRowsUpdated() {
        return this.rows ? NONE : ONE;
    }

    @Override
    public <T> Publisher<T> map(BiFunction<Row, RowMetadata, ? extends T> mapper) {
        return this.rows ? Mono.fromSupplier(() -> mapper.apply(ROW, ROW)) : Mono.empty();
    }

    @Override
    public <T> Publisher<T> map(Function<? super Readable, ? extends T> mapper) {
        return this.rows ? Mono.fromSupplier(() -> mapper.apply(ROW)) : Mono.empty();
    }

    @Override
    public Result filter(Predicate<Segment> filter) {
        return this;
    }

    @Override
    public <T> Publisher<T> flatMap(Function<Segment, ? extends Publisher<? extends T>> mapper) {
        Segment segment = this.rows ? (RowSegment) () -> ROW : (UpdateCount) () -> 1L;
        return Flux.from(mapper.apply(segment));
    }

    /** The row {@code (1, 'item 1', 1)}, which is also its own metadata. */
    private static final class StubRow implements Row, RowMetadata {

        private static final String[] NAMES = {"id", "name", "price"};

        private static final Object[] VALUES = {1, "item 1", 1};

        private static final List<Column> COLUMNS = List.of(
                new Column("id", R2dbcType.INTEGER, Integer.class),
                new Column("name", R2dbcType.VARCHAR, String.class),
                new Column("price", R2dbcType.INTEGER, Integer.class));

        @Override
        public <T> T get(int index, Class<T> type) {
            return convert(VALUES[index], type);
        }

        @Override
        public <T> T get(String name, Class<T> type) {
            return convert(VALUES[indexOf(name)], type);
        }

        @Override
        public RowMetadata getMetadata() {
            return this;
        }

        @Override
        public ColumnMetadata getColumnMetadata(int index) {
            return COLUMNS.get(index);
        }

        @Override
        public ColumnMetadata getColumnMetadata(String name) {
            return COLUMNS.get(indexOf(name));
        }

        @Override
        public List<? extends ColumnMetadata> getColumnMetadatas() {
            return COLUMNS;
        }

        @Override
        public boolean contains(String name) {
            for (String known : NAMES) {
                if (known.equalsIgnoreCase(name)) {
                    return true;
                }
            }
            return false;
        }

        private static int indexOf(String name) {
            for (int i = 0; i < NAMES.length; i++) {
                if (NAMES[i].equalsIgnoreCase(name)) {
                    return i;
                }
            }
            throw new IllegalArgumentException("No column " + name + " in the stub row (id, name, price)");
        }

        private static <T> T convert(Object value, Class<T> type) {
            if (type == Long.class && value instanceof Integer number) {
                return type.cast(number.longValue());
            }
            if (type == Object.class || type.isInstance(value)) {
                return type.cast(value);
            }
            throw new IllegalArgumentException("The stub cannot read " + value + " as " + type.getName());
        }
    }

    private record Column(String getName, Type getType, Class<?> getJavaType) implements ColumnMetadata {

        @Override
        public Nullability getNullability() {
            return Nullability.NON_NULL;
        }
    }
}
