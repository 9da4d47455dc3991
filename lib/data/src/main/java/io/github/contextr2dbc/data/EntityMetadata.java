package io.github.contextr2dbc.data;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;
import org.springframework.data.core.TypeInformation;
import org.springframework.data.relational.core.mapping.RelationalPersistentEntity;
import org.springframework.data.relational.core.mapping.RelationalPersistentProperty;
import org.springframework.data.relational.core.sql.SqlIdentifier;
import org.springframework.data.relational.core.sql.Table;

/**
 * What query sets know of one entity, read from Spring Data's mapping context: its table, its mapped
 * properties and their columns, its id, and its {@link ForeignKey} relations. Every identifier in the SQL
 * comes from here.
 */
final class EntityMetadata<T> {

    /** One mapped property. */
    static final class FieldInfo {

        final String name;

        final SqlIdentifier column;

        final RelationalPersistentProperty property;

        /** The type its values are bound as (after the converter's write conversion). */
        final Class<?> boundType;

        final TypeInformation<?> boundTypeInformation;

        FieldInfo(String name, RelationalPersistentProperty property, Class<?> boundType) {
            this.name = name;
            this.column = property.getColumnName();
            this.property = property;
            this.boundType = boundType;
            this.boundTypeInformation = TypeInformation.of(boundType);
        }
    }

    /** One {@link ForeignKey} relation. */
    static final class Relation {

        final String name;

        final FieldInfo foreignKey;

        final Class<?> target;

        /** The transient field that {@code selectRelated} fills, if the entity has one. */
        final @Nullable Field holder;

        private final EntityMapping mapping;

        /** Resolved on first use, so that entities may refer to each other (a cycle is fine). */
        private volatile @Nullable EntityMetadata<?> targetMetadata;

        Relation(EntityMapping mapping, String name, FieldInfo foreignKey, Class<?> target, @Nullable Field holder) {
            this.mapping = mapping;
            this.name = name;
            this.foreignKey = foreignKey;
            this.target = target;
            this.holder = holder;
        }

        EntityMetadata<?> target() {
            EntityMetadata<?> resolved = this.targetMetadata;
            if (resolved == null) {
                resolved = this.mapping.entity(this.target);
                if (resolved.id == null) {
                    throw new IllegalArgumentException("@ForeignKey " + this.foreignKey.name + " refers to "
                            + this.target.getName() + ", which has no @Id property");
                }
                this.targetMetadata = resolved;
            }
            return resolved;
        }
    }

    final EntityMapping mapping;

    final Class<T> type;

    final RelationalPersistentEntity<T> entity;

    final SqlIdentifier tableName;

    final Table table;

    final Map<String, FieldInfo> fields;

    final @Nullable FieldInfo id;

    final Map<String, Relation> relations;

    /** Rendered SQL by query shape (see {@code QuerySet.shapeKey}); bounded. */
    private final Map<String, CachedSql> sqlCache = new ConcurrentHashMap<>();

    /**
     * A rendered statement and how it binds its values: an update's assignments first ({@code assigned}, in
     * order), then its leaf conditions.
     */
    record CachedSql(String text, List<QueryCompiler.LeafPlan> plans, List<QueryCompiler.Target> assigned) {
    }

    /** Mapped fields in declaration order (the order of insert columns and selected columns). */
    final List<FieldInfo> fieldList;

    /** Reads the rows of this entity's statements (its columns first, in {@link #fieldList} order). */
    final EntityReader<T> reader;

    @SuppressWarnings("unchecked")
    EntityMetadata(EntityMapping mapping, Class<T> type) {
        this.mapping = mapping;
        this.type = type;
        this.entity = (RelationalPersistentEntity<T>) mapping.context.getRequiredPersistentEntity(type);
        this.tableName = this.entity.getQualifiedTableName();
        this.table = Table.create(this.tableName);
        Map<String, FieldInfo> byName = new LinkedHashMap<>();
        Map<String, Relation> relationsByName = new LinkedHashMap<>();
        FieldInfo idField = null;
        for (RelationalPersistentProperty property : this.entity) {
            if (property.isEntity() || property.isEmbedded()) {
                continue;
            }
            Class<?> bound = mapping.converter.getTargetType(property.getActualType());
            FieldInfo field = new FieldInfo(property.getName(), property, bound);
            byName.put(field.name, field);
            if (property.isIdProperty()) {
                idField = field;
            }
            ForeignKey foreignKey = property.findAnnotation(ForeignKey.class);
            if (foreignKey != null) {
                String name = foreignKey.name().isEmpty() ? defaultRelationName(property.getName()) : foreignKey.name();
                relationsByName.put(name, new Relation(mapping, name, field, foreignKey.to(), holderField(type, name)));
            }
        }
        this.fields = Collections.unmodifiableMap(byName);
        this.fieldList = List.copyOf(byName.values());
        this.id = idField;
        this.relations = Collections.unmodifiableMap(relationsByName);
        this.reader = EntityReader.of(this);
    }

    /** Checks every relation's target now (its mapping and its id), once the entity is published. */
    void resolveRelations() {
        for (Relation relation : this.relations.values()) {
            relation.target();
        }
    }

    private static String defaultRelationName(String property) {
        boolean idSuffix = property.endsWith("Id") && property.length() > 2;
        return idSuffix ? property.substring(0, property.length() - 2) : property;
    }

    private static @Nullable Field holderField(Class<?> type, String name) {
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            try {
                Field field = c.getDeclaredField(name);
                field.setAccessible(true);
                return field;
            } catch (NoSuchFieldException e) {
                // look in the superclass
            }
        }
        return null;
    }

    FieldInfo requireId() {
        if (this.id == null) {
            throw new IllegalStateException(this.type.getName() + " has no @Id property: get(id), update and delete"
                    + " need one");
        }
        return this.id;
    }

    /** Converts a value for binding against {@code field}'s column (enums to names, custom converters). */
    Object convert(FieldInfo field, Object value) {
        if (value.getClass() == field.boundType && !this.mapping.hasCustomConverters) {
            return value;
        }
        Object written = this.mapping.converter.writeValue(value, field.boundTypeInformation);
        return written == null ? value : written;
    }

    /** The names a lookup path may start with here: the mapped properties, then the relations. */
    List<String> validNames() {
        List<String> names = new ArrayList<>(this.fields.keySet());
        names.addAll(this.relations.keySet());
        return names;
    }

    @Nullable CachedSql cachedSql(String key) {
        return this.sqlCache.get(key);
    }

    void cacheSql(String key, CachedSql sql) {
        if (this.sqlCache.size() < 1000) {
            this.sqlCache.putIfAbsent(key, sql);
        }
    }

    String name() {
        return this.type.getSimpleName();
    }
}
