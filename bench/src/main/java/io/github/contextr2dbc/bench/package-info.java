/** JMH benchmarks; see bench/README.md. */
package io.github.contextr2dbc.bench;
