package io.github.contextr2dbc.data;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.data.r2dbc.convert.MappingR2dbcConverter;
import org.springframework.data.r2dbc.convert.R2dbcCustomConversions;
import org.springframework.data.r2dbc.dialect.PostgresDialect;
import org.springframework.data.r2dbc.mapping.R2dbcMappingContext;
import org.springframework.data.relational.core.dialect.RenderContextFactory;
import org.springframework.data.relational.core.sql.render.SqlRenderer;

/**
 * The mapping of entity classes to tables, shared by repositories: Spring Data R2DBC's
 * {@link R2dbcMappingContext} and {@link MappingR2dbcConverter} with the PostgreSQL dialect and the
 * application's converters, and the SQL renderer of Spring Data Relational's SQL model.
 *
 * <p>Entities are ordinary Spring Data R2DBC entities: {@code @Table}, {@code @Id}, {@code @Column},
 * {@code @Transient}, custom {@code @ReadingConverter}/{@code @WritingConverter}s. Identifiers are
 * rendered as plain (unquoted) names. Thread-safe; build one per application and share it.
 */
public final class EntityMapping {

    private static final EntityMapping DEFAULTS = new EntityMapping(List.of());

    final R2dbcMappingContext context;

    final MappingR2dbcConverter converter;

    final SqlRenderer renderer;

    private final Map<Class<?>, EntityMetadata<?>> entities = new ConcurrentHashMap<>();

    /** Whether the application added converters (then every value goes through the converter). */
    final boolean hasCustomConverters;

    private EntityMapping(List<?> converters) {
        R2dbcCustomConversions conversions = R2dbcCustomConversions.of(PostgresDialect.INSTANCE, converters);
        this.context = R2dbcMappingContext.forPlainIdentifiers();
        this.context.setSimpleTypeHolder(conversions.getSimpleTypeHolder());
        this.converter = new MappingR2dbcConverter(this.context, conversions);
        this.hasCustomConverters = !converters.isEmpty();
        this.renderer = SqlRenderer.create(new RenderContextFactory(PostgresDialect.INSTANCE).createRenderContext());
    }

    /** The mapping with Spring Data R2DBC's PostgreSQL defaults and no custom converters. */
    public static EntityMapping defaults() {
        return DEFAULTS;
    }

    /**
     * A mapping with the given custom converters (Spring {@code Converter}s annotated
     * {@code @ReadingConverter} / {@code @WritingConverter}) on top of the PostgreSQL dialect's.
     *
     * @throws IllegalArgumentException if {@code converters} is null
     */
    public static EntityMapping withConverters(List<?> converters) {
        if (converters == null) {
            throw new IllegalArgumentException("converters must not be null (use EntityMapping.defaults())");
        }
        return new EntityMapping(List.copyOf(converters));
    }

    /** The metadata of {@code type}, read once from the mapping context and cached. */
    @SuppressWarnings("unchecked")
    <T> EntityMetadata<T> entity(Class<T> type) {
        EntityMetadata<?> known = this.entities.get(type);
        if (known != null) {
            return (EntityMetadata<T>) known;
        }
        EntityMetadata<T> created = new EntityMetadata<>(this, type);
        EntityMetadata<?> raced = this.entities.putIfAbsent(type, created);
        if (raced != null) {
            return (EntityMetadata<T>) raced;
        }
        created.resolveRelations();
        return created;
    }
}
