package io.github.contextr2dbc.spring;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;

import io.github.contextr2dbc.DbSession;
import io.github.contextr2dbc.UnitOfWork;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.springframework.core.Ordered;
import org.springframework.web.reactive.result.method.RequestMappingInfoHandlerMapping;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.util.context.ContextView;

/**
 * Makes every request a {@linkplain UnitOfWork unit of work} and finishes it by the response status.
 *
 * <p><b>When it commits.</b> The unit of work is finished right before the response is committed (in
 * {@code ServerHttpResponse.beforeCommit}, or, for a response with an empty body, as soon as the handler
 * chain completes): it is committed when nothing failed and the {@link CommitPolicy} accepts the status
 * (by default: below 400), else rolled back; then it is closed, which releases every connection. Because
 * this happens before the status line is sent, a commit that fails (e.g. a deferred constraint checked
 * at {@code COMMIT}) becomes an error that the exception handlers turn into a problem response (see
 * {@link DatabaseProblemHandler}) — the client never sees a 2xx for work that was lost. A handler error
 * rolls back before the error response is written; a cancelled request (the client went away) rolls
 * back, unless its commit had already started: a started commit runs to its end, so a client that leaves
 * during the commit leaves a committed unit of work. Whatever the path (value body, empty body, body of
 * known length, error response, 404 with no handler, streamed body, cancel), the unit of work is finished
 * exactly once.
 *
 * <p><b>Bodies of known length.</b> A body that is not a {@code Mono} but whose {@code Content-Length} is
 * set before it is written (a {@code Resource} or {@code ResponseEntity<Resource>}, which Spring writes as
 * a {@code Flux} of buffers; a handler calling {@code response.writeWith(flux)} after setting the length)
 * is not a stream: the unit of work still finishes before the status is sent, so a failed commit still
 * becomes the problem status. Up to the {@linkplain Builder#holdLimit hold limit} (1 MiB by default) the
 * body is read to its end inside the unit of work (it may read the database) and held, never beyond its
 * declared length; then the unit of work finishes; then the status and the body are sent. A longer body
 * is not held: the unit of work finishes first, then the body is read and sent outside it (a file is fine;
 * a body that reads the database there finds the unit of work ended and fails with an error response,
 * although the unit of work committed: collect such a body into a {@code Mono}).
 *
 * <p><b>Streamed bodies.</b> A body written as a stream (a {@code Flux} with no length, sent as a JSON
 * array, NDJSON or server-sent events) is read inside the unit of work, and the unit of work finishes after
 * its last element, before the end of the response is sent: committed if the stream completed (by the
 * policy, with the status already sent), rolled back if it failed or was cancelled. A commit that fails
 * there can no longer change the status; the response is aborted instead, so the client sees a broken
 * response, never a clean end. A stream that touched the database holds its connection and transaction
 * until it ends, however slowly the client reads. Write in handlers that return a {@code Mono} (or collect
 * the {@code Flux}) when the client must learn of a failed commit through the status, or may read slowly.
 *
 * <p><b>Replaced responses.</b> When an error replaces the response the handler chain prepared (a failed
 * commit, a handler error; the exception handlers then write the problem or error response), the headers
 * that described the success ({@code Location}, {@code Content-Location}, {@code ETag},
 * {@code Last-Modified}, {@code Set-Cookie} and the response cookies) are put back as they were when the
 * request reached this filter.
 *
 * <p><b>Skipping.</b> No unit of work is opened when the Reactor Context already holds one (tests and
 * outer filters use that to provide their own), when the exchange attribute {@link #SKIP_ATTRIBUTE} is
 * {@code true}, or when the request goes to a handler method annotated {@link WithoutUnitOfWork}.
 *
 * <p><b>Order.</b> {@link #DEFAULT_ORDER} ({@value #DEFAULT_ORDER}) runs it before Spring Security's
 * {@code WebFilterChainProxy} ({@code -100}), so that security's own database look-ups run inside the
 * request's unit of work and a 401/403 rolls back, and after filters that rewrite the request (Spring's
 * {@code HiddenHttpMethodFilter} runs at {@code -10000}). A filter that sets {@link #SKIP_ATTRIBUTE} must
 * run before it.
 *
 * <p>The unit of work is also stored as the exchange attribute {@link #UNIT_OF_WORK_ATTRIBUTE}, for code
 * that has the exchange but not the Reactor Context.
 *
 * <p><b>Cost.</b> A request that opens nothing takes no connection and ends at once (there is nothing to
 * finish): per request, one object plays every role of the filter (the exchange the chain sees, the chain's
 * subscriber, the response's {@code beforeCommit} action, the end's listener), next to the response decorator,
 * the unit of work and its end; the {@link UnitOfWorkListener}'s report is built only when a listener is set
 * (or debug logging is on), and the success headers are copied only when the request enters with some.
 */
