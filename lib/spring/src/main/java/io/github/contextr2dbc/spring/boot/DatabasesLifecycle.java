package io.github.contextr2dbc.spring.boot;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.spring.Databases;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.jspecify.annotations.Nullable;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Starts and stops the configured databases with the application.
 *
 * <p>Start: when the startup probe is enabled, runs {@code SELECT 1} on every database (outside any unit
 * of work) without holding up the startup; if one does not answer, it logs a message naming the database
 * and closes the application. Stop: closes
 * every database (its pool is disposed once the connections in use are back), after the web server has
 * stopped: the phase is below the web server's, so it stops later. If the context is destroyed without
 * being stopped (a failed startup), {@link #destroy()} closes them.
 */
final class DatabasesLifecycle implements SmartLifecycle, DisposableBean, ApplicationContextAware {

    /** Below the web server's graceful-shutdown and start/stop phases: started before it, stopped after it. */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private static final Logger log = LoggerFactory.getLogger(DatabasesLifecycle.class);

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final Databases databases;

    private final ContextR2dbcProperties.StartupProbe probe;

    private final AtomicBoolean running = new AtomicBoolean();

    private final AtomicBoolean closed = new AtomicBoolean();

    @Nullable
    private volatile ApplicationContext applicationContext;

    @Nullable
    private volatile Disposable probing;

    DatabasesLifecycle(Databases databases, ContextR2dbcProperties.StartupProbe probe) {
        this.databases = databases;
        this.probe = probe;
    }

    @Override
    public void setApplicationContext(ApplicationContext applicationContext) {
        this.applicationContext = applicationContext;
    }

    @Override
    public void start() {
        this.running.set(true);
        if (this.probe.isEnabled()) {
            this.probing = probeAll().subscribe(
                    ignored -> { },
                    this::probeFailed,
                    () -> log.info("Startup probe: every database answered ({})",
                            this.databases.all().stream().map(Database::name).toList()));
        }
    }

    /**
     * {@code SELECT 1} on every database, one after the other, each within the probe's timeout. Nothing
     * waits for it: the startup goes on, and a failure {@linkplain #probeFailed closes the application}.
     */
    private Mono<Void> probeAll() {
        Duration timeout = this.probe.getTimeout();
        return Flux.fromIterable(this.databases.all())
                .concatMap(database -> probe(database).timeout(timeout, Mono.error(() -> new IllegalStateException(
                        "Startup probe: database '" + database.name() + "' at " + database.host() + " did not answer "
                                + "SELECT 1 within " + timeout + " (context-r2dbc.startup-probe.timeout); check "
                                + "context-r2dbc.databases." + database.name() + ".url and that the server is up"))))
                .then();
    }

    /**
     * Fails fast without blocking a thread that must not block: logs the failure and closes the application
     * context on a thread that may wait (closing waits for a startup still under way, then stops the web
     * server and the pools), so the application ends instead of serving requests it cannot answer.
     */
    private void probeFailed(Throwable error) {
        log.error("{} Closing the application.", error.getMessage(), error);
        ApplicationContext context = this.applicationContext;
        if (context instanceof ConfigurableApplicationContext configurable) {
            Schedulers.boundedElastic().schedule(configurable::close);
        }
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
        Disposable probing = this.probing;
        if (probing != null) {
            probing.dispose();
        }
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
