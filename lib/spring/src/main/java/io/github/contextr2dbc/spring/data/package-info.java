/**
 * WebFlux list endpoints over the repositories and query sets of {@code context-r2dbc-data}: a filtered,
 * ordered, paginated list from query parameters with an explicit allow-list, in a few lines, with invalid
 * parameters answered by a 400 problem response. Used only when {@code context-r2dbc-data} is on the class
 * path.
 */
@NullMarked
package io.github.contextr2dbc.spring.data;

import org.jspecify.annotations.NullMarked;
