package io.github.contextr2dbc.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.DbSession;
import io.github.contextr2dbc.UnitOfWork;
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
import reactor.core.publisher.Sinks;

/**
 * One request's unit of work and the rule that finishes it, exactly once, whichever path gets there
 * first: the response about to commit, the handler chain completing with nothing written (empty
 * bodies), the end of a streamed body, a handler error, or a cancel.
 *
 * <p>The finish (commit or rollback, then close) is started once and runs to its end whatever happens
 * to the subscriber that started it; every later path gets the same outcome.
 */
final class RequestUnitOfWork {

    private static final Logger log = LoggerFactory.getLogger(RequestUnitOfWork.class);

    private final UnitOfWork unitOfWork;

    private final ServerHttpResponse response;

    private final CommitPolicy policy;

    @Nullable
    private final Function<? super DbSession, ? extends Publisher<Void>> beforeCommit;

    private final UnitOfWorkListener listener;

    private final long startNanos = System.nanoTime();

    private final AtomicReference<@Nullable Mono<Void>> outcome = new AtomicReference<>();

    private volatile boolean streaming;

    RequestUnitOfWork(UnitOfWork unitOfWork, ServerHttpResponse response, CommitPolicy policy,
            @Nullable Function<? super DbSession, ? extends Publisher<Void>> beforeCommit,
                    UnitOfWorkListener listener) {
        this.unitOfWork = unitOfWork;
        this.response = response;
        this.policy = policy;
        this.beforeCommit = beforeCommit;
        this.listener = listener;
    }

    UnitOfWork unitOfWork() {
        return this.unitOfWork;
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
            Mono<Void> started = this.outcome.get();
            if (started != null) {
                return started.onErrorResume(error -> Mono.empty());
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
        return finish(Outcome.ROLLED_BACK_ERROR).onErrorResume(failure -> {
            if (failure != error) {
                error.addSuppressed(failure);
            }
            return Mono.empty();
        });
    }

    /** The request was cancelled: roll back; nobody is left to tell of a failure, so it is logged. */
    Mono<Void> afterCancel() {
        return finish(Outcome.ROLLED_BACK_CANCEL).onErrorResume(failure -> {
            log.warn("Finishing the unit of work of a cancelled request failed", failure);
            return Mono.empty();
        });
    }

    private Mono<Void> finishByStatus() {
        return Mono.defer(() -> {
            Mono<Void> started = this.outcome.get();
            if (started != null) {
                return started;
            }
            HttpStatusCode status = this.response.getStatusCode();
            return finish(this.policy.commits(status != null ? status : HttpStatus.OK)
                    ? Outcome.COMMITTED : Outcome.ROLLED_BACK_STATUS);
        });
    }

    /** Starts the finish if no path has yet, and returns its outcome (shared by every path). */
    private Mono<Void> finish(Outcome intended) {
        Mono<Void> started = this.outcome.get();
        if (started != null) {
            return started;
        }
        Sinks.Empty<Void> sink = Sinks.empty();
        Mono<Void> result = sink.asMono();
        if (!this.outcome.compareAndSet(null, result)) {
            return this.outcome.get();
        }
        // Subscribed here, once, so that the finish runs to its end even if the path that started it is
        // cancelled; every path (and the sink's late subscribers) sees its outcome.
        end(intended).subscribe(null, sink::tryEmitError, sink::tryEmitEmpty);
        return result;
    }

    private Mono<Void> end(Outcome intended) {
        return Mono.defer(() -> {
            List<Database> connected = new ArrayList<>();
            List<Database> unconnected = new ArrayList<>();
            for (DbSession session : this.unitOfWork.sessions()) {
                (session.isConnected() ? connected : unconnected).add(session.database());
            }
            AtomicReference<Outcome> actual = new AtomicReference<>(intended);
            Mono<Void> work;
            if (intended == Outcome.COMMITTED) {
                AtomicBoolean vetoed = new AtomicBoolean();
                Function<? super DbSession, ? extends Publisher<Void>> check = this.beforeCommit;
                Function<DbSession, Publisher<Void>> watchedCheck = check == null ? null
                        : session -> Flux.defer(() -> check.apply(session)).doOnError(error -> vetoed.set(true));
                work = this.unitOfWork.commit(watchedCheck).onErrorResume(error -> {
                    actual.set(vetoed.get() ? Outcome.ROLLED_BACK_VETO : Outcome.COMMIT_FAILED);
                    return Mono.error(error);
                });
            } else {
                work = this.unitOfWork.rollback();
            }
            return always(always(work, this.unitOfWork::close), () -> Mono.fromRunnable(() -> report(
                    new Finished(actual.get(), connected, unconnected,
                            Duration.ofNanos(System.nanoTime() - this.startNanos)))));
        });
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

    /**
     * {@code first}, then {@code after} whatever happened; {@code first}'s error wins, a failure of {@code after}
     * suppressed into it.
     */
    private static Mono<Void> always(Mono<Void> first, Supplier<Mono<Void>> after) {
        return first
                .onErrorResume(error -> after.get()
                        .onErrorResume(secondary -> {
                            error.addSuppressed(secondary);
                            return Mono.empty();
                        })
                        .then(Mono.error(error)))
                .then(Mono.defer(after));
    }
}
