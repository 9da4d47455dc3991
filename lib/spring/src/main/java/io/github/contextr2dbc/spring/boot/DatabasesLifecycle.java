package io.github.contextr2dbc.spring.boot;

import java.time.Duration;
import java.util.List;
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
 * of work) and waits for the answers on the starting thread, before the web server starts (this phase is
 * below the web server's): if one does not answer within the probe's timeout, {@link #start()} throws
 * {@link StartupProbeException}, the context refresh fails, Spring Boot reports "APPLICATION FAILED TO
 * START" (see {@link StartupProbeFailureAnalyzer}) and {@code SpringApplication.run} throws, so the process
 * exits with a non-zero status without ever having served a request. This wait on the application's
 * startup thread is the one documented wait in the toolkit (as Flyway's migration at startup); it is
 * refused on a non-blocking thread. Stop: closes
 * every database (its pool is disposed once the connections in use are back), after the web server has
 * stopped: the phase is below the web server's, so it stops later; and before the web server's event loops are
 * disposed (the {@code ReactorResourceFactory} stops in phase 0, below this one), which the driver may run on
 * ({@code context-r2dbc.event-loops=server}, see {@link ServerEventLoops}). If the context is destroyed without
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
            probeAndWait();
        }
        this.running.set(true);
    }

    /**
     * {@code SELECT 1} on every database, one after the other, each within the probe's timeout; waits for the
     * result on this (the application's starting) thread.
     *
     * @throws StartupProbeException naming the database that did not answer, and why
     */
    private void probeAndWait() {
        if (Schedulers.isInNonBlockingThread()) {
            throw new IllegalStateException("The startup probe waits for the databases and cannot run on the "
                    + "non-blocking thread " + Thread.currentThread().getName() + "; start the application context "
                    + "from an ordinary thread, or set context-r2dbc.startup-probe.enabled=false");
        }
        Duration timeout = this.probe.getTimeout();
        List<Database> all = this.databases.all();
        Mono<Void> probes = Flux.fromIterable(all)
                .concatMap(database -> probe(database).timeout(timeout, Mono.error(() -> new StartupProbeException(
                        database, "did not answer SELECT 1 within " + timeout
                                + " (context-r2dbc.startup-probe.timeout)",
                        null))))
                .then();
        // every probe has its own timeout; the bound here only guards against a probe that ignores it
        Duration bound = timeout.multipliedBy(all.size()).plus(timeout);
        try {
            // the toolkit's one documented wait: on the application's starting thread (a non-blocking thread
            // was refused above), before the web server starts, so that a database that does not answer fails
            // the startup as Flyway's migration does
            probes.block(bound);
        } catch (StartupProbeException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new StartupProbeException(null, "did not finish within " + bound, e);
        }
        log.info("Startup probe: every database answered ({})", all.stream().map(Database::name).toList());
    }

    private static Mono<Void> probe(Database database) {
        return database.inSession(session -> session.sql("SELECT 1").execute())
                .then()
                .onErrorMap(error -> !(error instanceof StartupProbeException),
                        error -> new StartupProbeException(database, "failed SELECT 1: " + error, error));
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
