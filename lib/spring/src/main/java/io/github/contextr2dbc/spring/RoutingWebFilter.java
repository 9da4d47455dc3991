package io.github.contextr2dbc.spring;

import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import io.github.contextr2dbc.Routing;
import io.github.contextr2dbc.UnitOfWork;
import org.jspecify.annotations.Nullable;
import org.springframework.core.Ordered;
import org.springframework.http.HttpCookie;
import org.springframework.http.ResponseCookie;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

/**
 * The web side of {@link Routing}: per request, where routed reads may go, and the read-your-own-writes token.
 *
 * <ul>
 *   <li><b>Read policy</b> — requests with a {@linkplain Builder#replicaMethods replica method} (GET and HEAD by
 *       default) may read from replicas; others read from primaries ({@link Routing#readFromPrimary()}).</li>
 *   <li><b>Token in</b> — a request presenting a valid token (the {@linkplain Builder#header header}, else the
 *       {@linkplain Builder#cookie cookie}) reads from a replica only once it has replayed the token's WAL
 *       position ({@link Routing#readAfter(String)}); a token that is malformed, wrongly signed or expired
 *       ({@link ReadAfterToken#validFor}) is ignored: the request reads as if it presented none.</li>
 *   <li><b>Token out</b> — when the request's unit of work committed a write on a primary with replicas, the
 *       response carries a new token (header, and cookie if configured), set right before the response is
 *       committed, after the unit of work's commit.</li>
 * </ul>
 * It must run inside {@link ContextR2dbcWebFilter} (a higher order: {@link #DEFAULT_ORDER}), whose commit runs
 * before this filter's token is set.
 */
public final class RoutingWebFilter implements WebFilter, Ordered {

    /** Right inside {@link ContextR2dbcWebFilter#DEFAULT_ORDER}. */
    public static final int DEFAULT_ORDER = ContextR2dbcWebFilter.DEFAULT_ORDER + 1;

    private final Set<String> replicaMethods;

    @Nullable
    private final ReadAfterToken token;

    private final String header;

    @Nullable
    private final String cookie;

    private final int order;

    private RoutingWebFilter(Builder builder) {
        this.replicaMethods = Set.copyOf(builder.replicaMethods);
        this.token = builder.token;
        this.header = builder.header;
        this.cookie = builder.cookie;
        this.order = builder.order;
    }

    /** A builder; every setter names its default. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs the chain with the request's read policy and token in its Context.
     *
     * @return the chain's {@link Mono}: complete, error and cancel are the chain's
     */
    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        boolean replicas = this.replicaMethods.contains(exchange.getRequest().getMethod().name());
        Function<Context, Context> scope = replicas ? Routing.readFromReplicas() : Routing.readFromPrimary();
        ReadAfterToken signer = this.token;
        if (signer != null) {
            String lsn = signer.verify(presented(exchange));
            if (lsn != null) {
                scope = scope.andThen(Routing.readAfter(lsn));
            }
            ServerHttpResponse response = exchange.getResponse();
            response.beforeCommit(() -> Mono.fromRunnable(() -> issue(exchange, response, signer)));
        }
        return chain.filter(exchange).contextWrite(scope);
    }

    @Nullable
    private String presented(ServerWebExchange exchange) {
        String value = exchange.getRequest().getHeaders().getFirst(this.header);
        if (value == null && this.cookie != null) {
            HttpCookie cookie = exchange.getRequest().getCookies().getFirst(this.cookie);
            value = cookie == null ? null : cookie.getValue();
        }
        return value;
    }

    private void issue(ServerWebExchange exchange, ServerHttpResponse response, ReadAfterToken signer) {
        UnitOfWork unitOfWork = exchange.getAttribute(ContextR2dbcWebFilter.UNIT_OF_WORK_ATTRIBUTE);
        if (unitOfWork == null) {
            return;
        }
        Routing.commitLsn(unitOfWork).ifPresent(lsn -> {
            String value = signer.issue(lsn);
            response.getHeaders().set(this.header, value);
            if (this.cookie != null) {
                response.addCookie(ResponseCookie.from(this.cookie, value).path("/").httpOnly(true)
                        .maxAge(signer.ttl()).build());
            }
        });
    }

    @Override
    public int getOrder() {
        return this.order;
    }

    @Override
    public String toString() {
        return "RoutingWebFilter{replica methods " + new TreeSet<>(this.replicaMethods) + ", token "
                + (this.token == null ? "off" : this.header + (this.cookie == null ? "" : ", cookie " + this.cookie))
                + "}";
    }

    /** Builds a {@link RoutingWebFilter}. */
    public static final class Builder {

        private Set<String> replicaMethods = Set.of("GET", "HEAD");

        @Nullable
        private ReadAfterToken token;

        private String header = "Context-R2dbc-Read-After";

        @Nullable
        private String cookie;

        private int order = DEFAULT_ORDER;

        private Builder() {
        }

        /** The HTTP methods that may read from replicas. Default: GET, HEAD. */
        public Builder replicaMethods(Set<String> methods) {
            Set<String> upper = new TreeSet<>();
            for (String method : methods) {
                upper.add(method.toUpperCase(Locale.ROOT));
            }
            this.replicaMethods = upper;
            return this;
        }

        /** The token signer; null: no token is issued or honoured. Default: null. */
        public Builder token(@Nullable ReadAfterToken token) {
            this.token = token;
            return this;
        }

        /** The header carrying the token, in and out. Default: {@code Context-R2dbc-Read-After}. */
        public Builder header(String header) {
            this.header = Objects.requireNonNull(header, "header");
            return this;
        }

        /** A cookie carrying the token too; null for none. Default: null. */
        public Builder cookie(@Nullable String cookie) {
            this.cookie = cookie;
            return this;
        }

        /** The filter's order. Default: {@link #DEFAULT_ORDER}. */
        public Builder order(int order) {
            this.order = order;
            return this;
        }

        /** The filter. */
        public RoutingWebFilter build() {
            return new RoutingWebFilter(this);
        }
    }
}
