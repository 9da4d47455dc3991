/**
 * JMH benchmarks of context-r2dbc: units of work against a real PostgreSQL primary
 * ({@link io.github.contextr2dbc.bench.TransactionBenchmark},
 * {@link io.github.contextr2dbc.bench.EmptyUnitOfWorkBenchmark}) side by side with hand-written r2dbc-pool
 * code and Spring's reactive transactions, the same over HTTP through a Spring WebFlux server with and
 * without the context-r2dbc WebFilter ({@link io.github.contextr2dbc.bench.WebFilterBenchmark}), and the
 * cost of the context machinery alone on an in-memory connection
 * ({@link io.github.contextr2dbc.bench.ContextMachineryBenchmark}). Every benchmark takes its
 * forks, warm-up, measurement and pool settings from {@link io.github.contextr2dbc.bench.BenchSettings};
 * see {@code bench/README.md} for the command and the results.
 */
package io.github.contextr2dbc.bench;
