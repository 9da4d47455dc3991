package io.github.contextr2dbc.data;

import java.util.List;
import java.util.function.BiFunction;

import io.github.contextr2dbc.data.EntityMetadata.FieldInfo;
import io.r2dbc.spi.Blob;
import io.r2dbc.spi.Clob;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.RowMetadata;
import org.jspecify.annotations.Nullable;
import org.springframework.core.convert.ConversionService;
import org.springframework.data.convert.CustomConversions;
import org.springframework.data.core.TypeInformation;
import org.springframework.data.mapping.InstanceCreatorMetadata;
import org.springframework.data.mapping.Parameter;
import org.springframework.data.mapping.PersistentPropertyAccessor;
import org.springframework.data.mapping.model.EntityInstantiator;
import org.springframework.data.mapping.model.ParameterValueProvider;
import org.springframework.data.r2dbc.convert.MappingR2dbcConverter;
import org.springframework.data.relational.core.mapping.RelationalPersistentEntity;
import org.springframework.data.relational.core.mapping.RelationalPersistentProperty;
import org.springframework.data.relational.domain.RowDocument;
import org.springframework.util.ClassUtils;

/**
 * Reads the rows of the statements a query set builds into entities: Spring Data's converter, without its
 * per-row set-up. The statements select (or return) the entity's mapped columns first, in
 * {@link EntityMetadata#fieldList} order, so a value is read by position; each value goes through the
 * converter's own {@link MappingR2dbcConverter#readValue} (custom {@code @ReadingConverter}s, enums, the
 * dialect's conversions) unless the driver already gave the property's exact type and no converter reads that
 * type; the entity is created by the converter's {@link EntityInstantiator} and its other properties set with
 * the entity's {@link PersistentPropertyAccessor}, as {@code MappingR2dbcConverter.read} does.
 *
 * <p>Entities this does not cover go through {@code converter.read(type, row, metadata)} for every row: a
 * custom converter reading a whole row ({@code Row} or {@code RowDocument} to the entity), embedded or nested
 * entities, collection, map or {@code Object} properties, SpEL ({@code @Value}) properties or parameters, a
 * constructor parameter without a mapped property, a converter from a property's type to itself, LOBs.
 * Thread-safe.
 */
final class EntityReader<T> implements BiFunction<Row, RowMetadata, T> {

    private final MappingR2dbcConverter converter;

    private final Class<T> type;

    /** Null when every row goes through {@code converter.read}. */
    private final @Nullable Plan<T> plan;

    private EntityReader(EntityMetadata<T> meta) {
        this.converter = meta.mapping.converter;
        this.type = meta.type;
        this.plan = Plan.of(meta, this.converter);
    }

    static <T> EntityReader<T> of(EntityMetadata<T> meta) {
        return new EntityReader<>(meta);
    }

    /** Whether rows are read without {@code converter.read} (for tests). */
    boolean direct() {
        return this.plan != null;
    }

    @Override
    public T apply(Row row, RowMetadata metadata) {
        Plan<T> plan = this.plan;
        return plan == null ? this.converter.read(this.type, row, metadata) : plan.read(row);
    }

    /** The converter's way: {@code converter.read} (for tests comparing the two). */
    T readWithConverter(Row row, RowMetadata metadata) {
        return this.converter.read(this.type, row, metadata);
    }

    /** What is computed once per entity. */
    private static final class Plan<T> {

        private final MappingR2dbcConverter converter;

        private final ConversionService conversionService;

        private final RelationalPersistentEntity<T> entity;

        private final EntityInstantiator instantiator;

        private final RelationalPersistentProperty[] properties;

        private final TypeInformation<?>[] types;

        /** Per column: the class a driver value is used as is (no converter reads it), or null. */
        private final @Nullable Class<?>[] exact;

        /** Per column: whether it is set after creation (not a constructor argument). */
        private final boolean[] populated;

        private final boolean anyPopulated;

        /** The creator's parameters and, per parameter, its column. */
        private final Parameter<?, ?>[] parameters;

        private final int[] parameterColumns;

        private Plan(MappingR2dbcConverter converter, RelationalPersistentEntity<T> entity, List<FieldInfo> fields,
                Parameter<?, ?>[] parameters, int[] parameterColumns) {
            this.converter = converter;
            this.conversionService = converter.getConversionService();
            this.entity = entity;
            this.instantiator = converter.getEntityInstantiators().getInstantiatorFor(entity);
            CustomConversions conversions = converter.getConversions();
            int n = fields.size();
            this.properties = new RelationalPersistentProperty[n];
            this.types = new TypeInformation<?>[n];
            this.exact = new Class<?>[n];
            this.populated = new boolean[n];
            boolean any = false;
            for (int i = 0; i < n; i++) {
                RelationalPersistentProperty property = fields.get(i).property;
                this.properties[i] = property;
                this.types[i] = property.getTypeInformation();
                Class<?> boxed = ClassUtils.resolvePrimitiveIfNecessary(property.getType());
                this.exact[i] = conversions.hasCustomReadTarget(boxed, property.getType()) ? null : boxed;
                this.populated[i] = !entity.isCreatorArgument(property);
                any |= this.populated[i];
            }
            this.anyPopulated = any && entity.requiresPropertyPopulation();
            this.parameters = parameters;
            this.parameterColumns = parameterColumns;
        }

