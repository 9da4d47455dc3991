package io.github.contextr2dbc.data;

import java.util.ArrayList;
import java.util.List;

import io.github.contextr2dbc.data.EntityMetadata.FieldInfo;
import org.springframework.data.r2dbc.mapping.OutboundRow;
import org.springframework.data.relational.core.sql.Column;
import org.springframework.data.relational.core.sql.Expression;
import org.springframework.data.relational.core.sql.SQL;
import org.springframework.data.relational.core.sql.StatementBuilder;

/**
 * Builds inserts: the column list and the first row's markers with the SQL model; further rows (a bulk
 * insert, one statement per batch, so one round trip) repeat the markers of the first row's shape, and
 * {@code RETURNING} names the mapped columns from the metadata. Values are bound, never written into the SQL.
 */
final class Inserts {

    private Inserts() {
    }

    static <T> Sql insert(EntityMetadata<T> meta, List<? extends T> entities, boolean onConflictDoNothing) {
        List<OutboundRow> rows = new ArrayList<>(entities.size());
        for (T entity : entities) {
            if (entity == null) {
                throw new IllegalArgumentException("Cannot insert null as a " + meta.name());
            }
            OutboundRow row = new OutboundRow();
            meta.mapping.converter.write(entity, row);
            rows.add(row);
        }
        List<FieldInfo> columns = new ArrayList<>();
        for (FieldInfo field : meta.fieldList) {
            if (field == meta.id) {
                boolean anyNull = false;
                boolean anySet = false;
                for (OutboundRow row : rows) {
                    var parameter = row.get(field.column);
                    if (parameter == null || !parameter.hasValue()) {
                        anyNull = true;
                    } else {
                        anySet = true;
                    }
                }
                if (anyNull && anySet) {
                    throw new IllegalArgumentException("In one bulkCreate batch, either every " + meta.name()
                            + " has its id set or none has (the database generates the missing ones)");
                }
                if (anyNull) {
                    continue;
                }
            }
            columns.add(field);
        }
        List<Sql.Bind> binds = new ArrayList<>();
        List<Column> modelColumns = new ArrayList<>();
        List<Expression> firstRow = new ArrayList<>();
        for (FieldInfo field : columns) {
            modelColumns.add(Column.create(field.column, meta.table));
            firstRow.add(SQL.bindMarker("$" + (firstRow.size() + 1)));
        }
        StringBuilder text = new StringBuilder(meta.mapping.renderer.render(
                StatementBuilder.insert(meta.table).columns(modelColumns).values(firstRow).build()));
        for (int r = 0; r < rows.size(); r++) {
            OutboundRow row = rows.get(r);
            if (r > 0) {
                text.append(", (");
                for (int c = 0; c < columns.size(); c++) {
                    text.append(c == 0 ? "$" : ", $").append(binds.size() + c + 1);
                }
                text.append(')');
            }
            for (FieldInfo field : columns) {
                var parameter = row.get(field.column);
                Object value = parameter == null ? null : parameter.getValue();
                Class<?> type = parameter == null ? field.boundType : parameter.getType();
                binds.add(new Sql.Bind(value, type));
            }
        }
        if (onConflictDoNothing) {
            text.append(" ON CONFLICT DO NOTHING");
        }
        text.append(returning(meta));
        return new Sql(text.toString(), binds);
    }

    /** {@code RETURNING} with every mapped column of {@code meta}. */
    static String returning(EntityMetadata<?> meta) {
        StringBuilder text = new StringBuilder(" RETURNING ");
        for (int i = 0; i < meta.fieldList.size(); i++) {
            text.append(i == 0 ? "" : ", ").append(meta.fieldList.get(i).column.toSql(QueryCompiler.IDENTIFIERS));
        }
        return text.toString();
    }
}
