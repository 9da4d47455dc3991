package io.github.contextr2dbc;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * How a {@link UnitOfWork} finishes its sessions: commits in the fixed order (the checks and hooks first,
 * a partial commit reported as such), rolls back every session even if some fail, and closes (ends) them;
 * and the fixed order itself (sessions sorted by {@link Database#order()}).
 */
final class UnitOfWorkFinish {

    private UnitOfWorkFinish() {
    }

    static Mono<Void> commitInOrder(ContextSession[] all,
            @Nullable Function<? super DbSession, ? extends Publisher<Void>> beforeCommit) {
        return Mono.defer(() -> {
            Mono<Void> checks = Flux.fromArray(all)
                    .filter(ContextSession::inTransaction)
                    .concatMap(session -> (beforeCommit == null ? Mono.<Void>empty()
                            : Mono.from(beforeCommit.apply(session)))
                            .then(session.runBeforeCommitHooks()))
                    .then()
                    .onErrorResume(veto -> finishAll(all, 0, veto, Finish.ROLLBACK));
            List<CommitHooks.OnCommit> afterCommit = new ArrayList<>();
            return checks
                    .then(Mono.defer(() -> commitFrom(all, 0, new ArrayList<>(), afterCommit)
                            // a partial commit: the databases that did commit still run their hooks
                            .onErrorResume(failure -> afterCommit.isEmpty() ? Mono.error(failure)
                                    : CommitHooks.runOnCommit(afterCommit)
                                            .onErrorResume(SuppressedFailure.into(failure))
                                            .then(Mono.error(failure)))))
                    .then(Mono.defer(() -> CommitHooks.runOnCommit(afterCommit)));
        });
    }

    /** {@link UnitOfWork#commit(Function)} of {@code all} now: null if there is nothing to commit (all dormant). */
    @Nullable
    static Mono<Void> commit(ContextSession[] all,
            @Nullable Function<? super DbSession, ? extends Publisher<Void>> beforeCommit) {
        if (allDormant(all)) {
            return null;
        }
        if (all.length == 1 && beforeCommit == null && !all[0].hasBeforeCommitHooks()) {
            // the common case, one database and nothing to check: no report to assemble
            ContextSession only = all[0];
            Mono<Boolean> finish = only.finishQueued(Finish.COMMIT);
            return Uncancellable.run("Commit of", "a unit of work", only.hasHooks()
                    ? finish.then(Mono.defer(() -> CommitHooks.runOnCommit(only.takeCommittedHooks())))
                    : finish.then());
        }
        return Uncancellable.run("Commit of", "a unit of work", commitInOrder(all, beforeCommit));
    }

    /**
     * {@link UnitOfWork#close()} of {@code all} (the unit of work has just ended): sessions with nothing to finish
     * are ended in place, the others go through their queues. Null if none had anything to finish.
     */
    @Nullable
    static Mono<Void> close(ContextSession[] all) {
        int busy = 0;
        ContextSession[] toFinish = all;
        for (int i = 0; i < all.length; i++) {
            if (!all[i].endIfDormant()) {
                if (toFinish == all) {
                    toFinish = new ContextSession[all.length];
                }
                toFinish[busy++] = all[i];
            }
        }
        if (busy == 0) {
            return null;
        }
        return Uncancellable.run("Close of", "a unit of work",
                finishAll(Arrays.copyOf(toFinish, busy), 0, null, Finish.ROLLBACK_AND_END));
    }

    /** {@code current} with {@code added} inserted in finishing order ({@link Database#order()}). */
    static ContextSession[] inserted(ContextSession[] current, ContextSession added) {
        ContextSession[] next = new ContextSession[current.length + 1];
        int at = 0;
        while (at < current.length && current[at].database().order() < added.database().order()) {
            at++;
        }
        System.arraycopy(current, 0, next, 0, at);
        next[at] = added;
        System.arraycopy(current, at, next, at + 1, current.length - at);
        return next;
    }

    static boolean allDormant(ContextSession[] all) {
        for (ContextSession session : all) {
            if (!session.isDormant()) {
                return false;
            }
        }
        return true;
    }

    /** Commits sessions from {@code index} on; on a failure, rolls back the rest and reports both sides. */
    static Mono<Void> commitFrom(ContextSession[] all, int index, List<Database> committed,
            List<CommitHooks.OnCommit> afterCommit) {
        if (index == all.length) {
            return Mono.empty();
        }
        ContextSession session = all[index];
        return session.finish(Finish.COMMIT)
                .onErrorResume(failure -> {
                    Throwable error = failure;
                    if (!committed.isEmpty()) {
                        List<Database> notCommitted = new ArrayList<>();
                        for (int i = index; i < all.length; i++) {
                            notCommitted.add(all[i].database());
                        }
                        error = new PartialCommitException(committed, notCommitted, failure);
                    }
                    return finishAll(all, index + 1, error, Finish.ROLLBACK).then(Mono.<Boolean>empty());
                })
                .flatMap(hadTransaction -> {
                    if (hadTransaction) {
                        committed.add(session.database());
                    }
                    afterCommit.addAll(session.takeCommittedHooks());
                    return Mono.<Void>empty();
                })
                .then(Mono.defer(() -> commitFrom(all, index + 1, committed, afterCommit)));
    }

    /**
     * Rolls back and releases sessions from {@code index} on, every one of them. Errors: {@code cause} if
     * given, else the first failure; further failures suppressed into it.
     */
    static Mono<Void> finishAll(ContextSession[] all, int index, @Nullable Throwable cause, Finish how) {
        List<ContextSession> rest = Arrays.asList(all).subList(index, all.length);
        return Flux.fromIterable(rest)
                .concatMap(session -> session.finish(how).then(Mono.<Throwable>empty()).onErrorResume(Mono::just))
                .collectList()
                .flatMap(failures -> {
                    Throwable error = cause;
                    for (Throwable failure : failures) {
                        if (error == null) {
                            error = failure;
                        } else {
                            error.addSuppressed(failure);
                        }
                    }
                    return error == null ? Mono.empty() : Mono.error(error);
                });
    }
}
