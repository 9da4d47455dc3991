package io.github.contextr2dbc.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.DbSession;
import io.github.contextr2dbc.UnitOfWork;
import io.github.contextr2dbc.UnitOfWorkEnd;
import io.github.contextr2dbc.spring.UnitOfWorkListener.Finished;
import io.github.contextr2dbc.spring.UnitOfWorkListener.Outcome;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
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
 */
final class RequestUnitOfWork implements UnitOfWorkEnd.Listener {

    private static final Logger log = LoggerFactory.getLogger(RequestUnitOfWork.class);

    private final UnitOfWorkEnd end;

    private final ServerHttpResponse response;

    private final CommitPolicy policy;

    /** The before-commit check, watched: its error is the veto. Null for none. */
    @Nullable
    private final Function<? super DbSession, ? extends Publisher<Void>> beforeCommit;

    private final UnitOfWorkListener listener;

    private final long startNanos = System.nanoTime();

    /** Why a rollback was asked: the first path asking one sets it (the end's decision says whether it ran). */
    private final AtomicReference<@Nullable Outcome> rollbackReason = new AtomicReference<>();

    private volatile boolean vetoed;

    private volatile boolean streaming;

    /** The sessions as the work left them, noted when the end was decided. */
    private volatile List<Database> connected = List.of();

    private volatile List<Database> unconnected = List.of();

    RequestUnitOfWork(UnitOfWork unitOfWork, ServerHttpResponse response, CommitPolicy policy,
            @Nullable Function<? super DbSession, ? extends Publisher<Void>> beforeCommit,
                    UnitOfWorkListener listener, Context context) {
        this.end = UnitOfWorkEnd.of(unitOfWork, this, context);
        this.response = response;
        this.policy = policy;
        this.beforeCommit = beforeCommit == null ? null
                : session -> Flux.defer(() -> beforeCommit.apply(session)).doOnError(error -> this.vetoed = true);
        this.listener = listener;
    }

    UnitOfWork unitOfWork() {
        return this.end.unitOfWork();
    }

    /** The body is streamed: the unit of work finishes at the end of the stream, not when the response commits. */
    void markStreaming() {
        this.streaming = true;
    }

    /**
     * The {@code beforeCommit} action of the response: finish by status, unless the body is streamed. If
     * another path has already finished (or is finishing), wait for it to end, but do not repeat its
     * failure: that path has reported it, and the response being committed now is the one answering it
     * (e.g. the problem response for a failed commit).
     */
    Mono<Void> beforeResponseCommit() {
        return Mono.defer(() -> {
            if (this.end.decided() != null) {
                return this.end.outcome().onErrorResume(error -> Mono.empty());
            }
            return this.streaming ? Mono.empty() : finishByStatus();
        });
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

    /**
     * The handler chain completed. If the response has not been committed (an empty body: the server
     * commits it later, outside the filter chain), finish now, so that a failed commit is still an error
     * the exception handlers can turn into a problem response.
     */
    Mono<Void> afterHandler() {
        return finishByStatus();
    }

    /** The handler chain failed: roll back (a failure to do so is suppressed into {@code error}). */
    Mono<Void> afterError(Throwable error) {
        return rollback(Outcome.ROLLED_BACK_ERROR).onErrorResume(failure -> {
            if (failure != error) {
                error.addSuppressed(failure);
            }
            return Mono.empty();
        });
    }

    /**
     * The request was cancelled: roll back, unless the end is under way (it goes on). Nobody is left to tell
     * of a failure: it goes to {@code Operators.onErrorDropped}.
     */
    Mono<Void> afterCancel() {
        return Mono.fromRunnable(() -> {
            this.rollbackReason.compareAndSet(null, Outcome.ROLLED_BACK_CANCEL);
            this.end.cancel();
        });
    }

    private Mono<Void> finishByStatus() {
        return Mono.defer(() -> {
            if (this.end.decided() != null) {
                return this.end.outcome();
            }
            HttpStatusCode status = this.response.getStatusCode();
            return this.policy.commits(status != null ? status : HttpStatus.OK)
                    ? this.end.commit(this.beforeCommit) : rollback(Outcome.ROLLED_BACK_STATUS);
        });
    }

    private Mono<Void> rollback(Outcome reason) {
        return Mono.defer(() -> {
            this.rollbackReason.compareAndSet(null, reason);
            return this.end.rollback();
        });
    }

    @Override
    public void ending(UnitOfWork unitOfWork, UnitOfWorkEnd.Kind kind) {
        List<Database> withConnection = new ArrayList<>();
        List<Database> without = new ArrayList<>();
        for (DbSession session : unitOfWork.sessions()) {
            (session.isConnected() ? withConnection : without).add(session.database());
        }
        this.connected = withConnection;
        this.unconnected = without;
    }

    @Override
    public void ended(UnitOfWorkEnd.Kind kind, boolean committed, @Nullable Throwable error) {
        Outcome outcome;
        if (kind == UnitOfWorkEnd.Kind.COMMIT) {
            outcome = committed ? Outcome.COMMITTED : this.vetoed ? Outcome.ROLLED_BACK_VETO : Outcome.COMMIT_FAILED;
        } else {
            Outcome reason = this.rollbackReason.get();
            outcome = reason != null ? reason : Outcome.ROLLED_BACK_ERROR;
        }
        report(new Finished(outcome, this.connected, this.unconnected,
                Duration.ofNanos(System.nanoTime() - this.startNanos)));
    }

    private void report(Finished finished) {
        if (log.isDebugEnabled()) {
            log.debug("Unit of work finished: {} (connected: {}, never connected: {}) after {} ms", finished.outcome(),
                    names(finished.connected()), names(finished.unconnected()), finished.duration().toMillis());
        }
        try {
            this.listener.finished(finished);
        } catch (RuntimeException e) {
            log.warn("A UnitOfWorkListener failed; the unit of work itself finished as reported", e);
        }
    }

    private static List<String> names(List<Database> databases) {
        List<String> names = new ArrayList<>(databases.size());
        for (Database database : databases) {
            names.add(database.name());
        }
        return names;
    }
}
