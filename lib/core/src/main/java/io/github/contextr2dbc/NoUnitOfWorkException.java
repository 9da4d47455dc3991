package io.github.contextr2dbc;

/** Database work was asked for with no unit of work in the Reactor Context; the message says how to get one. */
public class NoUnitOfWorkException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    NoUnitOfWorkException(String what) {
        super(what + " needs a unit of work in the Reactor Context, and there is none. Run the publisher inside "
                + "one: UnitOfWork.inNewUnitOfWork(publisher) for jobs and parallel branches, the context-r2dbc "
                + "WebFilter for requests, or publisher.contextWrite(unitOfWork.bind()) finished by "
                + "unitOfWork.commit()/rollback(). For work outside any unit of work use Database.inSession(...).");
    }
}
