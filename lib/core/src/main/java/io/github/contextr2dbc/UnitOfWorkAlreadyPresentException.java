package io.github.contextr2dbc;

/** A unit of work was bound where one already is; the message says how to nest or replace it. */
public class UnitOfWorkAlreadyPresentException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    UnitOfWorkAlreadyPresentException() {
        super("A unit of work is already present in this Reactor Context. Use it (UnitOfWork.dbSession(db)), "
                + "start an independent one with UnitOfWork.inNewUnitOfWork(...), or bind with "
                + "bindReplacingCurrent() if replacing the current one is really meant.");
    }
}
