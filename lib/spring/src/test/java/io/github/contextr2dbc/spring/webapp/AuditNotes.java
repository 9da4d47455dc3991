package io.github.contextr2dbc.spring.webapp;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.spring.AtomicBlock;
import io.github.contextr2dbc.spring.Databases;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Mono;

import static io.github.contextr2dbc.UnitOfWork.dbSession;

/** Annotated on the class: every public {@code Mono}/{@code Flux} method is a block on the second database. */
@Service
@AtomicBlock(using = "audit")
public class AuditNotes {

    private final Database audit;

    AuditNotes(Databases databases) {
        this.audit = databases.get("audit");
    }

    public Mono<Void> add(String note) {
        return dbSession(this.audit).flatMap(s -> s.sql("INSERT INTO audit (note) VALUES ($1)")
                .bind(0, note).execute());
    }
}
