package io.github.contextr2dbc.spring;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.reactive.result.method.RequestMappingInfo;
import org.springframework.web.reactive.result.method.RequestMappingInfoHandlerMapping;
import org.springframework.web.server.ServerWebExchange;

/**
 * Finds whether a request goes to a handler method annotated {@link WithoutUnitOfWork}, without side
 * effects on the exchange. The annotated mappings are collected on first use; when there are none (the
 * usual case) the check costs nothing. When one of them matches, the request's best match among all
 * mappings is computed the way the handler mapping does, so that a more specific, unannotated mapping
 * still gets its unit of work.
 */
final class OptOutRoutes {

    private final List<RequestMappingInfoHandlerMapping> mappings;

    private volatile @Nullable List<Candidate> candidates;

    OptOutRoutes(List<RequestMappingInfoHandlerMapping> mappings) {
        this.mappings = List.copyOf(mappings);
    }

    boolean optedOut(ServerWebExchange exchange) {
        List<Candidate> all = this.candidates;
        if (all == null) {
            all = collect();
            this.candidates = all;
        }
        for (Candidate candidate : all) {
            if (candidate.info.getMatchingCondition(exchange) != null) {
                return bestMatchOptedOut(candidate.mapping, exchange);
            }
        }
        return false;
    }

    private List<Candidate> collect() {
        List<Candidate> found = new ArrayList<>();
        for (RequestMappingInfoHandlerMapping mapping : this.mappings) {
            for (Map.Entry<RequestMappingInfo, HandlerMethod> entry : mapping.getHandlerMethods().entrySet()) {
                if (annotated(entry.getValue())) {
                    found.add(new Candidate(mapping, entry.getKey()));
                }
            }
        }
        return List.copyOf(found);
    }

    private static boolean bestMatchOptedOut(RequestMappingInfoHandlerMapping mapping, ServerWebExchange exchange) {
        RequestMappingInfo best = null;
        HandlerMethod bestMethod = null;
        for (Map.Entry<RequestMappingInfo, HandlerMethod> entry : mapping.getHandlerMethods().entrySet()) {
            RequestMappingInfo match = entry.getKey().getMatchingCondition(exchange);
            if (match != null && (best == null || match.compareTo(best, exchange) < 0)) {
                best = match;
                bestMethod = entry.getValue();
            }
        }
        return bestMethod != null && annotated(bestMethod);
    }

    private static boolean annotated(HandlerMethod method) {
        return method.hasMethodAnnotation(WithoutUnitOfWork.class)
                || AnnotatedElementUtils.hasAnnotation(method.getBeanType(), WithoutUnitOfWork.class);
    }

    private record Candidate(RequestMappingInfoHandlerMapping mapping, RequestMappingInfo info) {
    }
}