public final class ContextR2dbcWebFilter implements WebFilter, Ordered {

    /** The default order: before Spring Security ({@code -100}), after request-rewriting filters. */
    public static final int DEFAULT_ORDER = -200;

    /** The default {@linkplain Builder#holdLimit hold limit} of bodies of known length: 1 MiB. */
    public static final long DEFAULT_HOLD_LIMIT = 1024 * 1024;

    /** The exchange attribute holding the request's {@link UnitOfWork}. */
    public static final String UNIT_OF_WORK_ATTRIBUTE = ContextR2dbcWebFilter.class.getName() + ".UNIT_OF_WORK";

    /**
     * Set this exchange attribute to {@link Boolean#TRUE} (in a filter ordered before this one) to run the
     * request without a unit of work.
     */
    public static final String SKIP_ATTRIBUTE = ContextR2dbcWebFilter.class.getName() + ".SKIP";

    private final CommitPolicy policy;

    @Nullable
    private final Function<? super DbSession, ? extends Publisher<Void>> beforeCommit;

    private final UnitOfWorkListener listener;

    @Nullable
    private final OptOutRoutes optOutRoutes;

    private final int order;

    private final long holdLimit;

    private ContextR2dbcWebFilter(Builder builder) {
        this.policy = builder.policy;
        this.beforeCommit = builder.beforeCommit;
        this.listener = builder.listener;
        this.optOutRoutes = builder.handlerMappings.isEmpty() ? null : new OptOutRoutes(builder.handlerMappings);
        this.order = builder.order;
        this.holdLimit = builder.holdLimit;
    }

    /** A filter with the {@linkplain CommitPolicy#standard() standard} policy and nothing else configured. */
    public static ContextR2dbcWebFilter standard() {
        return builder().build();
    }

