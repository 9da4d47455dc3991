package io.github.contextr2dbc.spring;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.ResolvableType;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.codec.HttpMessageWriter;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;

/**
 * Writes the problem response ({@code application/problem+json}, RFC 9457) for database errors that the
 * {@link ProblemMapping} recognises: the handler's own errors and commits that failed in
 * {@link ContextR2dbcWebFilter}. Other errors, and errors of responses already committed, are passed to
 * the next handler.
 *
 * <p>Its order, {@link #DEFAULT_ORDER} ({@value #DEFAULT_ORDER}), puts it before Spring Boot's error
 * handler ({@code -1}) and Spring's {@code ResponseStatusException} handler ({@code 0}). Exceptions
 * handled by an {@code @ExceptionHandler} never reach it.
 */
public final class DatabaseProblemHandler implements WebExceptionHandler, Ordered {

    /** Before Spring Boot's {@code ErrorWebExceptionHandler} ({@code -1}). */
    public static final int DEFAULT_ORDER = -2;

    private static final Logger log = LoggerFactory.getLogger(DatabaseProblemHandler.class);

    private static final ResolvableType PROBLEM_TYPE = ResolvableType.forClass(ProblemDetail.class);

    private final ProblemMapping mapping;

    private final HttpMessageWriter<ProblemDetail> writer;

    /**
     * A handler writing with the first of {@code writers} that can write a {@link ProblemDetail} as
     * {@code application/problem+json} (in a Spring application: {@code ServerCodecConfigurer.getWriters()}).
     *
     * @throws IllegalArgumentException if none of them can (add a JSON codec, e.g. Jackson)
     */
    public DatabaseProblemHandler(ProblemMapping mapping, List<HttpMessageWriter<?>> writers) {
        this.mapping = Objects.requireNonNull(mapping, "mapping");
        this.writer = problemWriter(writers);
    }

    /**
     * Writes the problem response if the error is mapped and the response is not committed yet.
     *
     * @return a {@link Mono}: complete once the problem response is written; error: {@code error} itself
     * when it is not mapped (the next handler gets it), or a failure to write; cancel: stops writing
     */
    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable error) {
        ProblemDetail problem = this.mapping.toProblem(error);
        ServerHttpResponse response = exchange.getResponse();
        if (problem == null || response.isCommitted()) {
            return Mono.error(error);
        }
        HttpStatusCode status = HttpStatusCode.valueOf(problem.getStatus());
        if (problem.getInstance() == null) {
            problem.setInstance(URI.create(exchange.getRequest().getURI().getRawPath()));
        }
        log.debug("{} {} answered {} for a database error", exchange.getRequest().getMethod(),
                exchange.getRequest().getPath(), status, error);
        response.setStatusCode(status);
        response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        if (status.value() == 503) {
            response.getHeaders().set("Retry-After", "1");
        }
        return this.writer.write(Mono.just(problem), PROBLEM_TYPE, MediaType.APPLICATION_PROBLEM_JSON, response,
                Map.of());
    }

    @Override
    public int getOrder() {
        return DEFAULT_ORDER;
    }

    @SuppressWarnings("unchecked")
    private static HttpMessageWriter<ProblemDetail> problemWriter(List<HttpMessageWriter<?>> writers) {
        for (HttpMessageWriter<?> candidate : writers) {
            if (candidate.canWrite(PROBLEM_TYPE, MediaType.APPLICATION_PROBLEM_JSON)) {
                return (HttpMessageWriter<ProblemDetail>) candidate;
            }
        }
        throw new IllegalArgumentException("None of the HTTP message writers can write a ProblemDetail as "
                + "application/problem+json: add a JSON codec (e.g. Jackson, spring-boot-starter-webflux has one)");
    }

    @Override
    public String toString() {
        return "DatabaseProblemHandler{" + this.mapping + "}";
    }
}
