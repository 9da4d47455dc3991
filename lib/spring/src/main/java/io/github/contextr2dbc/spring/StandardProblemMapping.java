package io.github.contextr2dbc.spring;

import java.net.URI;
import java.util.concurrent.TimeoutException;

import io.github.contextr2dbc.PartialCommitException;
import io.github.contextr2dbc.PrimaryUnavailableException;
import io.github.contextr2dbc.ReplicaWriteRefusedException;
import io.github.contextr2dbc.RowNotFoundException;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTimeoutException;
import io.r2dbc.spi.R2dbcTransientResourceException;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

/** The mapping described in {@link ProblemMapping}. */
final class StandardProblemMapping implements ProblemMapping {

    static final StandardProblemMapping INSTANCE = new StandardProblemMapping();

    private static final int MAX_DEPTH = 16;

    private StandardProblemMapping() {
    }

    @Override
    @Nullable
    public ProblemDetail toProblem(Throwable error) {
        Throwable current = error;
        for (int depth = 0; current != null && depth < MAX_DEPTH; depth++) {
            if (current instanceof PartialCommitException) {
                return problem(HttpStatus.INTERNAL_SERVER_ERROR, "partial-commit", "Partial commit",
                        "The request's changes were committed on some databases and rolled back on others.",
                        false);
            }
            if (current instanceof RowNotFoundException) {
                return problem(HttpStatus.NOT_FOUND, "not-found", "Not found",
                        "The requested data does not exist.", false);
            }
            if (isAcquireTimeout(current)) {
                return problem(HttpStatus.SERVICE_UNAVAILABLE, "database-busy", "Database busy",
                        "No database connection became available in time. Try again later.", true);
            }
            if (current instanceof PrimaryUnavailableException) {
                return problem(HttpStatus.SERVICE_UNAVAILABLE, "database-unavailable", "Database unavailable",
                        "The database cannot be reached now (a failover may be in progress). Try again later.", true);
            }
            if (current instanceof ReplicaWriteRefusedException) {
                // refused before it reached the replica: the same answer as the replica's own 25006
                return bySqlState("25006");
            }
            if (current instanceof R2dbcException r2dbc && r2dbc.getSqlState() != null) {
                ProblemDetail mapped = bySqlState(r2dbc.getSqlState());
                if (mapped != null) {
                    return mapped;
                }
            }
            // a connection that could not be made or was lost (the server
            // stopped: a pooled connection that fails validation, SQLSTATE class 08, 57P01-57P03) is the database
            // being unavailable, not a server error
            if (isConnectionLost(current)) {
                return problem(HttpStatus.SERVICE_UNAVAILABLE, "database-unavailable", "Database unavailable",
                        "The database cannot be reached now (a failover may be in progress). Try again later.", true);
            }
            current = current.getCause() == current ? null : current.getCause();
        }
        return null;
    }

    /** A resource exception of the driver or the pool without a SQLSTATE, or with a connection SQLSTATE. */
    private static boolean isConnectionLost(Throwable error) {
        if (!(error instanceof R2dbcNonTransientResourceException)
                && !(error instanceof R2dbcTransientResourceException)) {
            return false;
        }
        String sqlState = ((R2dbcException) error).getSqlState();
        return sqlState == null || sqlState.startsWith("08") || sqlState.equals("57P01") || sqlState.equals("57P02")
                || sqlState.equals("57P03");
    }

    @Nullable
    private static ProblemDetail bySqlState(String sqlState) {
        switch (sqlState) {
            case "23505":
                return problem(HttpStatus.CONFLICT, "unique-violation", "Conflict",
                        "The request conflicts with data that already exists.", false);
            case "23503":
                return problem(HttpStatus.CONFLICT, "foreign-key-violation", "Conflict",
                        "The request refers to data that does not exist, or removes data still referred to.",
                        false);
            case "40001":
                return problem(HttpStatus.CONFLICT, "serialization-failure", "Concurrent update",
                        "The request conflicted with a concurrent one and was rolled back. Retry it.", true);
            case "40P01":
                return problem(HttpStatus.CONFLICT, "deadlock", "Concurrent update",
                        "The request deadlocked with a concurrent one and was rolled back. Retry it.", true);
            case "25006":
                return problem(HttpStatus.SERVICE_UNAVAILABLE, "read-only", "Database read-only",
                        "The database refused a write because it is read-only now (a replica, or a failover "
                                + "in progress). Try again later.", true);
            default:
                return null;
        }
    }

    private static boolean isAcquireTimeout(Throwable error) {
        // r2dbc-pool: R2dbcTimeoutException("Connection acquisition timed out ...") caused by a TimeoutException;
        // a statement timeout is an R2dbcTimeoutException too, but with SQLSTATE 57014 and no such cause
        return error instanceof R2dbcTimeoutException timeout && timeout.getSqlState() == null
                && timeout.getCause() instanceof TimeoutException;
    }

    private static ProblemDetail problem(HttpStatus status, String type, String title, String detail,
            boolean retryable) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(URI.create("urn:context-r2dbc:problem:" + type));
        problem.setTitle(title);
        if (retryable) {
            problem.setProperty("retryable", Boolean.TRUE);
        }
        return problem;
    }

    @Override
    public String toString() {
        return "ProblemMapping.standard()";
    }
}
