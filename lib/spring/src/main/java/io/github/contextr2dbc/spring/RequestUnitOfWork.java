package io.github.contextr2dbc.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.Function;
import java.util.function.Supplier;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.DbSession;
import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.UnitOfWorkEnd;
import io.github.contextr2dbc.spring.UnitOfWorkListener.Finished;
import io.github.contextr2dbc.spring.UnitOfWorkListener.Outcome;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebExchangeDecorator;
import org.springframework.web.server.WebFilterChain;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/**
 * One request's unit of work and the rule that ends it, exactly once, whichever path gets there first: the
 * response about to commit, the handler chain completing with nothing written (empty bodies), the end of a
 * streamed body, a handler error, or a cancel.
 *
 * <p>The end itself is core's {@link UnitOfWorkEnd}, the mechanism {@code UnitOfWork.inNewUnitOfWork} uses
 * too: decided once (commit then close, or close), run to its end whatever happens to the path that decided
 * it, its outcome shared by every later path; a failure nobody receives (a cancelled request) goes to
 * {@code Operators.onErrorDropped}. This class adds what only a request has: the decision by status, the
 * streamed body, and the report to the {@link UnitOfWorkListener}.
 *
 * <p><b>One object, several roles.</b> A request runs through here once, so what the filter needs per request
 * is this one object rather than a chain of operators: it is the exchange the handler chain sees (its
 * response is the {@link UnitOfWorkResponse}), the subscriber of the handler chain, the subscription of the
 * filter's caller, the {@code beforeCommit} action of the response, the end's {@link UnitOfWorkEnd.Listener}
 * and its {@link UnitOfWorkEnd.Waiter}. A unit of work that opened nothing ends synchronously (there is no
 * connection to finish), and costs a few objects: this one, its response, the unit of work and its end.
 *
 * <table>
 * <caption>Stages of the caller's side</caption>
 * <tr><th>stage</th><th>entered by</th><th>then</th></tr>
 * <tr><td>working</td><td>subscription</td><td>the handler chain runs in the unit of work</td></tr>
 * <tr><td>ending</td><td>the chain's completion (finish by status, or wait for the end another path decided)
 * or error (roll back, or wait)</td><td>once the end is over: the caller is told (an error after the success
 * headers are put back)</td></tr>
 * <tr><td>done</td><td>the caller told</td><td>a later cancel does nothing</td></tr>
 * <tr><td>cancelled</td><td>the caller's cancel while working or ending</td><td>the chain is cancelled; the
 * unit of work rolled back unless its end is under way (it goes on); nothing goes on</td></tr>
 * </table>
 */
