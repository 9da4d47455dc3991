package io.github.contextr2dbc.spring.webapp;

import io.github.contextr2dbc.Database;
import io.github.contextr2dbc.spring.AtomicBlock;
import io.github.contextr2dbc.spring.Databases;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static io.github.contextr2dbc.UnitOfWork.dbSession;

/** Annotated methods on the default database ({@code main}), called by other beans and the tests through the proxy. */
@Service
public class AtomicItems {

    private final Database main;

    AtomicItems(Databases databases) {
        this.main = databases.defaultDatabase();
    }

    /** Not annotated: a plain statement, in whatever block or transaction its caller is in. */
    Mono<Void> insertPlain(String name) {
        return dbSession(this.main).flatMap(s -> s.sql("INSERT INTO item (name) VALUES ($1)").bind(0, name).execute());
    }

    @AtomicBlock
    public Mono<Void> insert(String name) {
        return insertPlain(name);
    }

    /** Fails with a unique violation at its second insert. */
    @AtomicBlock
    public Mono<Void> insertTwice(String name) {
        return insertPlain(name).then(insertPlain(name));
    }

    @AtomicBlock(durable = true)
    public Mono<Void> insertDurably(String name) {
        return insertPlain(name);
    }

    /** Inserts a row, then streams the 10,000 numbers. */
    @AtomicBlock
    public Flux<Integer> insertThenStream(String name) {
        return insertPlain(name).thenMany(dbSession(this.main)
                .flatMapMany(s -> s.sql("SELECT n FROM numbers ORDER BY n").map(row -> row.get(0, Integer.class))));
    }
}
