package io.github.contextr2dbc;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import reactor.core.publisher.Mono;

/**
 * The {@link Database#connectionFactory() session-aware ConnectionFactory}: its connections are views of
 * the current unit of work's session, created without opening anything.
 */
final class SessionConnectionFactory implements ConnectionFactory {

    private final Database database;

    SessionConnectionFactory(Database database) {
        this.database = database;
    }

    @Override
    public Mono<Connection> create() {
        return Mono.deferContextual(context -> UnitOfWork.find(context)
                .map(unitOfWork -> Mono.<Connection>just(
                        new SessionConnection(unitOfWork.contextSession(this.database))))
                .orElseGet(this::outsideUnitOfWork));
    }

    @Override
    public ConnectionFactoryMetadata getMetadata() {
        return this.database.connectionFactoryMetadata();
    }

    @Override
    public String toString() {
        return "SessionConnectionFactory{" + this.database.name() + "}";
    }

    private Mono<Connection> outsideUnitOfWork() {
        if (this.database.settings().outsideUnitOfWork == OutsideUnitOfWork.AUTOCOMMIT) {
            return this.database.runtime().acquire(DatabaseRuntime.Cancellation.CANCEL_GIVES_BACK)
                    .map(LeasedConnection::new);
        }
        return Mono.error(new NoUnitOfWorkException("A connection of database '" + this.database.name() + "'"));
    }
}
