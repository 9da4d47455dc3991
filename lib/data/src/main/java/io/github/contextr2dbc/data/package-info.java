/**
 * Django-style repositories and lazy query sets over Spring Data R2DBC mapping, running in the current
 * unit of work's session. A {@link io.github.contextr2dbc.data.Repository} per entity (its type taken from
 * the type argument, no session argument) hands out immutable
 * {@link io.github.contextr2dbc.data.QuerySet}s: filters with Django's lookups (string form
 * {@code "author__name__icontains"} checked against the mapping, or typed form with
 * {@link io.github.contextr2dbc.data.Property} method references), {@link io.github.contextr2dbc.data.Q}
 * combinations, relations declared with {@link io.github.contextr2dbc.data.ForeignKey}, ordering, slicing,
 * aggregates, {@link io.github.contextr2dbc.data.F} updates. SQL is built with Spring Data Relational's SQL
 * model and rendered for PostgreSQL; values are always bound; identifiers come only from the mapping.
 * {@link io.github.contextr2dbc.data.ListQuery}, {@link io.github.contextr2dbc.data.FilterSet} and
 * {@link io.github.contextr2dbc.data.Ordering} bind list requests' query parameters against an explicit
 * allow-list to a {@link io.github.contextr2dbc.data.Page}. Path resolution, SQL building, statement
 * execution and the choice of database for reads and writes ({@code DatabaseChoice}) are package-private.
 */
@NullMarked
package io.github.contextr2dbc.data;

import org.jspecify.annotations.NullMarked;
