package io.github.contextr2dbc;

/**
 * No primary could be reached: the current one refused the connection and no candidate host answered as a
 * primary ({@code pg_is_in_recovery()} false), as during a failover before a standby is promoted. Retrying later
 * may succeed: the next session asks the candidates again (see {@link PrimaryResolver}).
 */
public class PrimaryUnavailableException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    PrimaryUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