        /** The plan for {@code meta}, or null if its rows need the converter's general path. */
        static <T> @Nullable Plan<T> of(EntityMetadata<T> meta, MappingR2dbcConverter converter) {
            RelationalPersistentEntity<T> entity = meta.entity;
            CustomConversions conversions = converter.getConversions();
            if (conversions.hasCustomReadTarget(Row.class, meta.type)
                    || conversions.hasCustomReadTarget(RowDocument.class, meta.type)) {
                return null;
            }
            int mapped = 0;
            for (RelationalPersistentProperty property : entity) {
                FieldInfo field = meta.fields.get(property.getName());
                if (field == null || field.property != property || !simple(property, conversions)) {
                    return null;
                }
                mapped++;
            }
            if (mapped != meta.fieldList.size()) {
                return null;
            }
            InstanceCreatorMetadata<RelationalPersistentProperty> creator = entity.getInstanceCreatorMetadata();
            List<? extends Parameter<?, RelationalPersistentProperty>> parameters = creator == null ? List.of()
                    : creator.getParameters();
            int[] columns = new int[parameters.size()];
            for (int p = 0; p < parameters.size(); p++) {
                Parameter<?, RelationalPersistentProperty> parameter = parameters.get(p);
                if (creator.isParentParameter(parameter) || parameter.hasValueExpression() || !parameter.hasName()) {
                    return null;
                }
                FieldInfo field = meta.fields.get(parameter.getRequiredName());
                if (field == null || !parameter.getType().equals(field.property.getTypeInformation())) {
                    return null;
                }
                columns[p] = meta.fieldList.indexOf(field);
            }
            return new Plan<>(converter, entity, meta.fieldList, parameters.toArray(Parameter<?, ?>[]::new), columns);
        }

        private static boolean simple(RelationalPersistentProperty property, CustomConversions conversions) {
            Class<?> type = property.getType();
            if (property.isEntity() || property.isEmbedded() || property.isAssociation()
                    || property.getSpelExpression() != null || property.isMap() || type == Object.class
                    || type == Clob.class || type == Blob.class) {
                return false;
            }
            if (property.isCollectionLike() && type != byte[].class) {
                return false;
            }
            // a converter from the type to itself would run once here and twice in converter.read
            Class<?> boxed = ClassUtils.resolvePrimitiveIfNecessary(type);
            return !conversions.hasCustomReadTarget(boxed, boxed) && !conversions.hasCustomReadTarget(type, type);
        }

        T read(Row row) {
            int n = this.properties.length;
            Object[] values = new Object[n];
            for (int i = 0; i < n; i++) {
                Object value = row.get(i);
                if (value != null && value.getClass() != this.exact[i]) {
                    value = this.converter.readValue(value, this.types[i]);
                }
                values[i] = value;
            }
            T instance = this.instantiator.createInstance(this.entity, new Values(this, values));
            if (!this.anyPopulated) {
                return instance;
            }
            PersistentPropertyAccessor<T> accessor = this.entity.getPropertyAccessor(instance);
            for (int i = 0; i < n; i++) {
                Object value = values[i];
                // as converter.read: a null leaves the property as the constructor left it
                if (this.populated[i] && value != null) {
                    Class<?> propertyType = this.properties[i].getType();
                    accessor.setProperty(this.properties[i], ClassUtils.isAssignable(propertyType, value.getClass())
                            ? value : this.conversionService.convert(value, propertyType));
                }
            }
            return accessor.getBean();
        }
    }

    /** The constructor arguments of one row. */
    private static final class Values implements ParameterValueProvider<RelationalPersistentProperty> {

        private final Plan<?> plan;

        private final Object[] values;

        Values(Plan<?> plan, Object[] values) {
            this.plan = plan;
            this.values = values;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <V> @Nullable V getParameterValue(Parameter<V, RelationalPersistentProperty> parameter) {
            Parameter<?, ?>[] parameters = this.plan.parameters;
            for (int p = 0; p < parameters.length; p++) {
                if (parameters[p] == parameter) {
                    return (V) this.values[this.plan.parameterColumns[p]];
                }
            }
            throw new IllegalStateException("Unknown constructor parameter " + parameter.getName() + " of "
                    + this.plan.entity.getType().getName());
        }
    }
}
