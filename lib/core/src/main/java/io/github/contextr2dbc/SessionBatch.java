package io.github.contextr2dbc;

import java.util.ArrayList;
import java.util.List;

import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Result;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;

/**
 * The batch of a {@link SessionConnection}: records statements, then runs them as one batch on the session's
 * connection (each checked by {@link StatementGuard} first).
 */
final class SessionBatch implements Batch {

    private final ContextSession session;

    private final List<String> statements = new ArrayList<>(4);

    SessionBatch(ContextSession session) {
        this.session = session;
    }

    @Override
    public Batch add(String sql) {
        if (sql == null) {
            throw new IllegalArgumentException("A batch statement must not be null");
        }
        this.statements.add(sql);
        return this;
    }

    @Override
    public Publisher<? extends Result> execute() {
        List<String> recorded = List.copyOf(this.statements);
        ContextSession session = this.session;
        for (String sql : recorded) {
            RuntimeException refused = StatementGuard.refusal(session, sql);
            if (refused != null) {
                return Flux.error(refused);
            }
        }
        return session.withConnection(connection -> {
            recorded.forEach(sql -> StatementGuard.sending(session, sql));
            Batch batch = connection.createBatch();
            recorded.forEach(batch::add);
            return Flux.from(batch.execute());
        });
    }
}
