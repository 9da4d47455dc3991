/**
 * Test support for applications built on context-r2dbc: {@link io.github.contextr2dbc.test.RollbackPerTest}
 * (one rolled-back transaction per JUnit 5 test, whoever opens the units of work in it),
 * {@link io.github.contextr2dbc.test.CommitAndCleanUp} (the opt-out),
 * {@link io.github.contextr2dbc.test.CapturedOnCommitHooks} and
 * {@link io.github.contextr2dbc.test.TestUnitOfWork}.
 */
@NullMarked
package io.github.contextr2dbc.test;

import org.jspecify.annotations.NullMarked;
