package io.github.contextr2dbc.bench;

import java.util.concurrent.atomic.AtomicLong;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.PoolMetrics;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import reactor.core.publisher.Mono;

/**
 * An r2dbc-pool {@link ConnectionPool} that counts the connections handed out, the way context-r2dbc's
 * {@code Database.acquisitions()} does (one {@code doOnNext} per acquisition), for the raw and Spring
 * variants; in the default {@link BenchSettings.AcquireTimeoutMode#WAITING} mode it also times the
 * acquisitions that wait ({@link WaitingAcquireTimeout}), as context-r2dbc's {@code Database} does.
 */
final class CountingConnectionFactory implements ConnectionFactory {

    private final ConnectionPool pool;

    private final AtomicLong acquisitions = new AtomicLong();

    private final Mono<Connection> create;

    CountingConnectionFactory(ConnectionPool pool) {
        this.pool = pool;
        Mono<Connection> acquisition = pool.create();
        if (BenchSettings.AcquireTimeoutMode.current() == BenchSettings.AcquireTimeoutMode.WAITING) {
            acquisition = new WaitingAcquireTimeout(acquisition, BenchSettings.ACQUIRE_TIMEOUT);
        }
        this.create = acquisition.doOnNext(connection -> this.acquisitions.incrementAndGet());
    }

    @Override
    public Mono<Connection> create() {
        return this.create;
    }

    @Override
    public ConnectionFactoryMetadata getMetadata() {
        return this.pool.getMetadata();
    }

    long acquisitions() {
        return this.acquisitions.get();
    }

    PoolMetrics metrics() {
        return this.pool.getMetrics().orElseThrow();
    }

    Mono<Void> close() {
        return this.pool.disposeLater();
    }
}
