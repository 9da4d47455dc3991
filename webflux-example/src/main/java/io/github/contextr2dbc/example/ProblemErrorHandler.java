package io.github.contextr2dbc.example;

import java.net.URI;
import java.util.List;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.webflux.error.ErrorWebExceptionHandler;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.codec.HttpMessageWriter;
import org.springframework.http.codec.ServerCodecConfigurer;
import org.springframework.stereotype.Component;
import org.springframework.web.ErrorResponse;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.reactive.result.view.ViewResolver;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Every error the controllers and the toolkit's problem handler leave unanswered, as an RFC 9457 problem
 * ({@code application/problem+json}) instead of Spring Boot's default error JSON: unknown paths (404), Spring's
 * own errors (405, 415, malformed JSON) and anything unexpected (500, logged, its message not shown).
 *
 * <p>Being an {@link ErrorWebExceptionHandler} bean, it replaces Boot's; the toolkit's database problem
 * handler runs before it ({@code -2}) and keeps its mapping (409 unique violation, 503 busy, ...).
 */
@Component
@Order(-1)
class ProblemErrorHandler implements ErrorWebExceptionHandler {

    private static final Log log = LogFactory.getLog(ProblemErrorHandler.class);

    private final ServerResponse.Context context;

    ProblemErrorHandler(ServerCodecConfigurer codecs) {
        this.context = new ServerResponse.Context() {
            @Override
            public List<HttpMessageWriter<?>> messageWriters() {
                return codecs.getWriters();
            }

            @Override
            public List<ViewResolver> viewResolvers() {
                return List.of();
            }
        };
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable error) {
        if (exchange.getResponse().isCommitted()) {
            return Mono.error(error);
        }
        ProblemDetail problem = problemFor(error);
        problem.setInstance(URI.create(exchange.getRequest().getPath().value()));
        return ServerResponse.status(problem.getStatus())
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .bodyValue(problem)
                .flatMap(response -> response.writeTo(exchange, this.context));
    }

    private static ProblemDetail problemFor(Throwable error) {
        if (error instanceof ErrorResponse response && !response.getStatusCode().is5xxServerError()) {
            return response.getBody();
        }
        HttpStatusCode status = error instanceof ErrorResponse response
                ? response.getStatusCode()
                : HttpStatus.INTERNAL_SERVER_ERROR;
        log.error("Request failed with " + status.value(), error);
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status,
                "The request could not be completed; nothing it wrote was kept.");
        problem.setType(URI.create("urn:ledger:problem:internal-error"));
        problem.setTitle("Internal error");
        return problem;
    }
}
