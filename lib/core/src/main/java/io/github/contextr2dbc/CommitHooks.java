package io.github.contextr2dbc;

import java.util.ArrayList;
import java.util.List;

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

    // most transactions have no hook: the lists allocate their arrays on the first one
    private final List<Mono<Void>> beforeCommit = new ArrayList<>();

    private final List<OnCommit> onCommit = new ArrayList<>();

    synchronized void addBeforeCommit(Mono<Void> hook) {
        this.beforeCommit.add(hook);
    }

    synchronized void addOnCommit(Mono<Void> hook, boolean robust) {
        this.onCommit.add(new OnCommit(hook, robust));
    }

    /** Moves every hook of {@code child} here, after the ones already here (a block released into its parent). */
    void adopt(CommitHooks child) {
        List<Mono<Void>> before;
        List<OnCommit> after;
        synchronized (child) {
            before = new ArrayList<>(child.beforeCommit);
            after = new ArrayList<>(child.onCommit);
            child.beforeCommit.clear();
            child.onCommit.clear();
        }
        synchronized (this) {
            this.beforeCommit.addAll(before);
            this.onCommit.addAll(after);
        }
    }

    /** Drops every hook (their transaction or savepoint rolled back). */
    synchronized void clear() {
        this.beforeCommit.clear();
        this.onCommit.clear();
    }

    synchronized boolean hasBeforeCommit() {
        return !this.beforeCommit.isEmpty();
    }

    synchronized boolean isEmpty() {
        return this.beforeCommit.isEmpty() && this.onCommit.isEmpty();
    }

    /**
     * Takes the before-commit hooks out and runs them in registration order; the first failure stops the
     * rest and is the error (the veto).
     */
    Mono<Void> runBeforeCommit() {
        List<Mono<Void>> hooks;
        synchronized (this) {
            if (this.beforeCommit.isEmpty()) {
                return Mono.empty();
            }
            hooks = new ArrayList<>(this.beforeCommit);
            this.beforeCommit.clear();
        }
        return Flux.fromIterable(hooks).concatMap(hook -> hook).then();
    }

    /** Takes the on-commit hooks out, to run after the commit. */
    synchronized List<OnCommit> takeOnCommit() {
        if (this.onCommit.isEmpty()) {
            this.beforeCommit.clear();
            return List.of();
        }
        List<OnCommit> hooks = new ArrayList<>(this.onCommit);
        this.onCommit.clear();
        this.beforeCommit.clear();
        return hooks;
    }

    /**
     * Runs on-commit hooks in registration order. A robust hook's failure is logged and the rest go on;
     * any other failure stops the rest and is the error.
     */
    static Mono<Void> runOnCommit(List<OnCommit> hooks) {
        if (hooks.isEmpty()) {
            return Mono.empty();
        }
        return Flux.fromIterable(hooks).concatMap(hook -> hook.robust
                ? hook.work.onErrorResume(error -> {
                    log.warn("A robust on-commit hook failed; the others still run", error);
                    return Mono.empty();
                })
                : hook.work).then();
    }

    /** One on-commit hook. */
    static final class OnCommit {

        final Mono<Void> work;

        final boolean robust;

        OnCommit(Mono<Void> work, boolean robust) {
            this.work = work;
            this.robust = robust;
        }
    }
}
