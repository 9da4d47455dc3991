/**
 * Test support for context-r2dbc: a real PostgreSQL primary with a streaming hot-standby replica.
 *
 * <p>{@link io.github.contextr2dbc.launcher.PostgresPair} is the whole public API. {@code PostgresPair.shared()}
 * starts one pair per JVM on first use and stops it when the JVM exits; {@code PostgresPair.startNew()} gives
 * a private pair for tests that stop, promote or otherwise break a server. The pair comes from, in this
 * order, R2DBC URLs in the environment, the PostgreSQL server binaries installed on the machine (started as
 * an unprivileged OS user when the JVM runs as root, in a folder under {@code target/pg-clusters/}), or
 * Testcontainers when a Docker engine answers. Everything else in this package is an internal detail of those
 * three providers. All methods block and are meant for test threads, never for Reactor non-blocking threads.
 */
package io.github.contextr2dbc.launcher;
