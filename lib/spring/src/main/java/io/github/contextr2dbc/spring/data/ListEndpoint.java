package io.github.contextr2dbc.spring.data;

import java.util.function.Supplier;

import io.github.contextr2dbc.data.InvalidQueryParameterException;
import io.github.contextr2dbc.data.ListQuery;
import io.github.contextr2dbc.data.QuerySet;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * A functional WebFlux handler for a list endpoint: the rows of a query set, filtered, ordered and paginated
 * by the request's query parameters as a {@link ListQuery} allows, answered as a JSON
 * {@code Page {data, meta {offset, limit, totalItems, totalPages, pageNumber}}}:
 *
 * <pre>{@code
 * ListQuery query = ListQuery.create()
 *         .filters(FilterSet.create().allow("title", Lookup.ICONTAINS).allow("pages", Lookup.GTE, Lookup.LTE))
 *         .ordering(Ordering.allow("title", "published").byDefault("-published"));
 * RouterFunctions.route().GET("/books", ListEndpoint.of(books::published, query)).build();
 * }</pre>
 *
 * <p>A parameter that is not allowed or not usable is answered with 400 and an
 * {@code application/problem+json} body naming the parameter ({@code parameter}) and what is allowed
 * ({@code allowed}), before any statement runs. The statements run in the request's unit of work (the
 * {@code ContextR2dbcWebFilter}).
 */
public final class ListEndpoint {

    private ListEndpoint() {
    }

    /**
     * The handler listing {@code base} (a fresh query set per request, e.g. {@code repository::objects} or a
     * manager) as {@code query} allows.
     */
    public static <T> HandlerFunction<ServerResponse> of(Supplier<QuerySet<T>> base, ListQuery query) {
        if (base == null || query == null) {
            throw new IllegalArgumentException("ListEndpoint.of needs the query set and the ListQuery");
        }
        return request -> query.list(base.get(), request.queryParams())
                .flatMap(page -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(page))
                .onErrorResume(InvalidQueryParameterException.class, ListEndpoint::badRequest);
    }

    /**
     * The 400 problem response for {@code error}: title "Invalid query parameter", the message as detail, and
     * the properties {@code parameter} and {@code allowed}.
     */
    public static Mono<ServerResponse> badRequest(InvalidQueryParameterException error) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, error.getMessage());
        problem.setTitle("Invalid query parameter");
        problem.setProperty("parameter", error.parameter());
        problem.setProperty("allowed", error.allowed());
        return ServerResponse.badRequest().contentType(MediaType.APPLICATION_PROBLEM_JSON).bodyValue(problem);
    }
}