final class RequestUnitOfWork extends ServerWebExchangeDecorator
        implements CoreSubscriber<Void>, Subscription, UnitOfWorkEnd.Listener, UnitOfWorkEnd.Waiter,
        Supplier<Mono<Void>> {

    private static final Logger log = LoggerFactory.getLogger(RequestUnitOfWork.class);

    private static final int WORKING = 0;

    private static final int DONE = 1;

    private static final int CANCELLED = 2;

    private static final AtomicIntegerFieldUpdater<RequestUnitOfWork> STAGE =
            AtomicIntegerFieldUpdater.newUpdater(RequestUnitOfWork.class, "stage");

    private static final AtomicReferenceFieldUpdater<RequestUnitOfWork, Subscription> UPSTREAM =
            AtomicReferenceFieldUpdater.newUpdater(RequestUnitOfWork.class, Subscription.class, "upstream");

    private static final AtomicReferenceFieldUpdater<RequestUnitOfWork, Outcome> ROLLBACK_REASON =
            AtomicReferenceFieldUpdater.newUpdater(RequestUnitOfWork.class, Outcome.class, "rollbackReason");

    private final CoreSubscriber<? super Void> actual;

    /** The caller's Context with the unit of work in it: the handler chain's Context. */
    private final Context context;

    final UnitOfWorkEnd end;

    /** The response as it came: its status decides, its headers are put back on an error. */
    private final ServerHttpResponse response;

    /** The response the handler chain sees. */
    private final UnitOfWorkResponse decorated;

    private final ContextR2dbcWebFilter filter;

    /** The success headers as the request entered the filter (usually the shared empty snapshot). */
    private final SuccessHeaders successHeaders;

    /** Whether the end is reported (a listener, or debug logging): else nothing is noted for it. */
    private final boolean reported;

    private final long startNanos;

    private volatile int stage;

    @Nullable
    private volatile Subscription upstream;

    /** Why a rollback was asked: the first path asking one sets it (the end's decision says whether it ran). */
    @Nullable
    private volatile Outcome rollbackReason;

    /** The handler chain's error, given on (with the end's failure suppressed into it) once the end is over. */
    @Nullable
    private Throwable failed;

    private volatile boolean vetoed;

    volatile boolean streaming;

    /** The sessions as the work left them, noted when the end was decided (if {@link #reported}). */
    private List<Database> connected = List.of();

    private List<Database> unconnected = List.of();

    RequestUnitOfWork(ServerWebExchange exchange, ContextR2dbcWebFilter filter, CoreSubscriber<? super Void> actual,
            long holdLimit) {
        super(exchange);
        this.actual = actual;
        this.filter = filter;
        this.response = exchange.getResponse();
        UnitOfWork unitOfWork = UnitOfWork.create();
        Context callers = actual.currentContext();
        this.context = unitOfWork.bind().apply(callers);
        this.end = UnitOfWorkEnd.of(unitOfWork, this, callers);
        this.reported = filter.listener() != UnitOfWorkListener.NONE || log.isDebugEnabled();
        this.startNanos = this.reported ? System.nanoTime() : 0L;
        this.successHeaders = SuccessHeaders.of(this.response);
        this.decorated = new UnitOfWorkResponse(this.response, this, holdLimit);
    }

    /** Runs the handler chain in the unit of work; the caller is told once the unit of work has ended. */
    void run(WebFilterChain chain) {
        getAttributes().put(ContextR2dbcWebFilter.UNIT_OF_WORK_ATTRIBUTE, this.end.unitOfWork());
        this.response.beforeCommit(this);
        this.actual.onSubscribe(this);
        if (this.stage == CANCELLED) {
            return; // cancelled at once: the unit of work is closed, the chain never runs
        }
        Mono<Void> handled;
        try {
            handled = chain.filter(this);
        } catch (Throwable error) {
            onError(Operators.onOperatorError(error, this.context));
            return;
        }
        handled.subscribe(this);
    }

    UnitOfWork unitOfWork() {
        return this.end.unitOfWork();
    }

    // ---- the exchange the handler chain sees ----

    @Override
    public ServerHttpResponse getResponse() {
        return this.decorated;
    }

    // ---- the subscriber of the handler chain ----

    @Override
    public Context currentContext() {
        return this.context;
    }

    @Override
    public void onSubscribe(Subscription subscription) {
        if (Operators.setOnce(UPSTREAM, this, subscription)) {
            subscription.request(Long.MAX_VALUE);
        }
    }

    @Override
    public void onNext(Void ignored) {
    }

    /**
     * The handler chain completed. If the end is not decided (an empty body: the server commits the response
     * later, outside the filter chain), finish by status now, so that a failed commit is still an error the
     * exception handlers can turn into a problem response; else wait for the end that was decided.
     */
    @Override
    public void onComplete() {
        if (this.stage == CANCELLED) {
            return; // the cancel closed it (or the end under way goes on)
        }
        if (this.end.decided() != null) {
            this.end.await(this);
        } else if (commits()) {
            this.end.commit(vetoable(), this);
        } else {
            ROLLBACK_REASON.compareAndSet(this, null, Outcome.ROLLED_BACK_STATUS);
            this.end.rollback(this);
        }
    }

    /** The handler chain failed: roll back (a failure to do so is suppressed into {@code error}). */
    @Override
    public void onError(Throwable error) {
        if (this.stage == CANCELLED) {
            Operators.onErrorDropped(error, this.context); // nobody is left to tell
            return;
        }
        this.failed = error;
        ROLLBACK_REASON.compareAndSet(this, null, Outcome.ROLLED_BACK_ERROR);
        this.end.rollback(this);
    }

    // ---- the subscription of the filter's caller ----

    @Override
    public void request(long n) {
        // no values: the outcome goes on once the end is over
    }

    /**
     * The request was cancelled: roll back, unless the end is under way (it goes on). Nobody is left to tell
     * of a failure: it goes to {@code Operators.onErrorDropped}.
     */
    @Override
    public void cancel() {
        if (!STAGE.compareAndSet(this, WORKING, CANCELLED)) {
            return;
        }
        Operators.terminate(UPSTREAM, this);
        ROLLBACK_REASON.compareAndSet(this, null, Outcome.ROLLED_BACK_CANCEL);
        this.end.cancel();
    }

    // ---- the end's waiter: the caller told ----

    @Override
    public boolean ended(@Nullable Throwable error) {
        Throwable handlerError = this.failed;
        Throwable outcome = handlerError == null ? error : withSuppressed(handlerError, error);
        if (!STAGE.compareAndSet(this, WORKING, DONE)) {
            if (outcome != null && handlerError != null) {
                Operators.onErrorDropped(outcome, this.actual.currentContext());
                return true;
            }
            return false; // cancelled: the end reports its own failure
        }
        if (outcome != null) {
            // an error response will replace the one prepared: it must not describe the lost success
            this.successHeaders.restore(this.response);
            this.actual.onError(outcome);
        } else {
            this.actual.onComplete();
        }
        return true;
    }

    private static Throwable withSuppressed(Throwable error, @Nullable Throwable failure) {
        if (failure != null && failure != error) {
            error.addSuppressed(failure);
        }
        return error;
    }

    // ---- the response's beforeCommit action ----

    /**
     * Finish by status, unless the body is streamed. If another path has already finished (or is finishing),
     * wait for it to end, but do not repeat its failure: that path has reported it, and the response being
     * committed now is the one answering it (e.g. the problem response for a failed commit).
     */
    @Override
    public Mono<Void> get() {
        return new ResponseCommit(this);
    }

    // ---- the response's other paths ----

    /** The body is streamed: the unit of work finishes at the end of the stream, not when the response commits. */
    void markStreaming() {
        this.streaming = true;
    }

    /**
     * A body too long to hold is about to be read: finish by status now, before the status is sent (an
     * error here is still the handler chain's, for the exception handlers).
     */
    Mono<Void> finishBeforeBody() {
        return finishByStatus();
    }

    /** A streamed body has ended normally: finish by status; an error here aborts the response. */
    Mono<Void> afterStream() {
        return finishByStatus();
    }

    private Mono<Void> finishByStatus() {
        return Mono.defer(() -> {
            if (this.end.decided() != null) {
                return this.end.outcome();
            }
            if (commits()) {
                return this.end.commit(vetoable());
            }
            ROLLBACK_REASON.compareAndSet(this, null, Outcome.ROLLED_BACK_STATUS);
            return this.end.rollback();
        });
    }

    /** Whether the response's status commits, by the policy (no status yet is a 200). */
    boolean commits() {
        HttpStatusCode status = this.response.getStatusCode();
        return this.filter.policy().commits(status != null ? status : HttpStatus.OK);
    }

    /** The filter's before-commit check, watched: its error is the veto. Null for none. */
    @Nullable
    Function<? super DbSession, ? extends Publisher<Void>> vetoable() {
        Function<? super DbSession, ? extends Publisher<Void>> check = this.filter.beforeCommit();
        return check == null ? null
                : session -> Flux.defer(() -> check.apply(session)).doOnError(error -> this.vetoed = true);
    }

    /** The response commits with a status that rolls back: the reason reported, unless one was noted first. */
    void rollingBackByStatus() {
        ROLLBACK_REASON.compareAndSet(this, null, Outcome.ROLLED_BACK_STATUS);
    }

    // ---- the end's listener: the report ----

    @Override
    public void ending(UnitOfWork unitOfWork, UnitOfWorkEnd.Kind kind) {
        if (!this.reported) {
            return;
        }
        List<DbSession> sessions = unitOfWork.sessions();
        if (sessions.isEmpty()) {
            return;
        }
        List<Database> withConnection = new ArrayList<>();
        List<Database> without = new ArrayList<>();
        for (DbSession session : sessions) {
            (session.isConnected() ? withConnection : without).add(session.database());
        }
        this.connected = withConnection;
        this.unconnected = without;
    }

    @Override
    public void ended(UnitOfWorkEnd.Kind kind, boolean committed, @Nullable Throwable error) {
        if (!this.reported) {
            return;
        }
        Outcome outcome;
        if (kind == UnitOfWorkEnd.Kind.COMMIT) {
            outcome = committed ? Outcome.COMMITTED : this.vetoed ? Outcome.ROLLED_BACK_VETO : Outcome.COMMIT_FAILED;
        } else {
            Outcome reason = this.rollbackReason;
            outcome = reason != null ? reason : Outcome.ROLLED_BACK_ERROR;
        }
        report(new Finished(outcome, this.connected, this.unconnected,
                Duration.ofNanos(System.nanoTime() - this.startNanos)));
    }

    private void report(Finished finished) {
        if (log.isDebugEnabled()) {
            log.debug("Unit of work finished: {} (connected: {}, never connected: {}) after {} ms", finished.outcome(),
                    finished.connected().stream().map(Database::name).toList(),
                    finished.unconnected().stream().map(Database::name).toList(), finished.duration().toMillis());
        }
        try {
            this.filter.listener().finished(finished);
        } catch (RuntimeException e) {
            log.warn("A UnitOfWorkListener failed; the unit of work itself finished as reported", e);
        }
    }

    @Override
    public String toString() {
        return "RequestUnitOfWork{" + this.end + ", " + getDelegate() + "}";
    }
}