    /** A builder; every setter names its default. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs the rest of the chain in a new unit of work and finishes it as described above.
     *
     * @return a cold {@link Mono}: complete once the response is handled and the unit of work finished;
     * error: the handler's error (after the rollback), or the commit's error (the response is then still
     * uncommitted, for the exception handlers); cancel: the unit of work is rolled back and closed, every
     * connection released
     */
    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        return new Filtered(this, exchange, chain);
    }

    /** Whether this request runs without a unit of work of this filter's: see the class comment. */
    private boolean skips(ServerWebExchange exchange, ContextView context) {
        if (UnitOfWork.find(context).isPresent() || Boolean.TRUE.equals(exchange.getAttribute(SKIP_ATTRIBUTE))) {
            return true;
        }
        OptOutRoutes routes = this.optOutRoutes;
        return routes != null && routes.optedOut(exchange);
    }

    CommitPolicy policy() {
        return this.policy;
    }

    @Nullable
    Function<? super DbSession, ? extends Publisher<Void>> beforeCommit() {
        return this.beforeCommit;
    }

    UnitOfWorkListener listener() {
        return this.listener;
    }

    /**
     * The filter's {@code Mono} for one request: decides at subscription (the caller's Context is known then)
     * whether the request gets a unit of work; if so, the {@link RequestUnitOfWork} runs the chain and ends it.
     */
    private static final class Filtered extends Mono<Void> {

        private final ContextR2dbcWebFilter filter;

        private final ServerWebExchange exchange;

        private final WebFilterChain chain;

        Filtered(ContextR2dbcWebFilter filter, ServerWebExchange exchange, WebFilterChain chain) {
            this.filter = filter;
            this.exchange = exchange;
            this.chain = chain;
        }

        @Override
        public void subscribe(CoreSubscriber<? super Void> actual) {
            Mono<Void> unfiltered;
            try {
                if (!this.filter.skips(this.exchange, actual.currentContext())) {
                    new RequestUnitOfWork(this.exchange, this.filter, actual, this.filter.holdLimit).run(this.chain);
                    return;
                }
                unfiltered = this.chain.filter(this.exchange);
            } catch (Throwable error) {
                Operators.error(actual, Operators.onOperatorError(error, actual.currentContext()));
                return;
            }
            unfiltered.subscribe(actual);
        }
    }

    @Override
    public int getOrder() {
        return this.order;
    }

    @Override
    public String toString() {
        return "ContextR2dbcWebFilter{" + this.policy + ", order " + this.order + "}";
    }

    /** Builds a {@link ContextR2dbcWebFilter}. */
    public static final class Builder {

        private CommitPolicy policy = CommitPolicy.standard();

        @Nullable
        private Function<? super DbSession, ? extends Publisher<Void>> beforeCommit;

        private UnitOfWorkListener listener = UnitOfWorkListener.NONE;

        private List<RequestMappingInfoHandlerMapping> handlerMappings = List.of();

        private int order = DEFAULT_ORDER;

        private long holdLimit = DEFAULT_HOLD_LIMIT;

        private Builder() {
        }

        /** Which statuses commit. Default: {@link CommitPolicy#standard()} (below 400). */
        public Builder commitPolicy(CommitPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * A check run for every session in a transaction just before committing; if it errors for any,
         * nothing is committed, every session is rolled back, and its error becomes the request's error
         * (the veto). Default: none.
         */
        public Builder beforeCommit(@Nullable Function<? super DbSession, ? extends Publisher<Void>> beforeCommit) {
            this.beforeCommit = beforeCommit;
            return this;
        }

        /** Told how each unit of work ended (metrics). Default: {@link UnitOfWorkListener#NONE}. */
        public Builder listener(UnitOfWorkListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * The handler mappings whose methods may be annotated {@link WithoutUnitOfWork} (in a Spring
         * application: the {@code RequestMappingHandlerMapping} bean). Default: none, so the annotation
         * is not looked for.
         */
        public Builder handlerMappings(List<? extends RequestMappingInfoHandlerMapping> handlerMappings) {
            this.handlerMappings = List.copyOf(handlerMappings);
            return this;
        }

        /** The filter's order. Default: {@link #DEFAULT_ORDER}. */
        public Builder order(int order) {
            this.order = order;
            return this;
        }

        /**
         * The largest body of known length (a {@code Content-Length} set before the body is written, e.g. a
         * {@code Resource}) that is read to its end and held before the unit of work finishes; a longer one
         * is written after the unit of work finished, outside it (see the class comment). Default:
         * {@link #DEFAULT_HOLD_LIMIT} (1 MiB).
         *
         * @throws IllegalArgumentException if negative or above {@link Integer#MAX_VALUE}
         */
        public Builder holdLimit(long bytes) {
            if (bytes < 0 || bytes > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("holdLimit must be between 0 and " + Integer.MAX_VALUE
                        + " bytes, was " + bytes);
            }
            this.holdLimit = bytes;
            return this;
        }

        /** The filter. */
        public ContextR2dbcWebFilter build() {
            return new ContextR2dbcWebFilter(this);
        }
    }
}
