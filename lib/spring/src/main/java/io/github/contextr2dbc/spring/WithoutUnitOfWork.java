package io.github.contextr2dbc.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Opts an annotated handler method (or every handler method of an annotated controller) out of the
 * request unit of work: {@link ContextR2dbcWebFilter} opens none for it, so the handler manages its own
 * (e.g. with {@code UnitOfWork.inNewUnitOfWork(...)} or {@code Database.inSession(...)}), and
 * {@code UnitOfWork.dbSession(db)} inside it fails with {@code NoUnitOfWorkException}.
 *
 * <p>For functional endpoints, or to decide per request, set the exchange attribute
 * {@link ContextR2dbcWebFilter#SKIP_ATTRIBUTE} to {@code true} in a filter ordered before
 * {@link ContextR2dbcWebFilter}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface WithoutUnitOfWork {
}
