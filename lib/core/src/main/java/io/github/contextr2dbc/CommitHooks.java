package io.github.contextr2dbc;

import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The before-commit and on-commit hooks registered at one level of a session: an atomic block, or the
 * session's own transaction outside any block. Guarded by the session: only touched by one task or
 * registration at a time (registration synchronises on the instance).
 */
final class CommitHooks {

    private static final Logger log = LoggerFactory.getLogger(CommitHooks.class);

    // most transactions have no hook: a list is created with the first hook of its kind (null: none)
    @Nullable
    private List<Mono<Void>> beforeCommit;

    @Nullable
    private List<OnCommit> onCommit;

    synchronized void addBeforeCommit(Mono<Void> hook) {
        if (this.beforeCommit == null) {
            this.beforeCommit = new ArrayList<>(2);
        }
        this.beforeCommit.add(hook);
    }

    synchronized void addOnCommit(Mono<Void> hook, boolean robust) {
        if (this.onCommit == null) {
            this.onCommit = new ArrayList<>(2);
        }
        this.onCommit.add(new OnCommit(hook, robust));
    }

    /**
     * Moves every hook of {@code child} here, after the ones already here (a block released into its parent);
     * null (a session's holder not created yet: no hook) moves nothing.
     */
    void adopt(@Nullable CommitHooks child) {
        if (child == null) {
            return;
        }
        List<Mono<Void>> before;
        List<OnCommit> after;
        synchronized (child) {
            before = child.beforeCommit;
            after = child.onCommit;
            child.beforeCommit = null;
            child.onCommit = null;
        }
        if (before == null && after == null) {
            return;
        }
        synchronized (this) {
            if (before != null) {
                if (this.beforeCommit == null) {
                    this.beforeCommit = before;
                } else {
                    this.beforeCommit.addAll(before);
                }
            }
            if (after != null) {
                if (this.onCommit == null) {
                    this.onCommit = after;
                } else {
                    this.onCommit.addAll(after);
                }
            }
        }
    }

    /** Drops every hook (their transaction or savepoint rolled back). */
    synchronized void clear() {
        this.beforeCommit = null;
        this.onCommit = null;
    }

    synchronized boolean hasBeforeCommit() {
        return this.beforeCommit != null;
    }

    synchronized boolean isEmpty() {
        return this.beforeCommit == null && this.onCommit == null;
    }

    /** Whether {@code hooks} holds none (null: a holder not created yet). */
    static boolean isEmpty(@Nullable CommitHooks hooks) {
        return hooks == null || hooks.isEmpty();
    }

    /**
     * Takes the before-commit hooks out and runs them in registration order; the first failure stops the
     * rest and is the error (the veto).
     */
    Mono<Void> runBeforeCommit() {
        List<Mono<Void>> hooks;
        synchronized (this) {
            hooks = this.beforeCommit;
            if (hooks == null) {
                return Mono.empty();
            }
            this.beforeCommit = null;
        }
        return Flux.fromIterable(hooks).concatMap(hook -> hook).then();
    }

    /** Takes the on-commit hooks out, to run after the commit (the before-commit ones are dropped). */
    synchronized List<OnCommit> takeOnCommit() {
        List<OnCommit> hooks = this.onCommit;
        this.onCommit = null;
        this.beforeCommit = null;
        return hooks == null ? List.of() : hooks;
    }

    /**
     * Runs on-commit hooks in registration order, each after the commit and outside the transaction that
     * committed (Django's {@code on_commit}): each in a {@linkplain UnitOfWork#inNewUnitOfWork(Mono) unit of
     * work of its own}, whatever unit of work or atomic block registered it, so that {@code dbSession(db)}
     * works in a hook and its writes are committed when the hook completes (rolled back if it fails), never
     * joining the transaction that is over nor the enclosing unit of work. A robust hook's failure is logged
     * and the rest go on; any other failure stops the rest and is the error.
     */
    static Mono<Void> runOnCommit(List<OnCommit> hooks) {
        if (hooks.isEmpty()) {
            return Mono.empty();
        }
        if (hooks.size() == 1) {
            return hooks.get(0).run();
        }
        return Flux.fromIterable(hooks).concatMap(OnCommit::run).then();
    }

    /** One on-commit hook. */
    static final class OnCommit {

        final Mono<Void> work;

        final boolean robust;

        OnCommit(Mono<Void> work, boolean robust) {
            this.work = work;
            this.robust = robust;
        }

        /** The hook, in a unit of work of its own; a robust one's failure logged and swallowed. */
        Mono<Void> run() {
            Mono<Void> run = UnitOfWork.inNewUnitOfWork(this.work);
            return this.robust ? run.onErrorResume(error -> {
                log.warn("A robust on-commit hook failed; the others still run", error);
                return Mono.empty();
            }) : run;
        }
    }
}
