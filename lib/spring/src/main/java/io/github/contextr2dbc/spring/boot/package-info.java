/**
 * Spring Boot auto-configuration: databases from {@code context-r2dbc.databases.<name>.*}
 * ({@link io.github.contextr2dbc.spring.boot.ContextR2dbcProperties}) as {@code Database} and
 * session-aware {@code ConnectionFactory} beans that Spring Data R2DBC runs on, closed with the
 * application and optionally probed at startup; the WebFlux filter, problem responses and handler
 * arguments; the advisor of {@code @AtomicBlock} methods; Micrometer meters and Actuator health when
 * those are on the class path; on a Reactor Netty server, the read re-arm of HTTP/1.1 keep-alive
 * connections that Reactor Netty before 1.3.8 stops reading. The registrar, the lifecycle, the meter binder and the
 * health indicator
 * are package-private; applications need no Java configuration.
 */
@NullMarked
package io.github.contextr2dbc.spring.boot;

import org.jspecify.annotations.NullMarked;
