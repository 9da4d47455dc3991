package io.github.contextr2dbc.spring;

import java.util.Objects;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.DbSession;
import io.github.contextr2dbc.UnitOfWork;
import org.springframework.core.MethodParameter;
import org.springframework.web.reactive.BindingContext;
import org.springframework.web.reactive.result.method.HandlerMethodArgumentResolver;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Resolves handler method arguments of type {@link DbSession} (the request unit of work's session of
 * the database) and {@link Database}, for the default database or the one named by {@link Using}.
 * Getting the session opens nothing: the connection comes with its first statement.
 */
public final class DatabaseArgumentResolver implements HandlerMethodArgumentResolver {

    private final Databases databases;

    /** A resolver taking its databases from {@code databases}. */
    public DatabaseArgumentResolver(Databases databases) {
        this.databases = Objects.requireNonNull(databases, "databases");
    }

    @Override
    public boolean supportsParameter(MethodParameter parameter) {
        Class<?> type = parameter.getParameterType();
        return type == DbSession.class || type == Database.class;
    }

    /**
     * The database or session for {@code parameter}.
     *
     * @return a {@link Mono} of the argument; error: {@link IllegalArgumentException} if {@link Using}
     * names no configured database, {@code NoUnitOfWorkException} for a session when the request has no
     * unit of work (the route opted out); cancel: nothing to undo
     */
    @Override
    public Mono<Object> resolveArgument(MethodParameter parameter, BindingContext bindingContext,
            ServerWebExchange exchange) {
        return Mono.deferContextual(context -> {
            Using using = parameter.getParameterAnnotation(Using.class);
            Database database = using == null ? this.databases.defaultDatabase() : this.databases.get(using.value());
            if (parameter.getParameterType() == Database.class) {
                return Mono.just(database);
            }
            UnitOfWork unitOfWork = UnitOfWork.find(context)
                    .orElse(exchange.getAttribute(ContextR2dbcWebFilter.UNIT_OF_WORK_ATTRIBUTE));
            if (unitOfWork == null) {
                // the same error a statement would give, with its message on how to get a unit of work
                return UnitOfWork.dbSession(database).cast(Object.class);
            }
            return Mono.just(unitOfWork.session(database));
        });
    }
}
