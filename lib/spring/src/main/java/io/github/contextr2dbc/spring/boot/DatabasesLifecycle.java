package io.github.contextr2dbc.spring.boot;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.spring.Databases;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Starts and stops the configured databases with the application.
 *
 * <p>Start: when the startup probe is enabled, runs {@code SELECT 1} on every database (outside any unit
 * of work) and fails the startup with a message naming the database if one does not answer. Stop: closes
 * every database (its pool is disposed once the connections in use are back), after the web server has
 * stopped: the phase is below the web server's, so it stops later. If the context is destroyed without
 * being stopped (a failed startup), {@link #destroy()} closes them.
 */
final class DatabasesLifecycle implements SmartLifecycle, DisposableBean {

    /** Below the web server's graceful-shutdown and start/stop phases: started before it, stopped after it. */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private static final Logger log = LoggerFactory.getLogger(DatabasesLifecycle.class);

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final Databases databases;

    private final ContextR2dbcProperties.StartupProbe probe;

    private final AtomicBoolean running = new AtomicBoolean();

    private final AtomicBoolean closed = new AtomicBoolean();

    DatabasesLifecycle(Databases databases, ContextR2dbcProperties.StartupProbe probe) {
        this.databases = databases;
        this.probe = probe;
    }

    @Override
    public void start() {
        if (this.probe.isEnabled()) {
            probeAll();
        }
        this.running.set(true);
    }

    /**
     * Runs the probe and waits for it: startup runs on the application's main thread, never on a reactive
     * one, and must not go on before the answer. This is the one place in the library that waits for a
     * publisher; it refuses to run on a non-blocking thread.
     */
    private void probeAll() {
        if (Schedulers.isInNonBlockingThread()) {
            throw new IllegalStateException("The context-r2dbc startup probe waits for the databases and cannot run on "
                    + "a non-blocking thread (" + Thread.currentThread().getName() + "): start the application from a "
                    + "plain thread, or disable context-r2dbc.startup-probe.enabled");
        }
        Duration timeout = this.probe.getTimeout();
        Flux.fromIterable(this.databases.all())
                // subscribed on a thread that may block: the first use of a database creates its pool, and the
                // core discovers the R2DBC driver then (a ServiceLoader scan that reads jar files)
                .concatMap(database -> probe(database).subscribeOn(Schedulers.boundedElastic()).timeout(timeout, Mono.error(() -> new IllegalStateException(
                        "Startup probe: database '" + database.name() + "' at " + database.host() + " did not answer "
                                + "SELECT 1 within " + timeout + " (context-r2dbc.startup-probe.timeout); check "
                                + "context-r2dbc.databases." + database.name() + ".url and that the server is up"))))
                .then()
                .block();
        log.info("Startup probe: every database answered ({})", this.databases.all().stream().map(Database::name).toList());
    }

    private static Mono<Void> probe(Database database) {
        return database.inSession(session -> session.sql("SELECT 1").execute())
                .then()
                .onErrorMap(error -> new IllegalStateException("Startup probe: SELECT 1 on database '" + database.name()
                                + "' at " + database.host() + " failed: " + error + ". Check context-r2dbc.databases."
                                + database.name() + ".url and that the server is up", error));
    }

    @Override
    public void stop(Runnable callback) {
        this.running.set(false);
        closeAll().timeout(CLOSE_TIMEOUT).subscribe(null, error -> {
            log.warn("Closing the databases failed", error);
            callback.run();
        }, callback);
    }

    /**
     * Only for callers that do not use {@link #stop(Runnable)}: starts closing the databases without waiting
     * (the pools finish disposing in the background; a failure is logged).
     */
    @Override
    public void stop() {
        stop(() -> { });
    }

    @Override
    public boolean isRunning() {
        return this.running.get();
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /**
     * Closes the databases if the context was not stopped first (e.g. the startup failed), without waiting:
     * the pools finish disposing in the background; a failure is logged.
     */
    @Override
    public void destroy() {
        if (!this.closed.get()) {
            stop(() -> { });
        }
    }

    private Mono<Void> closeAll() {
        return Mono.defer(() -> {
            if (!this.closed.compareAndSet(false, true)) {
                return Mono.empty();
            }
            return Flux.fromIterable(this.databases.all())
                    .flatMap(database -> database.close().onErrorResume(error -> {
                        log.warn("Closing database '{}' failed", database.name(), error);
                        return Mono.empty();
                    }))
                    .then();
        });
    }
}
