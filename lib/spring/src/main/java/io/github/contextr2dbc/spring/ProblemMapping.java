package io.github.contextr2dbc.spring;

import org.jspecify.annotations.Nullable;
import org.springframework.http.ProblemDetail;

/**
 * Turns a database error into an RFC 9457 problem response, or says it is not one of its errors.
 *
 * <p>{@link #standard()} maps driver errors by SQLSTATE, and some of the toolkit's own exceptions, found
 * anywhere in the error's cause chain (so Spring's {@code DataAccessException} wrappers and the toolkit's
 * wrapping exceptions are seen through):
 *
 * <table>
 *   <caption>standard mapping</caption>
 *   <tr><th>error</th><th>status</th></tr>
 *   <tr><td>unique violation {@code 23505}, foreign-key violation {@code 23503}</td><td>409</td></tr>
 *   <tr><td>serialization failure {@code 40001}, deadlock {@code 40P01}</td>
 *       <td>409, {@code "retryable": true}</td></tr>
 *   <tr><td>read-only transaction {@code 25006} (a write reached a replica), or a
 *       {@code ReplicaWriteRefusedException} (refused before reaching it)</td>
 *       <td>503, {@code "retryable": true}</td></tr>
 *   <tr><td>{@code PrimaryUnavailableException}: no primary reachable (failover)</td><td>503,
 *       {@code "retryable": true}</td></tr>
 *   <tr><td>no pooled connection within the acquire timeout</td><td>503, {@code "retryable": true}</td></tr>
 *   <tr><td>{@code RowNotFoundException}: {@code SqlStatement.single(...)} found no row</td><td>404</td></tr>
 *   <tr><td>a commit that succeeded on some databases and failed on others</td><td>500</td></tr>
 * </table>
 *
 * <p>Bodies never hold SQL text, bind values or server messages: only a fixed title and detail per
 * kind of error. To change the mapping, declare a bean of this type (it may delegate to
 * {@link #standard()} for the rest).
 */
@FunctionalInterface
public interface ProblemMapping {

    /**
     * The problem response for {@code error}, or {@code null} to leave the error to the next exception
     * handler.
     *
     * @param error the error of the request (never null)
     * @return the problem, with its status set, or null
     */
    @Nullable
    ProblemDetail toProblem(Throwable error);

    /** The standard mapping described above. */
    static ProblemMapping standard() {
        return StandardProblemMapping.INSTANCE;
    }
}
