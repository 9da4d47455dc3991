/**
 * An in-memory R2DBC connection that answers every statement at once from preallocated results, for CPU
 * and allocation benchmarks of the code around a driver. Not a database: it keeps no data and ignores
 * bound values.
 */
package io.github.contextr2dbc.bench.stub;
