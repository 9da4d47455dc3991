package io.github.contextr2dbc.data;

import java.util.List;

/**
 * A lookup path, field name or ordering named something the entity's mapping (or an endpoint's allow-list)
 * does not have. The message names what was asked for and lists what is valid there; {@link #name()} and
 * {@link #allowed()} give the same to code that builds an error response.
 */
public class FieldLookupException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String name;

    private final List<String> allowed;

    /** An error for {@code name}, which is none of {@code allowed}; {@code what} says where it was used. */
    public FieldLookupException(String what, String name, List<String> allowed) {
        super(what + " \"" + name + "\" is not valid; valid: " + String.join(", ", allowed));
        this.name = name;
        this.allowed = List.copyOf(allowed);
    }

    /** The unknown name. */
    public String name() {
        return this.name;
    }

    /** What would have been valid in its place. */
    public List<String> allowed() {
        return this.allowed;
    }
}
