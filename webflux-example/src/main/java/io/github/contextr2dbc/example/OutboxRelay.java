package io.github.contextr2dbc.example;

import java.time.Duration;

import io.github.contextr2dbc.Database;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static io.github.contextr2dbc.UnitOfWork.dbSession;
import static io.github.contextr2dbc.UnitOfWork.inNewUnitOfWork;

/**
 * The background job that drains the outbox: every {@code example.outbox.interval}, one batch of undelivered
 * notifications is taken in a unit of work of its own ({@code FOR UPDATE SKIP LOCKED}, so several instances
 * of the application share the work), each is sent, then marked delivered; the unit of work commits when
 * the batch is done. A failed send rolls the batch back: its notifications are sent again in a later round
 * (at least once). Started and stopped with the application context, before the database pools close.
 */
@Component
class OutboxRelay implements SmartLifecycle {

    private static final Log log = LogFactory.getLog(OutboxRelay.class);

    private final Database db;

    private final NotificationSender sender;

    private final Duration interval;

    private final int batchSize;

    private volatile Disposable running;

    OutboxRelay(Database db, NotificationSender sender, @Value("${example.outbox.interval:500ms}") Duration interval,
            @Value("${example.outbox.batch-size:100}") int batchSize) {
        this.db = db;
        this.sender = sender;
        this.interval = interval;
        this.batchSize = batchSize;
    }

    /**
     * Drains one batch.
     *
     * @return on complete, how many notifications were delivered (committed); error: the batch rolled back
     */
    Mono<Long> drainOnce() {
        return inNewUnitOfWork(dbSession(db).flatMapMany(session -> session
                        .sql("SELECT id, topic, payload FROM outbox WHERE delivered_at IS NULL ORDER BY id LIMIT $1 "
                                + "FOR UPDATE SKIP LOCKED")
                        .bind(0, batchSize)
                        .map(row -> new Notification(row.get(0, Long.class), row.get(1, String.class),
                                row.get(2, String.class)))
                        .collectList()
                        .flatMapMany(Flux::fromIterable)
                        .concatMap(notification -> sender.send(notification)
                                .then(session.sql("UPDATE outbox SET delivered_at = now() WHERE id = $1")
                                        .bind(0, notification.id())
                                        .execute())
                                .thenReturn(notification)))
                .count());
    }

    @Override
    public void start() {
        this.running = Flux.interval(interval)
                .onBackpressureDrop()
                .concatMap(tick -> drainOnce().onErrorResume(error -> {
                    log.warn("Outbox batch rolled back, retried next round: " + error);
                    return Mono.empty();
                }), 1)
                .subscribe();
    }

    @Override
    public void stop() {
        Disposable current = this.running;
        if (current != null) {
            current.dispose();
        }
        this.running = null;
    }

    @Override
    public boolean isRunning() {
        return this.running != null;
    }
}
