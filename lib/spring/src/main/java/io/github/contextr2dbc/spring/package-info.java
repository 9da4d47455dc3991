/**
 * Spring WebFlux integration: {@link io.github.contextr2dbc.spring.ContextR2dbcWebFilter} makes every
 * request a unit of work, committed or rolled back by the response status (a
 * {@link io.github.contextr2dbc.spring.CommitPolicy}) before the response is committed, and released on
 * every path, cancel included; {@link io.github.contextr2dbc.spring.DatabaseProblemHandler} turns
 * database errors, failed commits included, into RFC 9457 problem responses through a
 * {@link io.github.contextr2dbc.spring.ProblemMapping};
 * {@link io.github.contextr2dbc.spring.DatabaseArgumentResolver} injects sessions and databases into
 * handler methods; {@link io.github.contextr2dbc.spring.AtomicBlock} makes a bean method's {@code Mono} or
 * {@code Flux} an atomic block, through the {@link io.github.contextr2dbc.spring.AtomicBlockAdvisor}. The
 * per-request state machine, the response decorator that tells single values and bodies of known length
 * (finished before the status is sent) from streams (finished at their end), and the success headers put
 * back when an error replaces a response are package-private. Spring Boot wires all of it from properties in
 * {@code io.github.contextr2dbc.spring.boot}.
 */
@NullMarked
package io.github.contextr2dbc.spring;

import org.jspecify.annotations.NullMarked;
