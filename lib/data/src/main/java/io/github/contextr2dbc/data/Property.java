package io.github.contextr2dbc.data;

import java.io.Serializable;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A reference to an entity property for the typed form of query sets, written as a method reference to its
 * getter or record accessor: {@code Book::getTitle}, {@code Book::title}. The value type {@code V} is checked
 * by the compiler against the values a filter compares it with; the property's name (from the method name,
 * {@code getTitle}/{@code isActive}/{@code title} → {@code title}/{@code active}/{@code title}) is checked
 * against the entity's mapping when the query set is built, like the string form.
 *
 * <p>Chosen over a generated metamodel because it needs no annotation processor or build step and renames
 * with the entity's code. Only method references work (a lambda has no property name): a lambda fails with
 * an {@link IllegalArgumentException} saying so.
 *
 * @param <T> the entity type
 * @param <V> the property's type
 */
@FunctionalInterface
public interface Property<T, V> extends Function<T, V>, Serializable {

    /**
     * The referenced property's name.
     *
     * @throws IllegalArgumentException if this is not a method reference to a getter or accessor
     */
    default String propertyName() {
        return PropertyNames.of(this);
    }
}

/** Resolves and caches the names of {@link Property} method references (one per lambda class). */
final class PropertyNames {

    private static final Map<Class<?>, String> NAMES = new ConcurrentHashMap<>();

    private PropertyNames() {
    }

    static String of(Property<?, ?> property) {
        return NAMES.computeIfAbsent(property.getClass(), c -> resolve(property));
    }

    private static String resolve(Property<?, ?> property) {
        SerializedLambda lambda;
        try {
            Method writeReplace = property.getClass().getDeclaredMethod("writeReplace");
            writeReplace.setAccessible(true);
            lambda = (SerializedLambda) writeReplace.invoke(property);
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalArgumentException("A Property must be a method reference such as Book::getTitle", e);
        }
        String method = lambda.getImplMethodName();
        if (method.startsWith("lambda$")) {
            throw new IllegalArgumentException("A Property must be a method reference such as Book::getTitle, not a"
                    + " lambda: a lambda names no property");
        }
        if (method.startsWith("get") && method.length() > 3 && Character.isUpperCase(method.charAt(3))) {
            return decapitalize(method.substring(3));
        }
        if (method.startsWith("is") && method.length() > 2 && Character.isUpperCase(method.charAt(2))) {
            return decapitalize(method.substring(2));
        }
        return method;
    }

    private static String decapitalize(String name) {
        return Character.toLowerCase(name.charAt(0)) + name.substring(1);
    }
}
