package io.github.contextr2dbc.spring.webapp;

import java.net.URI;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.spring.ContextR2dbcWebFilter;
import io.github.contextr2dbc.spring.Databases;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/** The application the web integration tests run: configured from properties only (see {@link AbstractWebIT}). */
@SpringBootApplication
public class WebTestApplication {

    /** The request header that makes {@link #skipFilter()} set {@link ContextR2dbcWebFilter#SKIP_ATTRIBUTE}. */
    static final String SKIP_HEADER = "X-Skip-Unit-Of-Work";

    /** A functional endpoint: writes a row and answers the status it is asked for. */
    @Bean
    RouterFunction<ServerResponse> functionalRoutes(Databases databases) {
        Database main = databases.defaultDatabase();
        return RouterFunctions.route()
                .POST("/fn/items", request -> {
                    String name = request.queryParam("name").orElseThrow();
                    int status = Integer.parseInt(request.queryParam("status").orElse("200"));
                    return UnitOfWork.dbSession(main)
                            .flatMap(session -> session.sql("INSERT INTO item (name) VALUES ($1)")
                                    .bind(0, name).execute())
                            .then(ServerResponse.status(status).bodyValue(name));
                })
                .POST("/fn/deferred/{shape}", request -> {
                    // a unique constraint checked at COMMIT, violated by the two rows
                    String name = request.queryParam("name").orElseThrow();
                    Mono<Void> violation = UnitOfWork.dbSession(main).flatMap(session -> session
                            .sql("INSERT INTO deferred_code (name, code) VALUES ($1, $2), ($1, $2)")
                            .bind(0, name).bind(1, name).execute());
                    return violation.then(switch (request.pathVariable("shape")) {
                        case "value" -> ServerResponse.ok().bodyValue(name);
                        case "resource" -> ServerResponse.ok()
                                .body(BodyInserters.fromResource(new ByteArrayResource(new byte[10])));
                        case "created" -> ServerResponse.created(URI.create("/things/" + name)).bodyValue(name);
                        default -> ServerResponse.badRequest().build();
                    });
                })
                .build();
    }

    /** The request header that makes {@link #failingFilter()} write a row, then fail. */
    static final String FAIL_HEADER = "X-Fail-In-Filter";

    /** A filter ordered after the unit-of-work filter that writes the row its header names, then fails. */
    @Bean
    WebFilter failingFilter(Databases databases) {
        return new FailingFilter(databases.defaultDatabase());
    }

    static final class FailingFilter implements WebFilter, Ordered {

        private final Database main;

        FailingFilter(Database main) {
            this.main = main;
        }

        @Override
        public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
            String name = exchange.getRequest().getHeaders().getFirst(FAIL_HEADER);
            if (name == null) {
                return chain.filter(exchange);
            }
            return UnitOfWork.dbSession(this.main)
                    .flatMap(session -> session.sql("INSERT INTO item (name) VALUES ($1)").bind(0, name).execute())
                    .then(Mono.error(new IllegalStateException("a filter failed after writing")));
        }

        @Override
        public int getOrder() {
            return ContextR2dbcWebFilter.DEFAULT_ORDER + 1;
        }
    }

    /** A filter ordered before the unit-of-work filter that opts requests out by attribute. */
    @Bean
    WebFilter skipFilter() {
        return new OrderedSkipFilter();
    }

    static final class OrderedSkipFilter implements WebFilter, Ordered {

        @Override
        public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
            if (exchange.getRequest().getHeaders().containsHeader(SKIP_HEADER)) {
                exchange.getAttributes().put(ContextR2dbcWebFilter.SKIP_ATTRIBUTE, Boolean.TRUE);
            }
            return chain.filter(exchange);
        }

        @Override
        public int getOrder() {
            return ContextR2dbcWebFilter.DEFAULT_ORDER - 1;
        }
    }
}
