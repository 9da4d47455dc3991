/**
 * Spring integration: the WebFlux filter that makes each request a unit of work, Spring Boot
 * auto-configuration, metrics and health. Not built yet: this package is the placeholder for that work.
 */
package io.github.contextr2dbc.spring;
