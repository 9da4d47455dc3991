/** The entities and Spring Data repositories of the HTTP comparison's servers ({@code BenchServer}). */
package io.github.contextr2dbc.bench.server;
