package io.github.contextr2dbc.data;

/**
 * A list request's query parameter is not allowed or its value cannot be used: an unknown filter, a lookup
 * the endpoint does not allow, an ordering outside the allow-list, a page size out of range, a value that is
 * not of the field's type. {@link #parameter()} names the parameter and {@link #allowed()} says what is
 * allowed, for a 400 response; the message says both. The rejected value is never repeated.
 */
public class InvalidQueryParameterException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String parameter;

    private final String allowed;

    /** An error for {@code parameter}; {@code allowed} describes what it may be. */
    public InvalidQueryParameterException(String parameter, String allowed) {
        super("Query parameter \"" + parameter + "\" is not valid; allowed: " + allowed);
        this.parameter = parameter;
        this.allowed = allowed;
    }

    /** The offending parameter's name, as sent (bounded to 100 characters). */
    public String parameter() {
        return this.parameter;
    }

    /** What is allowed there. */
    public String allowed() {
        return this.allowed;
    }
}
