/**
 * The core of context-r2dbc: {@link io.github.contextr2dbc.Database} handles, units of work carried by
 * the Reactor Context, and lazily opened sessions.
 *
 * <p>A {@link io.github.contextr2dbc.UnitOfWork} lives in the Reactor Context of a request or a job and
 * holds at most one {@link io.github.contextr2dbc.DbSession} per database. A session acquires its
 * connection and opens its transaction only when its first statement runs, serialises its statements,
 * and is finished (committed or rolled back, and its connection released) by whoever opened the unit of
 * work. {@link io.github.contextr2dbc.Routing} sends routed reads to replicas (databases built with
 * {@code replicaOf}) and writes to primaries, with read-your-own-writes;
 * {@link io.github.contextr2dbc.PrimaryResolver} follows the primary across a failover. Every
 * publisher-returning method documents what happens on complete, error and cancel;
 * cancelling never leaves a transaction open or a connection acquired. Internals (the serial queue of a
 * session, pool generations, the session-aware connection) are package-private. This module depends
 * on Reactor, the R2DBC SPI and r2dbc-pool only.
 */
@NullMarked
package io.github.contextr2dbc;

import org.jspecify.annotations.NullMarked;
